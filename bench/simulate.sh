#!/usr/bin/env bash
# Median wall time of `reconcile simulate` on each example: the whole campaign run through the
# reconciler over HTTP against the simulator in simulated time (process start included).
# Usage: bench/simulate.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
dotnet build -c Release src/Cli >/dev/null
for example in node-drain onprem-to-cloud fra-to-sgp; do
  times=()
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    src/Cli/bin/Release/net10.0/reconcile simulate "plans/examples/$example" --now 2026-12-01T00:00:00Z >/tmp/reconcile-simulate.out 2>/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  makespan=$(grep -m1 '^Makespan' /tmp/reconcile-simulate.out)
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" -v e="$example" -v m="$makespan" \
    '{a[NR]=$1} END {printf "%-16s median %5d ms (min %d, max %d, %d runs)  %s\n", e, a[int((n+1)/2)], a[1], a[n], n, m}'
done
