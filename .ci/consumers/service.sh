# Sourced by the consumer checks (ts.sh, python.sh): hirebridge started
# against the machine's NATS server under a stream and prefix of the run's
# own, and the events every consumer is shown. The caller sets work (a
# scratch directory), nats_url, stream, prefix and token, and kills hb_pid
# in its cleanup.

# start_hirebridge VAR=VALUE...: builds hirebridge, starts it with only
# these variables (and PATH, HOME) besides the run's own, and waits until
# it is ready; sets hb_pid, and web and admin to the bound addresses.
start_hirebridge() {
  go build -o "$work/hirebridge" ./cmd/hirebridge
  env -i PATH="$PATH" HOME="$HOME" \
    HIREBRIDGE_NATS_URL="$nats_url" HIREBRIDGE_NATS_STREAM="$stream" HIREBRIDGE_TOPIC_PREFIX="$prefix" \
    HIREBRIDGE_HTTP_ADDR=127.0.0.1:0 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:0 HIREBRIDGE_DATA_DIR="$work/data" \
    HIREBRIDGE_WEBHOOK_TOKEN="$token" HIREBRIDGE_NATS_DUPLICATE_WINDOW=1s HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE=0 \
    "$@" "$work/hirebridge" >"$work/hirebridge.log" 2>&1 &
  hb_pid=$!
  # The bound addresses are in the start-up log (the config line before
  # them holds the configured ones, port 0).
  web= admin=
  for _ in $(seq 100); do
    web=$(sed -n 's|.*"webhook_url":"\(http://[^/"]*\)/.*|\1|p' "$work/hirebridge.log" | tail -1)
    admin=$(sed -n 's|.*"admin_addr":"\([^"]*\)".*|\1|p' "$work/hirebridge.log" | tail -1)
    if [[ -n $web && -n $admin ]] && curl -fs "http://$admin/readyz" >/dev/null; then return; fi
    kill -0 "$hb_pid" 2>/dev/null || { cat "$work/hirebridge.log"; echo "hirebridge exited at start" >&2; exit 1; }
    sleep 0.2
  done
  cat "$work/hirebridge.log"
  echo "hirebridge not ready" >&2
  exit 1
}

# post BODY WANT: the answer's status (or error) must be WANT.
post() {
  local got
  got=$(curl -s -X POST "$web/webhooks/hirempire/$token" --data-binary "$1")
  [[ $got == *"\"$2\""* ]] || { echo "POST $1: got $got, want $2" >&2; return 1; }
}

# post_events UNDOCUMENTED: the documented examples, then what no typed
# consumer handles (a dead letter, the undocumented event given), a
# re-send, and a last event: once that is printed, everything before it
# was consumed. want is what a consumer prints for them.
post_events() {
  for f in testdata/hirempire/*.json; do
    [[ $f == */challenge.json ]] || post "@$f" published
  done
  post '{"event":"job_added","timestamp":"yesterday"}' invalid_timestamp
  post "$1" published
  # A re-send after the duplicate window is stored again, same ce-id: the
  # consumer must act on it once.
  sleep 1.5
  post @testdata/hirempire/job_added.json published
  post "$(sed 's/job_wx01yz23ab45cd67ef/job_last/' testdata/hirempire/job_deleted.json)" published
}
# shellcheck disable=SC2034 # read by the scripts that source this one
want="applicant_applied app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl
cv_upload_completed app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl
job_activated job_ab12cd34ef56gh78ij Product Designer
job_added job_kl23mn45op67qr89st Backend Engineer
job_deactivated job_ab12cd34ef56gh78ij Product Designer
job_deleted job_wx01yz23ab45cd67ef Marketing Manager
meeting_booked mtg_ab12cd34ef56gh78ij 30 min
job_deleted job_last Marketing Manager"
