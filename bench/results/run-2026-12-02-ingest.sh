#!/bin/sh
# Rollup cost and plain ingest, 2026-12-02: one script, one after the other, load noted before each.
cd "$(dirname "$0")/../.."
out=bench/results/2026-12-02-ingest.txt
: > "$out"
run() {
    echo "== $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/') :: $*" >> "$out"
    dotnet run -c Release --no-build --project bench/Bench -- "$@" >> "$out" 2>/dev/null
}
run rollup-cost --store sqlite --rounds 2
run rollup-cost --store postgres --rounds 2
run ingest --duration 20
run ingest --store postgres --silos 1 --duration 20
run ingest --duration 20
run ingest --store postgres --silos 1 --duration 20
echo "== $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/') :: done" >> "$out"
