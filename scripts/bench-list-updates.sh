#!/usr/bin/env bash
# Fail-safe list updates, whole program: how long shelterd takes to notice, read, check, build
# and keep a new version of a 1M-name list (the file check), with last good versions kept in a
# state directory (written and fsynced) against kept in memory only, alternating in one run; and
# how long a refused version (junk) takes, its last good version fed instead.
#
# Usage: scripts/bench-list-updates.sh [BUILD_DIR]   (env: DOMAINS=1000000 ROUNDS=3)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
shelterd="$root/$build/proxy/shelterd"
domains=${DOMAINS:-1000000} rounds=${ROUNDS:-3}
work=$(mktemp -d /tmp/shelter-updates.XXXXXX)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work" "$domains" <<'PY'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
random.seed(11)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
with open(f"{work}/big.txt", "w") as f:
    for i in range(n):
        label = "".join(random.choice(alphabet) for _ in range(random.randrange(6, 16)))
        f.write(f"{label}{i}.{random.choice(['com','net','org','info','test'])}\n")
with open(f"{work}/junk.txt", "wb") as f:
    f.write(bytes(random.randrange(1, 256) for _ in range(65536)))
PY

# One daemon per mode; each round writes a new version (one name more) and a junk version.
run_mode() {  # mode: state | memory
  local mode=$1 state=""
  [[ $mode == state ]] && state="  state-directory: $work/state-$RANDOM"
  cat > "$work/$mode.yaml" <<CONF
upstream:
  servers: ["127.0.0.1:9"]
dns:
  listen: ["127.0.0.1:25320"]
admin:
  listen: null
list-updates:
  check-interval: 100ms
$state
lists:
  - id: big
    path: $work/big.txt
    category: adult
CONF
  "$shelterd" --config "$work/$mode.yaml" 2>"$work/$mode.log" &
  pid=$!
  for _ in $(seq 100); do grep -q "shelterd: ready" "$work/$mode.log" && break; sleep 0.1; done
  for r in $(seq "$rounds"); do
    echo "extra$r-$RANDOM.test" >> "$work/big.txt"
    for _ in $(seq 100); do [[ $(grep -c "lists: swapped in" "$work/$mode.log") -ge $((r * 2 - 1)) ]] && break; sleep 0.1; done
    cp "$work/big.txt" "$work/big.good"
    cp "$work/junk.txt" "$work/big.txt.tmp" && mv "$work/big.txt.tmp" "$work/big.txt"
    for _ in $(seq 100); do [[ $(grep -c "lists: partial" "$work/$mode.log") -ge $r ]] && break; sleep 0.1; done
    cp "$work/big.good" "$work/big.txt.tmp" && mv "$work/big.txt.tmp" "$work/big.txt"
    for _ in $(seq 100); do [[ $(grep -c "lists: swapped in" "$work/$mode.log") -ge $((r * 2)) ]] && break; sleep 0.1; done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "== $mode: new version (read and checked / kept), ms"
  grep "lists: swapped in" "$work/$mode.log" | awk 'NR % 2 == 1' |
    sed -E 's/.*read and checked in ([0-9.]+) ms, kept in ([0-9.]+) ms.*/\1 \2/'
  echo "== $mode: junk refused, last good fed instead (read and checked / kept), ms"
  grep "lists: partial" "$work/$mode.log" |
    sed -E 's/.*read and checked in ([0-9.]+) ms, kept in ([0-9.]+) ms.*/\1 \2/'
}

for r in 1; do run_mode memory; run_mode state; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
