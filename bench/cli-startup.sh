#!/usr/bin/env bash
# Median wall time of `reconcile validate PATH` as a user runs it (process start included).
# Usage: bench/cli-startup.sh [PATH] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
path=${1:-plans/examples}
runs=${2:-9}
dotnet build -c Release src/Cli >/dev/null
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  src/Cli/bin/Release/net10.0/reconcile validate "$path" >/dev/null || true
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" '{a[NR]=$1} END {printf "reconcile validate: median %d ms (min %d, max %d, %d runs)\n", a[int((n+1)/2)], a[1], a[n], n}'
