#!/usr/bin/env bash
# Steady-load check that hirebridge's memory does not grow with the number of
# events handled: a freshly started service with its DEFAULT settings (no
# GOGC, GOMEMLIMIT or budget override) takes distinct events from 64
# keep-alive connections as fast as it answers; its RSS, peak RSS and Go heap
# are read at each checkpoint and again after 30 s idle. Every answer must be
# 200 "published"; no memory threshold is asserted, the figures are reported.
# HIREBRIDGE_NATS_DUPLICATE_WINDOW, if set, is passed through so the window
# can be varied.
# Usage: .ci/loadtest/steady.sh [events] [checkpoints...]
#        (default 450000 events, checkpoints at a third and at the end)
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-450000}
shift || true
if [ $# -gt 0 ]; then
  checkpoints=$(IFS=,; echo "$*")
else
  checkpoints="$((events / 3)),$events"
fi
work=$(mktemp -d)
# Each step may fail (no job left to kill) without skipping the next: under
# set -e a failing command in the trap would end it early.
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# The defaults are the point: nothing inherited may tune the service, save
# the duplicate window this check is meant to vary.
window=${HIREBRIDGE_NATS_DUPLICATE_WINDOW-}
for v in $(compgen -e | grep -E '^(HIREBRIDGE_.*|GOGC|GOMEMLIMIT)$' || true); do unset "$v"; done
if [ -n "$window" ]; then export HIREBRIDGE_NATS_DUPLICATE_WINDOW=$window; fi

go build -o "$work/hirebridge" ./cmd/hirebridge
go build -o "$work/steady" ./.ci/loadtest/steady

. .ci/loadtest/lib.sh
url=http://127.0.0.1:18080/webhooks/hirempire/$loadtest_token
event=testdata/hirempire/applicant_applied.json

ready=1
start_service "$work/hirebridge.log" "$work/data" || ready=0
echo "== steady (hirebridge pid $pid, $(nproc) cores, HIREBRIDGE_NATS_DUPLICATE_WINDOW=${window:-default})"
ok=1
if [ $ready = 0 ]; then
  echo "FAIL: hirebridge did not become ready"
  ok=0
elif ! "$work/steady" -pid="$pid" -url="$url" -event="$event" -n="$events" \
    -checkpoints="$checkpoints" -window="${window:-default}"; then
  ok=0
fi
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: hirebridge exited during the run"
  ok=0
fi
echo "data directory after the run: $(du -sh "$work/data" 2>/dev/null | cut -f1)"
if [ $ok = 0 ]; then
  echo "-- last lines of the service's log:"
  tail -n 5 "$work/hirebridge.log"
  exit 1
fi
