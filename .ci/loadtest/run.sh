#!/usr/bin/env bash
# Load test: hirebridge on its embedded default (NATS JetStream in process)
# and on Kafka (franz-go's kfake broker) versus a do-nothing Go HTTP handler
# and a hand-written receiver (decode, synchronous publish), same machine,
# same run, same client settings. Needs wrk and hey (Debian
# packages). Usage: .ci/loadtest/run.sh [duration] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-20s}
conns=${2:-64}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/hirebridge" ./cmd/hirebridge
go build -o "$work/noop" ./.ci/loadtest/noop
go build -o "$work/kfake" ./sinks/kafka/kafkatest/kfakecmd
go build -o "$work/naive" ./.ci/loadtest/naive

token=loadtest-token-0123456789
HIREBRIDGE_HTTP_ADDR=127.0.0.1:18080 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:19090 \
HIREBRIDGE_NATS_EMBEDDED_ADDR=127.0.0.1:0 HIREBRIDGE_DATA_DIR="$work/data" \
HIREBRIDGE_WEBHOOK_TOKEN=$token HIREBRIDGE_LOG_LEVEL=warn \
  "$work/hirebridge" >"$work/hirebridge.log" 2>&1 &
"$work/noop" 127.0.0.1:18090 &
# kfakecmd runs until its standard input closes: the trap's kill of sleep
# closes it.
sleep 86400 | "$work/kfake" 19092 >/dev/null &
# Started directly, not after && in a subshell, so the trap stops it too.
mkdir -p "$work/naive-data"
"$work/naive" 127.0.0.1:18091 "$work/naive-data" &
sleep 0.5
HIREBRIDGE_SINK=kafka HIREBRIDGE_KAFKA_BROKERS=127.0.0.1:19092 \
HIREBRIDGE_HTTP_ADDR=127.0.0.1:18081 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:19091 \
HIREBRIDGE_WEBHOOK_TOKEN=$token HIREBRIDGE_LOG_LEVEL=warn \
  "$work/hirebridge" >"$work/hirebridge-kafka.log" 2>&1 &
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:19090/readyz >/dev/null && curl -sf http://127.0.0.1:19091/readyz >/dev/null &&
    curl -s http://127.0.0.1:18090/ >/dev/null && curl -s http://127.0.0.1:18091/ >/dev/null && break
  sleep 0.2
done

body=testdata/hirempire/applicant_applied.json
echo "body: $(wc -c <"$body") bytes applicant_applied; $conns connections; $duration each; $(nproc) cores"
run() {
  local name=$1 url=$2
  echo "== $name: wrk, distinct events"
  BODY_FILE=$body wrk -t2 -c"$conns" -d"$duration" --latency -s .ci/loadtest/distinct.lua "$url" |
    grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors'
  echo "== $name: hey, the same body (duplicates after the first)"
  hey -z "$duration" -c "$conns" -m POST -D "$body" -T application/json "$url" |
    grep -E 'Requests/sec|(50|90|99)% in|^ +\[[0-9]{3}\]' 
}
run noop "http://127.0.0.1:18090/webhooks/hirempire/$token"
run "hand-written (decode, sync publish)" "http://127.0.0.1:18091/webhooks/hirempire/$token"
run "hirebridge, NATS (embedded)" "http://127.0.0.1:18080/webhooks/hirempire/$token"
run "hirebridge, Kafka (kfake)" "http://127.0.0.1:18081/webhooks/hirempire/$token"
for admin in 19090 19091; do
  echo "== counted on :$admin: $(curl -s http://127.0.0.1:$admin/metrics | grep '^hirebridge_events_total' | tr '\n' ' ')"
done
