#!/usr/bin/env bash
# `reconcile compile` against `helm template` of the Helm peer chart (../shared/bench/helmpeer) on the same
# generated fleet, side by side: cold processes, alternating, median of RUNS; peak memory from
# /usr/bin/time (maximum resident set size). Benchmarks, not tests: nothing here asserts on time.
# Usage: bench/compile-vs-helm.sh [SIZES] [RUNS] [OUT]   e.g. bench/compile-vs-helm.sh 1000,10000 5 /tmp/bench
#   SIZES   VMs per fleet, comma-separated (20 clusters each; 50 clusters from 100000 VMs up)
#   OUT     where fleets, values and outputs go (default a temporary directory; removed at the end)
# OUT_ROOT: where compile writes its tree (default OUT; /dev/shm takes the disk out of the comparison).
# Needs: helm (bash .ci/install-tools helm), python3, /usr/bin/time, ../shared/bench beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-1000,10000}
runs=${2:-5}
work=${3:-$(mktemp -d)}
peer=../shared/bench
helm=${HELM:-.tools/helm/helm}
[ -x "$helm" ] || { echo "helm missing: bash .ci/install-tools helm" >&2; exit 2; }
[ -d "$peer/helmpeer" ] || { echo "the Helm peer chart is not at $peer/helmpeer" >&2; exit 2; }
dotnet build -c Release src/Cli >/dev/null
dotnet build -c Release bench/Reconcile.Bench >/dev/null
# RECONCILE_BIN: another build to measure, e.g. a ReadyToRun publish
# (dotnet publish src/Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o DIR).
reconcile=${RECONCILE_BIN:-src/Cli/bin/Release/net10.0/reconcile}
mkdir -p "$work"
out=${OUT_ROOT:-$work}

# One timed run: prints "SECONDS PEAK_KIB".
measure() { /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; cat "$work/time" >&2; exit 1; }; cat "$work/time"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "cores=$(nproc), $(dotnet --version), $(uname -sr), helm $("$helm" version --short)"
echo
echo "| VMs | clusters | files | reconcile compile s (median; min-max) | peak MiB | helm template s (median; min-max) | peak MiB | ratio |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for size in ${sizes//,/ }; do
  clusters=20; [ "$size" -ge 100000 ] && clusters=50
  fleet="$work/fleet-$size"
  rm -rf "$fleet" && dotnet bench/Reconcile.Bench/bin/Release/net10.0/Reconcile.Bench.dll --write "$size" "$fleet" --clusters "$clusters" >/dev/null
  python3 "$peer/helm_values.py" "$fleet" > "$work/values-$size.json"
  : > "$work/r" ; : > "$work/h"
  for _ in $(seq "$runs"); do
    rm -rf "$out/out-$size"
    measure "$reconcile" compile "$fleet" --out "$out/out-$size" --now 2027-03-01T00:00:00Z >> "$work/r"
    measure "$helm" template peer "$peer/helmpeer" -f "$work/values-$size.json" >> "$work/h"
  done
  files=$(find "$out/out-$size" -type f | wc -l)
  r=$(cut -d' ' -f1 "$work/r" | median); h=$(cut -d' ' -f1 "$work/h" | median)
  rmem=$(cut -d' ' -f2 "$work/r" | sort -n | tail -1); hmem=$(cut -d' ' -f2 "$work/h" | sort -n | tail -1)
  rrange="$(cut -d' ' -f1 "$work/r" | sort -n | head -1)-$(cut -d' ' -f1 "$work/r" | sort -n | tail -1)"
  hrange="$(cut -d' ' -f1 "$work/h" | sort -n | head -1)-$(cut -d' ' -f1 "$work/h" | sort -n | tail -1)"
  awk -v s="$size" -v c="$clusters" -v f="$files" -v r="$r" -v rr="$rrange" -v rm="$rmem" -v h="$h" -v hr="$hrange" -v hm="$hmem" \
    'BEGIN {printf "| %d | %d | %d | %.2f (%s) | %d | %.2f (%s) | %d | %.2f |\n", s, c, f, r, rr, rm/1024, h, hr, hm/1024, r/h}'
  rm -rf "$out/out-$size"
done
[ -n "${3:-}" ] || rm -rf "$work"
