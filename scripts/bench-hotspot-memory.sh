#!/usr/bin/env bash
# shelterd's memory on a hotspot gateway (docs/deploy-hotspot.md, "Memory"): the namespace test
# (tests/integration/test_netns_hotspot.py: the shipped deploy/hotspot configuration, one list of
# 1 M synthetic names) run RUNS times; prints each run's VmRSS (steady, 1 s after ready) and
# VmHWM (peak) and the median with min-max of each. Root (network namespaces).
# Usage: bash scripts/bench-hotspot-memory.sh [BUILD_DIR] (default build); RUNS=3.
set -euo pipefail
build=${1:-build}
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 1; i <= runs; i++)); do
  python3 "$here/tests/integration/test_netns_hotspot.py" --shelterd "$build/proxy/shelterd" |
    tee /dev/stderr | grep '^MEMORY' >>"$out" || { echo "run $i failed" >&2; exit 1; }
done
python3 - "$out" <<'PY'
import re, statistics, sys
rows = [tuple(map(float, re.search(r"VmRSS ([\d.]+) MiB.*VmHWM ([\d.]+) MiB", l).groups()))
        for l in open(sys.argv[1])]
for i, (rss, hwm) in enumerate(rows, 1):
    print(f"run {i}: VmRSS {rss:.1f} MiB, VmHWM {hwm:.1f} MiB")
for name, col in (("VmRSS steady", 0), ("VmHWM peak", 1)):
    v = [r[col] for r in rows]
    print(f"{name}: median {statistics.median(v):.1f} MiB (min {min(v):.1f}, max {max(v):.1f})")
PY
