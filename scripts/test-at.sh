#!/usr/bin/env bash
# Runs tests with the whole system's clock shifted so that it reads INSTANT when they start:
#   scripts/test-at.sh 2026-11-30T23:59:59Z [dotnet test arguments...]
# Without an instant: the last second of the previous month, then the first second of this one.
# Every process (the test host, silos, ingress, benchmark) reads the same Testing__ClockOffset.
set -euo pipefail
cd "$(dirname "$0")/.."

run_at() {
  local instant=$1; shift
  local offset_seconds=$(( $(date -u -d "$instant" +%s) - $(date -u +%s) ))
  local sign="" magnitude=$offset_seconds
  if (( magnitude < 0 )); then sign="-"; magnitude=$(( -magnitude )); fi
  local offset
  offset=$(printf '%s%d.%02d:%02d:%02d' "$sign" $(( magnitude / 86400 )) $(( magnitude % 86400 / 3600 )) $(( magnitude % 3600 / 60 )) $(( magnitude % 60 )))
  echo "== clock at $instant (Testing__ClockOffset=$offset)" >&2
  Testing__ClockOffset="$offset" dotnet test Orleans.sln "$@" || status=1
}

status=0

if [[ $# -gt 0 && $1 != -* ]]; then
  instant=$1; shift
  run_at "$instant" "$@"
else
  month_start=$(date -u +%Y-%m-01T00:00:00Z)
  last_second=$(date -u -d "$month_start - 1 second" +%Y-%m-%dT%H:%M:%SZ)
  run_at "$last_second" "$@"
  run_at "$month_start" "$@"
fi
exit "$status"
