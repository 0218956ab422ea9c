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

token=py-consumer-token-0123456789abcdef
# tail reads the service's own settings.
service_env=(env -i PATH="$PATH" HOME="$HOME"
  HIREBRIDGE_NATS_URL="$nats_url" HIREBRIDGE_NATS_STREAM="$stream" HIREBRIDGE_TOPIC_PREFIX="$prefix"
  HIREBRIDGE_DATA_DIR="$work/data" HIREBRIDGE_WEBHOOK_TOKEN=$token)
# shellcheck source=.ci/consumers/service.sh
. .ci/consumers/service.sh
start_hirebridge
# Skipped by the consumer: a dead letter, and an undocumented type (checked
# against schema/schemas/undocumented/event.json, not printed).
post_events '{"event":"Candidate.Hired","timestamp":"2026-01-30T00:00:00+01:00","candidate":{"id":"c1"}}'

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
