#!/usr/bin/env bash
# Runs the README's TypeScript consumer (examples/consume-ts) end to end:
# installs it from its lock file, generates its types from the published
# schemas, compiles it, starts hirebridge against the machine's NATS server
# (127.0.0.1:4222, JetStream) under a stream and prefix of this run's own,
# posts the documented examples, and checks what the consumer prints; then
# that it finds the server through HIREBRIDGE_DATA_DIR/embedded-nats.url
# when NATS_URL is unset, and that a missing stream is one line on stderr
# (no stack trace) and exit status 1. Fails when anything is missing or
# differs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
nats_url=${NATS_URL:-nats://127.0.0.1:4222}

(cd examples/consume-ts && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm run --silent build)

work=$(mktemp -d)
suffix=$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')
stream=HB_TS_${suffix^^}
prefix=ts$suffix
hb_pid= consumer_pid=
cleanup() {
  # Only the processes this script started, by their ids.
  [[ -n $consumer_pid ]] && kill "$consumer_pid" 2>/dev/null || true
  if [[ -n $hb_pid ]]; then
    kill -TERM "$hb_pid" 2>/dev/null || true
    wait "$hb_pid" 2>/dev/null || true
  fi
  # The stream is this run's alone: removed so runs never pile up.
  (cd "$root/examples/consume-ts" && STREAM=$stream NATS_URL=$nats_url node --input-type=module -e '
    import { connect } from "@nats-io/transport-node";
    import { jetstreamManager } from "@nats-io/jetstream";
    const nc = await connect({ servers: process.env.NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(process.env.STREAM).catch(() => {});
    await nc.close();') || true
  rm -rf "$work"
}
trap cleanup EXIT

token=ts-consumer-token-0123456789abcdef
# shellcheck source=.ci/consumers/service.sh
. .ci/consumers/service.sh
start_hirebridge
# Not for a typed consumer: a dead letter and an undocumented type.
post_events '{"event":"note_added","timestamp":"2026-01-30T00:00:00Z","note":{"id":"n1"}}'

# consumer OUT ERR VAR=VALUE...: starts the consumer in the background
# with only the variables given (and PATH, HOME), so a NATS_URL of the
# caller's cannot leak in.
consumer() {
  local out=$1 err=$2
  shift 2
  (cd examples/consume-ts && exec env -i PATH="$PATH" HOME="$HOME" "$@" node dist/consume.js) >"$out" 2>"$err" &
  consumer_pid=$!
}
# await_last OUT ERR: waits until the consumer printed the last event,
# then stops it and checks it printed each event once.
await_last() {
  for _ in $(seq 100); do
    grep -q job_last "$1" && break
    kill -0 "$consumer_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill "$consumer_pid" 2>/dev/null || true
  wait "$consumer_pid" 2>/dev/null || true
  consumer_pid=
  if [[ $(cat "$1") != "$want" ]]; then
    echo "the TypeScript consumer printed:" >&2
    cat "$1" "$2" >&2
    echo "want:" >&2
    echo "$want" >&2
    exit 1
  fi
}

# 1. Given NATS_URL, each event once.
consumer "$work/out" "$work/err" NATS_URL="$nats_url" HIREBRIDGE_NATS_STREAM="$stream" HIREBRIDGE_TOPIC_PREFIX="$prefix"
await_last "$work/out" "$work/err"

# 2. Without NATS_URL, through the URL the embedded server records in its
# data directory (here the machine's server), under a durable of its own
# (CONSUMER_NAME), which reads the stream from its start.
mkdir -p "$work/found"
echo "$nats_url" >"$work/found/embedded-nats.url"
consumer "$work/found.out" "$work/found.err" HIREBRIDGE_DATA_DIR="$work/found" \
  HIREBRIDGE_NATS_STREAM="$stream" HIREBRIDGE_TOPIC_PREFIX="$prefix" CONSUMER_NAME=found
await_last "$work/found.out" "$work/found.err"
said="consume-ts: following stream $stream ($prefix.>) on $nats_url (recorded in $work/found/embedded-nats.url) as found; Ctrl-C stops"
if [[ $(cat "$work/found.err") != "$said" ]]; then
  echo "through HIREBRIDGE_DATA_DIR, the TypeScript consumer said:" >&2
  cat "$work/found.err" >&2
  echo "want: $said" >&2
  exit 1
fi

# 3. A missing stream: one line, no stack trace, exit status 1.
missing=${stream}_MISSING
rc=0
(cd examples/consume-ts && exec env -i PATH="$PATH" HOME="$HOME" NATS_URL="$nats_url" HIREBRIDGE_NATS_STREAM="$missing" \
  timeout 30 node dist/consume.js) >"$work/missing.out" 2>"$work/missing.err" || rc=$?
said="consume-ts: stream $missing not found on $nats_url (NATS_URL): is hirebridge running with the same HIREBRIDGE_NATS_STREAM?"
if [[ $rc != 1 || $(cat "$work/missing.err") != "$said" || -s $work/missing.out ]]; then
  echo "with a missing stream, the TypeScript consumer exited $rc, printing:" >&2
  cat "$work/missing.out" "$work/missing.err" >&2
  echo "want exit status 1 and only: $said" >&2
  exit 1
fi
echo "consume-ts: 3 passed, 0 failed"
