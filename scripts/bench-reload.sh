#!/usr/bin/env bash
# List-engine whole-program benchmark: compile 1 M domains + 100 k URL entries, then run
# shelterd on the snapshot under a steady dnsperf load while the snapshot file is replaced
# every two seconds. Reports compile time and peak memory, the time to map and check a
# snapshot, queries lost during the swaps, and shelterd's resident memory before and during.
#
# Usage: scripts/bench-reload.sh [BUILD_DIR]   (env: DOMAINS=1000000 URLS=100000 SECONDS=20
#                                                QPS=20000 SWAPS_EVERY=2)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
shelterd="$root/$build/proxy/shelterd"
compiler="$root/$build/tools/shelter-compile"
domains=${DOMAINS:-1000000} urls=${URLS:-100000} run_seconds=${SECONDS_RUN:-20}
qps=${QPS:-20000} every=${SWAPS_EVERY:-2}
work=$(mktemp -d /tmp/shelter-reload.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
PORT=25310 ADMIN=25311

python3 - "$work" "$domains" "$urls" <<'PY'
import random, sys
work, n, u = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(11)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
def label(lo, hi):
    return "".join(random.choice(alphabet) for _ in range(random.randrange(lo, hi)))
names = []
with open(f"{work}/domains.txt", "w") as f:
    for i in range(n):
        name = f"{label(6, 16)}{i}.{random.choice(['com','net','org','info','test'])}"
        names.append(name)
        f.write(name + "\n")
hosts = []
with open(f"{work}/urls.csv", "w") as f:
    f.write("url,category,id\n")
    for i in range(u):
        host = f"h{i % (u // 10 or 1)}.{label(5, 10)}.share.test" if i % 10 else f"host{i}.share.test"
        hosts.append(host)
        f.write(f"http://{host}/{label(3, 8)}/{label(4, 12)}.html,csam,{i}\n")
with open(f"{work}/queries.txt", "w") as f:
    for i in range(200000):
        if i % 4 == 3:
            f.write(f"{random.choice(hosts)} A\n")             # steered (URL entries only)
        else:
            f.write(f"www.{random.choice(names)} A\n")        # blocked via a parent
PY

cat > "$work/lists.yaml" <<CONF
upstream:
  servers: ["127.0.0.1:9"]
lists:
  - id: big
    path: $work/domains.txt
    category: adult
  - id: iwf-urls
    format: urls
    path: $work/urls.csv
    category: csam
    legal: true
    authority: Bench
CONF

echo "== compile"
/usr/bin/time -f "%e s elapsed, %M KiB peak RSS" "$compiler" --config "$work/lists.yaml" \
  --output "$work/a.snap" 2>&1 | tail -3
echo "extra.test" >> "$work/domains.txt"
"$compiler" --config "$work/lists.yaml" --output "$work/b.snap" >/dev/null
cp "$work/a.snap" "$work/live.snap"
ls -l "$work/a.snap" | awk '{print "snapshot bytes:", $5}'

cat > "$work/shelterd.yaml" <<CONF
threads: 1
dns:
  listen: ["127.0.0.1:$PORT"]
upstream:
  servers: ["127.0.0.1:9"]
snapshot:
  path: $work/live.snap
  check-interval: 100ms
proxy:
  address-ipv4: [192.0.2.44]
admin:
  listen: "127.0.0.1:$ADMIN"
CONF
taskset -c 0 "$shelterd" --config "$work/shelterd.yaml" 2>"$work/shelterd.log" &
pid=$!
pids+=($pid)
for _ in $(seq 100); do grep -q "shelterd: ready" "$work/shelterd.log" && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
steady=$(rss)

taskset -c 1 dnsperf -s 127.0.0.1 -p $PORT -d "$work/queries.txt" -l "$run_seconds" -Q "$qps" \
  -c 8 -t 2 >"$work/dnsperf.txt" 2>&1 &
perf=$!
peak=$steady swaps=0 start=$SECONDS next=$((SECONDS + every)) flip=b
while kill -0 $perf 2>/dev/null; do
  r=$(rss); (( r > peak )) && peak=$r
  if (( SECONDS >= next )) && (( SECONDS - start < run_seconds - 1 )); then
    cp "$work/$flip.snap" "$work/next.snap" && mv "$work/next.snap" "$work/live.snap"
    swaps=$((swaps + 1)); next=$((SECONDS + every)); flip=$([[ $flip == a ]] && echo b || echo a)
  fi
  sleep 0.05
done
wait $perf || true
echo "== under dnsperf ($qps qps for ${run_seconds}s), snapshot replaced $swaps times"
grep -E "Queries sent|Queries completed|Queries lost|Response codes" "$work/dnsperf.txt"
echo "swaps logged: $(grep -c 'snapshot: swapped in' "$work/shelterd.log")"
grep -o "read and checked in [0-9.]* ms" "$work/shelterd.log" | awk '{print $5}' | sort -n |
  awk '{a[NR]=$1} END {if (NR) print "read+check ms: min", a[1], "median", a[int((NR+1)/2)], "max", a[NR]}'
echo "shelterd RSS KiB: steady $steady, peak during swaps $peak"
