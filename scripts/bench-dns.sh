#!/usr/bin/env bash
# Whole-program DNS benchmark: shelterd, unbound and dnsdist on loopback under dnsperf, three
# query mixes each, and the 1 M-domain list load time. Prints a Markdown table.
#
# The server under test is pinned to CPU 0, dnsperf (and the nsd upstream) to CPU 1. What
# compares servers is CPU time per answered query: the server's user+sys time from
# /proc/PID/stat over the run, divided by the queries dnsperf saw answered.
#
# Each mix runs three times; the table gives the run with the median CPU per query.
#
# Usage: scripts/bench-dns.sh [BUILD_DIR]   (env: SECONDS_PER_RUN=5, LIST_SIZE=1000000)
#
# MODE=query-log: shelterd alone, the query log off and on (two daemons side by side, their
# runs alternating), each mix three times each: the median CPU per query with min-max, and the
# ratio on/off of the medians (docs/BENCHMARKS.md, "The query log"). QLOG_BUFFER_KB (default
# 8192) sizes the on side's buffers: large enough that every query is written, none dropped.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
shelterd="$root/$build/proxy/shelterd"
run_seconds=${SECONDS_PER_RUN:-5}
list_size=${LIST_SIZE:-1000000}
work=$(mktemp -d /tmp/shelter-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

UPSTREAM_PORT=25353 SHELTER_PORT=25300 UNBOUND_PORT=25301 DNSDIST_PORT=25302
ticks=$(getconf CLK_TCK)

# --- data -------------------------------------------------------------------------------
python3 - "$work" "$list_size" "${MODE:-}" <<'PY'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
with open(f"{work}/cached.txt", "w") as f:
    for i in range(1000): f.write(f"c{i}.bench.test A\n")
with open(f"{work}/blocked.txt", "w") as f:
    for i in range(1000): f.write(f"www.b{i}.blocked.test A\n")
runs = 6 if len(sys.argv) > 3 and sys.argv[3] == "query-log" else 3
for run in range(runs):  # every run of the miss mix needs names no earlier run has cached
    with open(f"{work}/miss{run}.txt", "w") as f:
        for i in range(1_200_000): f.write(f"m{run}-{i}-{random.randrange(1<<30)}.bench.test A\n")
with open(f"{work}/blocklist.txt", "w") as f:
    for i in range(1000): f.write(f"b{i}.blocked.test\n")
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
with open(f"{work}/big-list.txt", "w") as f:
    for i in range(n):
        label = "".join(random.choice(alphabet) for _ in range(random.randrange(6, 16)))
        f.write(f"{label}{i}.{random.choice(['com','net','org','info','test'])}\n")
PY

# --- upstream: nsd with a wildcard zone --------------------------------------------------
# shellcheck source=lib/nsd-upstream.sh
source "$root/scripts/lib/nsd-upstream.sh"
start_nsd_upstream "$work" "$UPSTREAM_PORT"

# --- servers under test -----------------------------------------------------------------
cat > "$work/shelter.yaml" <<CONF
threads: 1
dns:
  listen: ["127.0.0.1:$SHELTER_PORT"]
upstream:
  servers: ["127.0.0.1:$UPSTREAM_PORT"]
  timeout: 1s
cache:
  max-entries: 1000000
  max-memory-mb: 256   # as unbound's msg-cache-size below
admin:
  listen: null
blocking:
  mode: nxdomain
lists:
  - {id: bench, format: domains, path: $work/blocklist.txt, category: adult}
CONF
{
  echo "server:"
  echo "  interface: 127.0.0.1@$UNBOUND_PORT"
  echo "  num-threads: 1"
  echo "  username: \"\""
  echo "  chroot: \"\""
  echo "  directory: \"$work\""
  echo "  pidfile: \"$work/unbound.pid\""
  echo "  use-syslog: no"
  echo "  logfile: \"\""
  echo "  do-not-query-localhost: no"
  echo "  access-control: 127.0.0.0/8 allow"
  echo "  msg-cache-size: 256m"
  echo "  rrset-cache-size: 256m"
  echo "  qname-minimisation: no"
  echo "  module-config: \"iterator\""
  echo "  domain-insecure: \"test\""
  echo "  local-zone: \"test.\" nodefault"
  while read -r d; do echo "  local-zone: \"$d\" always_nxdomain"; done < "$work/blocklist.txt"
  echo "remote-control:"
  echo "  control-enable: no"
  echo "forward-zone:"
  echo "  name: \".\""
  echo "  forward-addr: 127.0.0.1@$UPSTREAM_PORT"
} > "$work/unbound.conf"
{
  echo "setLocal('127.0.0.1:$DNSDIST_PORT')"
  echo "setACL({'127.0.0.0/8'})"
  echo "newServer({address='127.0.0.1:$UPSTREAM_PORT', healthCheckMode='lazy'})"
  echo "pc = newPacketCache(1000000, {maxTTL=86400, minTTL=0})"
  echo "getPool(''):setCache(pc)"
  echo "smn = newSuffixMatchNode()"
  while read -r d; do echo "smn:add('$d')"; done < "$work/blocklist.txt"
  echo "addAction(SuffixMatchNodeRule(smn), RCodeAction(DNSRCode.NXDOMAIN))"
} > "$work/dnsdist.conf"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

wait_port() {  # port
  for _ in $(seq 1 100); do
    dig -p "$1" @127.0.0.1 +tries=1 +time=1 +short ns.bench.test >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2; return 1
}

# run_once PORT PID FILE [extra dnsperf args] -> prints "qps us_per_query"
run_once() {
  local port=$1 pid=$2 file=$3; shift 3
  local before after out
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$file" -l "$run_seconds" -c 8 -q 500 "$@" 2>&1)
  after=$(cpu_ticks "$pid")
  local completed qps
  completed=$(awk '/Queries completed:/ {print $3}' <<<"$out")
  qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' <<<"$out")
  awk -v t=$((after - before)) -v hz="$ticks" -v n="$completed" -v q="$qps" \
    'BEGIN { printf "%s %.2f\n", q, (n > 0 ? t / hz / n * 1e6 : 0) }'
}

# run_mix PORT PID FILE_PATTERN [extra dnsperf args] -> "qps us_per_query" of the median run
# (by CPU per query) of three; FILE_PATTERN may hold {run} for a different file each run.
run_mix() {
  local port=$1 pid=$2 pattern=$3; shift 3
  for run in 0 1 2; do run_once "$port" "$pid" "${pattern//\{run\}/$run}" "$@"; done |
    sort -k2 -g | sed -n 2p
}

# p99 latency at a fixed 5k qps on the cached mix, from dnsperf's per-query lines. This VM's
# scheduler adds millisecond stalls now and then, so: three 5 s runs, the median of their p99s.
p99_at_5k() {
  for _ in 1 2 3; do
    taskset -c 1 dnsperf -s 127.0.0.1 -p "$1" -d "$work/cached.txt" -l 5 -Q 5000 -v 2>/dev/null |
      awk '/^> / {print $5}' | sort -g | awk '{a[NR]=$1} END {printf "%.3f\n", a[int(NR*0.99)] * 1000}'
  done | sort -g | sed -n 2p
}

bench_server() {  # NAME PORT PID
  local name=$1 port=$2 pid=$3
  wait_port "$port"
  # Warm the cache with the cached mix once.
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/cached.txt" -n 1 >/dev/null 2>&1
  read -r q_cached us_cached < <(run_mix "$port" "$pid" "$work/cached.txt")
  read -r q_blocked us_blocked < <(run_mix "$port" "$pid" "$work/blocked.txt")
  read -r q_miss us_miss < <(run_mix "$port" "$pid" "$work/miss{run}.txt" -n 1)
  local p99
  p99=$(p99_at_5k "$port")
  printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n" "$name" "$q_cached" "$us_cached" \
    "$q_blocked" "$us_blocked" "$q_miss" "$us_miss" "$p99"
}

# --- MODE=query-log: the log off against on ----------------------------------------------
if [[ "${MODE:-}" == query-log ]]; then
  sed "s/^dns:$/logging:\n  query-log: {enabled: true, directory: $(sed 's/[\/&]/\\&/g' <<<"$work")\/qlog, retention: 1d, buffer-kb: ${QLOG_BUFFER_KB:-8192}}\ndns:/" \
    "$work/shelter.yaml" > "$work/shelter-qlog.yaml"
  sed -i -e "s/127.0.0.1:$SHELTER_PORT/127.0.0.1:$((SHELTER_PORT + 10))/" \
    -e "s/^  listen: null$/  listen: 127.0.0.1:$((SHELTER_PORT + 11))/" "$work/shelter-qlog.yaml"
  taskset -c 0 "$shelterd" --config "$work/shelter.yaml" 2>"$work/shelterd-off.log" &
  off=$!; pids+=($off)
  taskset -c 0 "$shelterd" --config "$work/shelter-qlog.yaml" 2>"$work/shelterd-on.log" &
  on=$!; pids+=($on)
  for port in "$SHELTER_PORT" $((SHELTER_PORT + 10)); do
    wait_port "$port"
    taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/cached.txt" -n 1 >/dev/null 2>&1
  done
  # median (min-max) of a column of numbers
  summary() { sort -g | awk '{a[NR]=$1} END {printf "%.2f (%.2f-%.2f)", a[2], a[1], a[3]}'; }
  median() { sort -g | sed -n 2p; }
  echo "| mix | log off CPU us/q | log on CPU us/q | on/off (medians) | qps off | qps on |"
  echo "|---|---|---|---|---|---|"
  for mix in cached blocked miss; do
    : > "$work/off.txt"; : > "$work/on.txt"
    for run in 0 1 2; do
      file="$work/$mix.txt"; extra=()
      if [[ $mix == miss ]]; then file="$work/miss$run.txt"; extra=(-n 1); fi
      run_once "$SHELTER_PORT" "$off" "$file" "${extra[@]}" >> "$work/off.txt"
      [[ $mix == miss ]] && file="$work/miss$((run + 3)).txt"
      run_once $((SHELTER_PORT + 10)) "$on" "$file" "${extra[@]}" >> "$work/on.txt"
    done
    us_off=$(awk '{print $2}' "$work/off.txt" | median)
    us_on=$(awk '{print $2}' "$work/on.txt" | median)
    printf "| %s | %s | %s | %s | %s | %s |\n" "$mix" \
      "$(awk '{print $2}' "$work/off.txt" | summary)" "$(awk '{print $2}' "$work/on.txt" | summary)" \
      "$(awk -v a="$us_on" -v b="$us_off" 'BEGIN {printf "%.3f", a / b}')" \
      "$(awk '{print $1}' "$work/off.txt" | median)" "$(awk '{print $1}' "$work/on.txt" | median)"
  done
  sleep 1
  echo
  echo "Query log (log on): $(cat "$work"/qlog/*.jsonl | wc -l) lines written;" \
    "$(curl -s "http://127.0.0.1:$((SHELTER_PORT + 11))/metrics" |
      awk '/^shelter_query_log_dropped_total/ {print $2}') records dropped (buffer full)"
  exit 0
fi

echo "| server | cached qps | cached CPU us/q | blocked qps | blocked CPU us/q | miss qps | miss CPU us/q | p99 ms @5k qps (cached) |"
echo "|---|---|---|---|---|---|---|---|"

taskset -c 0 "$shelterd" --config "$work/shelter.yaml" 2>"$work/shelterd.log" &
pid=$!; pids+=($pid)
bench_server "shelterd (fresh port per upstream query)" "$SHELTER_PORT" "$pid"
kill "$pid"; wait "$pid" 2>/dev/null || true

# The same with upstream sockets shared by 256 queries each (upstream.queries-per-socket).
sed 's/^  timeout: 1s$/  timeout: 1s\n  queries-per-socket: 256/' "$work/shelter.yaml" > "$work/shelter-shared.yaml"
taskset -c 0 "$shelterd" --config "$work/shelter-shared.yaml" 2>"$work/shelterd.log" &
pid=$!; pids+=($pid)
bench_server "shelterd (queries-per-socket 256)" "$SHELTER_PORT" "$pid"
kill "$pid"; wait "$pid" 2>/dev/null || true

taskset -c 0 unbound -d -c "$work/unbound.conf" 2>"$work/unbound.log" &
pid=$!; pids+=($pid)
bench_server "unbound $(unbound -V | awk 'NR==1{print $2}')" "$UNBOUND_PORT" "$pid"
kill "$pid"; wait "$pid" 2>/dev/null || true

taskset -c 0 dnsdist --supervised --disable-syslog -C "$work/dnsdist.conf" >"$work/dnsdist.log" 2>&1 &
pid=$!; pids+=($pid)
bench_server "dnsdist $(dnsdist --version 2>/dev/null | awk 'NR==1{print $2}')" "$DNSDIST_PORT" "$pid"
kill "$pid"; wait "$pid" 2>/dev/null || true

# --- list load: 1 M domains ---------------------------------------------------------------
sed "s#$work/blocklist.txt#$work/big-list.txt#" "$work/shelter.yaml" > "$work/shelter-big.yaml"
start=$(date +%s.%N)
"$shelterd" --check-config --config "$work/shelter-big.yaml" >/dev/null
end=$(date +%s.%N)
rss=$(/usr/bin/time -f "%M" "$shelterd" --check-config --config "$work/shelter-big.yaml" 2>&1 >/dev/null | tail -1)
echo
echo "List load ($list_size domains, parse + build, --check-config): $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.2f", e-s}') s, peak RSS ${rss} KiB"
