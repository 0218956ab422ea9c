#!/usr/bin/env bash
# Spool drain rate, on both brokers: hirebridge with the spool on in front
# of an external broker (nats-server with JetStream, built from the module's
# nats-server; or franz-go's kfake), the broker paused (SIGSTOP) while
# EVENTS distinct 2 KB applicant_applied events are posted (each answered
# 202 spooled), then resumed (SIGCONT): the time from the resume to an
# empty spool (hirebridge_spool_events 0), without new load and with 1,000
# new events a second posted meanwhile (the backlog must shrink). Issue
# 22's targets: at least 5,000 events/s on Kafka and 15,000 on NATS from a
# backlog of 100,000. Medians of the rounds.
# Usage: .ci/loadtest/spooldrain.sh [events] [rounds]
# BROKERS chooses the brokers (default: nats kafka).
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-100000}
rounds=${2:-3}
work=$(mktemp -d)
bpid=
# A paused broker is resumed first: stopped, it would not see its pipe
# close.
trap '[ -z "$bpid" ] || kill -CONT "$bpid" 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/hirebridge" ./cmd/hirebridge
go build -o "$work/kfake" ./sinks/kafka/kafkatest/kfakecmd
go build -o "$work/nats-server" ./sinks/natsjs/natstest/natsservercmd
go build -o "$work/spooldrain" ./.ci/loadtest/spooldrain

token=loadtest-token-0123456789
read -ra brokers <<<"${BROKERS:-nats kafka}"
echo "spool drain: $events events of $(wc -c <testdata/hirempire/applicant_applied.json) bytes, $rounds rounds, $(nproc) cores"

for broker in "${brokers[@]}"; do
  # The broker and its bridge, fresh for each broker.
  case $broker in
  nats)
    # Both end with the pipe of sleep, killed by the trap.
    sleep 86400 | "$work/nats-server" -js -a 127.0.0.1 -p 14222 -sd "$work/nats" >"$work/nats.log" 2>&1 &
    bpid=$!
    env=(HIREBRIDGE_NATS_URL=nats://127.0.0.1:14222)
    ;;
  kafka)
    sleep 86400 | "$work/kfake" 19192 >/dev/null 2>&1 &
    bpid=$!
    env=(HIREBRIDGE_SINK=kafka HIREBRIDGE_KAFKA_BROKERS=127.0.0.1:19192)
    ;;
  *)
    echo "unknown broker $broker" >&2
    exit 2
    ;;
  esac
  # $! is the pipeline's last process: the broker itself, which SIGSTOP
  # pauses.
  sleep 1
  env "${env[@]}" HIREBRIDGE_SPOOL=true HIREBRIDGE_SPOOL_AFTER=300ms \
    HIREBRIDGE_HTTP_ADDR=127.0.0.1:18180 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:19190 \
    HIREBRIDGE_DATA_DIR="$work/data-$broker" HIREBRIDGE_WEBHOOK_TOKEN=$token HIREBRIDGE_LOG_LEVEL=warn \
    "$work/hirebridge" >"$work/hirebridge-$broker.log" 2>&1 &
  hpid=$!
  for _ in $(seq 100); do
    curl -sf http://127.0.0.1:19190/readyz >/dev/null && break
    sleep 0.2
  done
  for round in $(seq "$rounds"); do
    for rate in 0 1000; do
      out=$("$work/spooldrain" -url "http://127.0.0.1:18180/webhooks/hirempire/$token" \
        -metrics http://127.0.0.1:19190/metrics -events "$events" -rate "$rate" \
        -pause "kill -STOP $bpid" -resume "kill -CONT $bpid") || {
        echo "$out"
        echo "-- last lines of the service's log:"
        tail -n 5 "$work/hirebridge-$broker.log"
        exit 1
      }
      line=$(tail -n 1 <<<"$out")
      echo "round $round $broker, $rate new/s: $line"
      # The rate from the resume, then from the first event forwarded.
      awk -v b="$broker" -v r="$rate" '{ n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^events\/s/) v[++n] = $(i - 1); print b, r, v[1], v[2] }' <<<"$line" >>"$work/results"
    done
  done
  kill "$hpid"
  wait "$hpid" 2>/dev/null || true
  kill -CONT "$bpid" 2>/dev/null || true
  kill "$bpid" 2>/dev/null || true
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "| broker | new events during the drain | drain rate from the resume (median) | from the first event forwarded |"
echo "| --- | ---: | ---: | ---: |"
for broker in "${brokers[@]}"; do
  for rate in 0 1000; do
    m=$(awk -v b="$broker" -v r="$rate" '$1 == b && $2 == r { print $3 }' "$work/results" | median)
    f=$(awk -v b="$broker" -v r="$rate" '$1 == b && $2 == r { print $4 }' "$work/results" | median)
    echo "| $broker | $rate/s | $m events/s | $f events/s |"
  done
done
