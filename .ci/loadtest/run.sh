#!/usr/bin/env bash
# Load test: hirebridge on its embedded default (NATS JetStream in process)
# and on Kafka (franz-go's kfake broker) against a do-nothing Go HTTP
# handler and a hand-written receiver for each broker (decode to a map,
# synchronous JetStream publish to an embedded server; or synchronous
# kafka-go WriteMessages, acks=all, 1 ms batches, to the same kfake process
# as hirebridge's; no checks), same machine, same run, same client
# settings: wrk, 2 threads, distinct 2 KB applicant_applied events, each
# target once per round in turn, medians of the rounds, peak RSS of each
# process over the whole run. Needs wrk (Debian package).
# Usage: .ci/loadtest/run.sh [duration per round] [connections] [rounds]
# TARGETS chooses and orders the targets (default: noop naive nats
# naivekafka kafka), e.g. TARGETS="naivekafka kafka" for Kafka alone. The
# hirebridge processes inherit the environment: HIREBRIDGE_PPROF=true
# serves the profiler on their admin ports (19090 NATS, 19091 Kafka).
# Then, once those are stopped, the spool's drain rate on both brokers
# (spooldrain.sh, as many rounds): DRAIN_EVENTS spooled each round
# (default 100000; 0 leaves the drain out).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10s}
conns=${2:-64}
rounds=${3:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/hirebridge" ./cmd/hirebridge
go build -o "$work/noop" ./.ci/loadtest/noop
go build -o "$work/kfake" ./sinks/kafka/kafkatest/kfakecmd
go build -o "$work/naive" ./.ci/loadtest/naive
go build -o "$work/naivekafka" ./.ci/loadtest/naivekafka

token=loadtest-token-0123456789
declare -A pid url
HIREBRIDGE_HTTP_ADDR=127.0.0.1:18080 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:19090 \
HIREBRIDGE_NATS_EMBEDDED_ADDR=127.0.0.1:0 HIREBRIDGE_DATA_DIR="$work/data" \
HIREBRIDGE_WEBHOOK_TOKEN=$token HIREBRIDGE_LOG_LEVEL=warn \
  "$work/hirebridge" >"$work/hirebridge.log" 2>&1 &
pid[nats]=$!
"$work/noop" 127.0.0.1:18090 &
pid[noop]=$!
# kfakecmd runs until its standard input closes: the trap's kill of sleep
# closes it.
sleep 86400 | "$work/kfake" 19092 >/dev/null &
pid[kfake]=$!
mkdir -p "$work/naive-data"
"$work/naive" 127.0.0.1:18091 "$work/naive-data" &
pid[naive]=$!
sleep 0.5
"$work/naivekafka" 127.0.0.1:18092 127.0.0.1:19092 &
pid[naivekafka]=$!
HIREBRIDGE_SINK=kafka HIREBRIDGE_KAFKA_BROKERS=127.0.0.1:19092 \
HIREBRIDGE_HTTP_ADDR=127.0.0.1:18081 HIREBRIDGE_ADMIN_ADDR=127.0.0.1:19091 \
HIREBRIDGE_WEBHOOK_TOKEN=$token HIREBRIDGE_LOG_LEVEL=warn \
  "$work/hirebridge" >"$work/hirebridge-kafka.log" 2>&1 &
pid[kafka]=$!
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:19090/readyz >/dev/null && curl -sf http://127.0.0.1:19091/readyz >/dev/null &&
    curl -s http://127.0.0.1:18090/ >/dev/null && curl -s http://127.0.0.1:18091/ >/dev/null && curl -s http://127.0.0.1:18092/ >/dev/null && break
  sleep 0.2
done
url[noop]=http://127.0.0.1:18090/webhooks/hirempire/$token
url[naive]=http://127.0.0.1:18091/webhooks/hirempire/$token
url[nats]=http://127.0.0.1:18080/webhooks/hirempire/$token
url[naivekafka]=http://127.0.0.1:18092/webhooks/hirempire/$token
url[kafka]=http://127.0.0.1:18081/webhooks/hirempire/$token
read -ra targets <<<"${TARGETS:-noop naive nats naivekafka kafka}"
declare -A label=(
  [noop]="do-nothing Go handler"
  [naive]="hand-written receiver (map, sync JetStream publish, no checks)"
  [nats]="hirebridge, embedded default"
  [naivekafka]="hand-written kafka-go bridge (map, sync write, acks=all, 1 ms batches, no checks)"
  [kafka]="hirebridge, Kafka (kfake)"
)
# hand[t] is the hand-written bridge t is compared with: the one on the
# same broker.
declare -A hand=([noop]=naive [naive]=naive [nats]=naive [naivekafka]=naivekafka [kafka]=naivekafka)
on_kafka() { [ "$1" = kafka ] || [ "$1" = naivekafka ]; }

body=testdata/hirempire/applicant_applied.json
echo "body: $(wc -c <"$body") bytes applicant_applied, distinct; $conns connections; $rounds rounds of $duration; $(nproc) cores"

# cpu_ticks PID: the user and system CPU time a process has used, in clock
# ticks, from /proc.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# wrk prints the 99th percentile with its unit; p99ms converts it.
p99ms() {
  awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else { sub(/s$/, "", v); v *= 1000 }; printf "%.1f", v }'
}
for round in $(seq "$rounds"); do
  for t in "${targets[@]}"; do
    before=$(cpu_ticks "${pid[$t]}") kfake_before=$(cpu_ticks "${pid[kfake]}")
    out=$(BODY_FILE=$body wrk -t2 -c"$conns" -d"$duration" --latency -s .ci/loadtest/distinct.lua "${url[$t]}")
    cpu=$(($(cpu_ticks "${pid[$t]}") - before)) kfake_cpu=$(($(cpu_ticks "${pid[kfake]}") - kfake_before))
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    # CPU per request, in µs, of the target's process (and of kfake for
    # the Kafka target, the broker apart).
    cpu_us=$(awk -v c="$cpu" -v n="$requests" -v hz="$hz" 'BEGIN { printf "%d", c / hz * 1e6 / n }')
    on_kafka "$t" && cpu_us="$cpu_us+$(awk -v c="$kfake_cpu" -v n="$requests" -v hz="$hz" 'BEGIN { printf "%d", c / hz * 1e6 / n }')"
    rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
    p99=$(p99ms <<<"$out")
    bad=$(awk '/Non-2xx/ { print $NF } END { }' <<<"$out")
    errors=$(awk '/Socket errors/ { print }' <<<"$out")
    echo "$t $rps $p99 ${bad:-0} $cpu_us" >>"$work/results"
    echo "round $round $t: $rps req/s, p99 $p99 ms, non-2xx ${bad:-0}, CPU per request $cpu_us µs $errors"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
peak_rss() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
declare -A med_rps
echo
echo "| target | req/s | × do-nothing | × hand-written (same broker) | p99 | non-2xx | CPU per request | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in "${targets[@]}"; do
  med_rps[$t]=$(awk -v t="$t" '$1 == t { print $2 }' "$work/results" | median)
done
# A comparison with a target not run is left empty (0).
for t in noop naive naivekafka; do
  med_rps[$t]=${med_rps[$t]:-0}
done
for t in "${targets[@]}"; do
  p99=$(awk -v t="$t" '$1 == t { print $3 }' "$work/results" | median)
  bad=$(awk -v t="$t" '$1 == t { s += $4 } END { print s }' "$work/results")
  cpu=$(awk -v t="$t" '$1 == t { print $5 }' "$work/results" | sort -t+ -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  rss="$(peak_rss "${pid[$t]}") MiB"
  if on_kafka "$t"; then
    rss="$rss (kfake $(peak_rss "${pid[kfake]}") MiB)"
    cpu="$cpu µs (bridge + kfake)"
  else
    cpu="$cpu µs"
  fi
  awk -v l="${label[$t]}" -v r="${med_rps[$t]}" -v n="${med_rps[noop]}" -v h="${med_rps[${hand[$t]}]}" -v p="$p99" -v b="$bad" -v c="$cpu" -v m="$rss" \
    'function x(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "" }
    BEGIN { printf "| %s | %d | %s | %s | %s ms | %d | %s | %s |\n", l, r, x(r, n), x(r, h), p, b, c, m }'
done
for admin in 19090 19091; do
  echo "counted on :$admin: $(curl -s http://127.0.0.1:$admin/metrics | grep '^hirebridge_events_total' | tr '\n' ' ')"
done

# The spool's drain rate, with the request targets stopped first: a
# drain measured beside idle bridges and a kfake holding gigabytes would
# share the cores with their collectors.
drain_events=${DRAIN_EVENTS:-100000}
if [ "$drain_events" -gt 0 ]; then
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  echo
  .ci/loadtest/spooldrain.sh "$drain_events" "$rounds"
fi
