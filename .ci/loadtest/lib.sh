# Shared by the load scripts: sourced, not run.

loadtest_token=loadtest-token-0123456789

# start_service LOG DATA_DIR: hirebridge from $work/hirebridge on its
# defaults, but for fixed loopback ports (webhooks 18080, admin 19090), a
# free port for its embedded server, a private data directory and a fixed
# token; sets pid, then waits until /readyz passes (or 20 s). Returns
# non-zero when it never became ready.
start_service() {
  HIREBRIDGE_HTTP_ADDR=127.0.0.1:18080 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:19090 \
  HIREBRIDGE_NATS_EMBEDDED_ADDR=127.0.0.1:0 HIREBRIDGE_DATA_DIR="$2" \
  HIREBRIDGE_WEBHOOK_TOKEN=$loadtest_token HIREBRIDGE_LOG_LEVEL=warn \
    "$work/hirebridge" >"$1" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -sf http://127.0.0.1:19090/readyz >/dev/null && return 0
    sleep 0.2
  done
  return 1
}
