#!/usr/bin/env bash
# Hostile-load check of two promises, each on a freshly started hirebridge
# with its DEFAULT memory settings (no GOGC, GOMEMLIMIT or budget override):
#   flood: 128 connections of ~1 MiB tiny-value bodies; RSS stays under
#          256 MiB, answers are 413/422/503, normal events pass afterwards.
#   slow:  1,100 connections trickling their bodies; 99% of normal events
#          sent meanwhile still get 200.
# Usage: .ci/loadtest/flood.sh [duration]   (default 20s; keep it under the
# service's 30s read timeout, or the slow connections are cut).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-20s}
work=$(mktemp -d)
# Each step may fail (no job left to kill) without skipping the next: under
# set -e a failing command in the trap would end it early.
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# The defaults are the point: nothing inherited may tune the service.
for v in $(compgen -e | grep -E '^(HIREBRIDGE_.*|GOGC|GOMEMLIMIT)$' || true); do unset "$v"; done
# 1,100 slow connections need as many descriptors on each side.
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n "$(ulimit -Hn)"

go build -o "$work/hirebridge" ./cmd/hirebridge
go build -o "$work/flood" ./.ci/loadtest/flood

. .ci/loadtest/lib.sh
url=http://127.0.0.1:18080/webhooks/hirempire/$loadtest_token
event=testdata/hirempire/applicant_applied.json

# scenario MODE: a fresh service (empty data dir), the flood program against
# it, then the service stopped. Records PASS/FAIL in $summary.
summary=""
failed=0
scenario() {
  local mode=$1 pid ok=1
  rm -rf "$work/data"
  local ready=1
  start_service "$work/$mode.log" "$work/data" || ready=0
  echo "== $mode (hirebridge pid $pid, $(nproc) cores)"
  if [ $ready = 0 ]; then
    echo "FAIL: hirebridge did not become ready"
    ok=0
  elif ! "$work/flood" -mode="$mode" -pid="$pid" -url="$url" -event="$event" -d="$duration"; then
    ok=0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: hirebridge exited during the run"
    ok=0
  fi
  if [ $ok = 0 ]; then
    echo "-- last lines of the service's log:"
    tail -n 5 "$work/$mode.log"
    summary+="$mode: FAIL"$'\n'
    failed=1
  else
    summary+="$mode: PASS"$'\n'
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

scenario flood
scenario slow
echo "== summary ($duration each)"
printf '%s' "$summary"
exit $failed
