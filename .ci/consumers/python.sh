#!/usr/bin/env bash
# Runs the manual's Python consumer (examples/consume-python) end to end:
# starts hirebridge against the machine's NATS server (127.0.0.1:4222,
# JetStream) under a stream and prefix of this run's own, posts the
# documented examples, a dead letter, an undocumented type and a re-sent
# event, pipes `hirebridge tail -all` into the consumer and checks what it
# prints (and that it complains of nothing); then that it refuses a time
# that is not an RFC 3339 date-time. Fails when anything is missing or
# differs. PYTHON names the interpreter (python3 by default), which needs
# jsonschema (Debian: python3-jsonschema).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}
nats_url=${NATS_URL:-nats://127.0.0.1:4222}
consumer=examples/consume-python/consume.py

"$python" -c 'import jsonschema' || {
  echo "$python cannot import jsonschema: apt-get install python3-jsonschema" >&2
  exit 1
}

work=$(mktemp -d)
suffix=$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')
stream=HB_PY_${suffix^^}
prefix=py$suffix
hb_pid= tail_pid= consumer_pid=
cleanup() {
  # Only the processes this script started, by their ids.
  for pid in $tail_pid $consumer_pid; do kill "$pid" 2>/dev/null || true; done
  if [[ -n $hb_pid ]]; then
    kill -TERM "$hb_pid" 2>/dev/null || true
    wait "$hb_pid" 2>/dev/null || true
  fi
  # The stream is this run's alone: removed so runs never pile up. A
  # JetStream API request in NATS's text protocol: no client library.
  "$python" - "$nats_url" "$stream" <<'EOF' || true
import socket, sys
from urllib.parse import urlsplit
server = sys.argv[1].split(",")[0]
url = urlsplit(server if "://" in server else "nats://" + server)
with socket.create_connection((url.hostname, url.port or 4222), timeout=5) as s:
    s.sendall(b'CONNECT {"verbose":false}\r\nSUB _INBOX.py_delete 1\r\n'
              b"PUB $JS.API.STREAM.DELETE." + sys.argv[2].encode() + b" _INBOX.py_delete 0\r\n\r\n")
    reply = b""
    while b"MSG _INBOX.py_delete" not in reply or not reply.endswith(b"}\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
if b'"success":true' not in reply:
    print("deleting the stream", sys.argv[2], "failed:", reply.decode(errors="replace"), file=sys.stderr)
EOF
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/hirebridge" ./cmd/hirebridge
token=py-consumer-token-0123456789abcdef
service_env=(env -i PATH="$PATH" HOME="$HOME"
  HIREBRIDGE_NATS_URL="$nats_url" HIREBRIDGE_NATS_STREAM="$stream" HIREBRIDGE_TOPIC_PREFIX="$prefix"
  HIREBRIDGE_DATA_DIR="$work/data" HIREBRIDGE_WEBHOOK_TOKEN=$token)
"${service_env[@]}" HIREBRIDGE_HTTP_ADDR=127.0.0.1:0 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:0 \
  HIREBRIDGE_NATS_DUPLICATE_WINDOW=1s HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE=0 \
  "$work/hirebridge" >"$work/hirebridge.log" 2>&1 &
hb_pid=$!

# The bound addresses are in the start-up log (the config line before
# them holds the configured ones, port 0).
web= admin=
for _ in $(seq 100); do
  web=$(sed -n 's|.*"webhook_url":"\(http://[^/"]*\)/.*|\1|p' "$work/hirebridge.log" | tail -1)
  admin=$(sed -n 's|.*"admin_addr":"\([^"]*\)".*|\1|p' "$work/hirebridge.log" | tail -1)
  if [[ -n $web && -n $admin ]] && curl -fs "http://$admin/readyz" >/dev/null; then break; fi
  kill -0 "$hb_pid" 2>/dev/null || { cat "$work/hirebridge.log"; echo "hirebridge exited at start" >&2; exit 1; }
  sleep 0.2
done
[[ -n $admin ]] && curl -fs "http://$admin/readyz" >/dev/null || { cat "$work/hirebridge.log"; echo "hirebridge not ready" >&2; exit 1; }

# post BODY WANT: the answer's status (or error) must be WANT.
post() {
  local got
  got=$(curl -s -X POST "$web/webhooks/hirempire/$token" --data-binary "$1")
  [[ $got == *"\"$2\""* ]] || { echo "POST $1: got $got, want $2" >&2; return 1; }
}
for f in testdata/hirempire/*.json; do
  [[ $f == */challenge.json ]] || post "@$f" published
done
# Skipped by the consumer: a dead letter, and an undocumented type (checked
# against schema/schemas/undocumented/event.json, not printed).
post '{"event":"job_added","timestamp":"yesterday"}' invalid_timestamp
post '{"event":"Candidate.Hired","timestamp":"2026-01-30T00:00:00+01:00","candidate":{"id":"c1"}}' published
# A re-send after the duplicate window is stored again, same ce-id: the
# consumer must act on it once.
sleep 1.5
post @testdata/hirempire/job_added.json published
# Last, so once it is printed everything before it was consumed.
post "$(sed 's/job_wx01yz23ab45cd67ef/job_last/' testdata/hirempire/job_deleted.json)" published

want="applicant_applied app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl
cv_upload_completed app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl
job_activated job_ab12cd34ef56gh78ij Product Designer
job_added job_kl23mn45op67qr89st Backend Engineer
job_deactivated job_ab12cd34ef56gh78ij Product Designer
job_deleted job_wx01yz23ab45cd67ef Marketing Manager
meeting_booked mtg_ab12cd34ef56gh78ij 30 min
job_deleted job_last Marketing Manager"

# tail -all | consume.py, through a pipe of this script's, so that both
# ids are known.
mkfifo "$work/lines"
touch "$work/out" "$work/err"
HIREBRIDGE_TOPIC_PREFIX=$prefix "$python" "$consumer" <"$work/lines" >"$work/out" 2>"$work/err" &
consumer_pid=$!
"${service_env[@]}" "$work/hirebridge" tail -all >"$work/lines" 2>"$work/tail.log" &
tail_pid=$!
for _ in $(seq 100); do
  grep -q job_last "$work/out" && break
  kill -0 "$consumer_pid" 2>/dev/null && kill -0 "$tail_pid" 2>/dev/null || break
  sleep 0.2
done
if [[ $(cat "$work/out") != "$want" || -s $work/err ]]; then
  echo "hirebridge tail -all | $consumer printed:" >&2
  cat "$work/out" "$work/err" "$work/tail.log" >&2
  echo "want:" >&2
  echo "$want" >&2
  exit 1
fi

# A time without an offset is no RFC 3339 date-time: refused, so formats
# are checked (jsonschema checks none unless told how).
bad=$("$python" -c '
import json, sys
ev = json.load(open(sys.argv[1]))
ev["timestamp"] = "2026-01-30T00:14:56.395"
print(json.dumps({"subject": "hirempire.job_added", "headers": {"ce-id": "0" * 32, "ce-type": "com.hirempire.job_added"}, "data": ev}))
' testdata/hirempire/job_added.json)
got=$("$python" "$consumer" <<<"$bad" 2>&1)
if [[ $got != *"\$.timestamp: '2026-01-30T00:14:56.395' is not a 'date-time'"* ]]; then
  echo "$consumer on a timestamp without an offset printed:" >&2
  echo "$got" >&2
  exit 1
fi
echo "consume-python: 9 passed, 0 failed ($("$python" -c 'import importlib.metadata as m; print("jsonschema", m.version("jsonschema"))'))"
