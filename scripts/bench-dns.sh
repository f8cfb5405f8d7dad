#!/usr/bin/env bash
# Whole-program DNS benchmark: shelterd against unbound, dnsdist and dnsmasq, and against the
# floor (tests/bench/udp_echo_floor: a bare recvmmsg/sendmmsg responder, the kernel's own UDP
# cost), on loopback under dnsperf; three query mixes; then the 1 M-domain list load.
#
# Every server under test runs at once, pinned to CPU 0; dnsperf (and the nsd upstream) run on
# CPU 1. What compares servers is CPU time per answered query: the server's user+sys time from
# /proc/PID/stat over the run, divided by the queries dnsperf saw answered.
#
# One round measures every server on every mix once, back to back; there are three rounds.
# Ratios (shelterd / dnsdist, shelterd / floor) are taken within a round, so the machine's
# drift between rounds cancels; tables give the median of the three with min-max, never the
# best. Then, at a low steady load (-Q 5000, where batching cannot help), CPU per query and the
# p99 latency; and the receive calls per query at saturation (perf's syscall tracepoints), the
# batching behind shelterd's lead there.
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
SHARED_PORT=25303 DNSMASQ_PORT=25304 FLOOR_PORT=25305
echo_floor="$root/$build/tests/bench/udp_echo_floor"
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
{
  # local=/name/: answered from local data only, i.e. NXDOMAIN, as the others block.
  echo "port=$DNSMASQ_PORT"
  echo "listen-address=127.0.0.1"
  echo "bind-interfaces"
  echo "no-resolv"
  echo "no-hosts"
  echo "server=127.0.0.1#$UPSTREAM_PORT"
  echo "cache-size=100000"
  echo "dns-forward-max=1000"
  while read -r d; do echo "local=/$d/"; done < "$work/blocklist.txt"
} > "$work/dnsmasq.conf"

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

# low_load PORT PID FILE -> "us_per_query p99_ms" at a steady 5k qps, from dnsperf's
# per-query lines (-v). This VM's scheduler adds millisecond stalls now and then: the p99 is
# read per run and summarised over three like everything else.
low_load() {
  local port=$1 pid=$2 file=$3 before after
  before=$(cpu_ticks "$pid")
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$file" -l "$run_seconds" -Q 5000 -v \
    2>/dev/null > "$work/low.out"
  after=$(cpu_ticks "$pid")
  local completed
  completed=$(awk '/Queries completed:/ {print $3}' "$work/low.out")
  p99=$(awk '/^> / {print $5}' "$work/low.out" | sort -g |
    awk '{a[NR]=$1} END {printf "%.3f", a[int(NR*0.99)] * 1000}')
  awk -v t=$((after - before)) -v hz="$ticks" -v n="$completed" -v p="$p99" \
    'BEGIN { printf "%.2f %s\n", (n > 0 ? t / hz / n * 1e6 : 0), p }'
}

# receive_calls PORT PID FILE -> "answered receive_calls" over one saturated run, counted with
# perf's syscall tracepoints on every thread of PID.
receive_calls() {
  local port=$1 pid=$2 file=$3
  perf stat -x, -p "$pid" -e syscalls:sys_enter_recvmmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_recvfrom \
    -o "$work/perf.out" -- sleep $((run_seconds + 1)) &
  local perf_pid=$!
  sleep 0.5
  local out
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$file" -l "$run_seconds" -c 8 -q 500 2>&1)
  wait "$perf_pid" 2>/dev/null || true
  echo "$(awk '/Queries completed:/ {print $3}' <<<"$out") $(awk -F, '/syscalls/ {n += $1} END {print n + 0}' "$work/perf.out")"
}

# median (min-max) of a column of numbers; the median alone
summary() { sort -g | awk '{a[NR]=$1} END {printf "%.2f [%.2f-%.2f]", a[int((NR+1)/2)], a[1], a[NR]}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# --- MODE=query-log: the log off against on ----------------------------------------------
if [[ "${MODE:-}" == query-log ]]; then
  sed "s/^dns:$/logging:\n  query-log: {enabled: true, directory: $(sed 's/[\/&]/\\&/g' <<<"$work")\/qlog, retention: 1d, buffer-kb: ${QLOG_BUFFER_KB:-8192}}\ndns:/" \
    "$work/shelter.yaml" > "$work/shelter-qlog.yaml"
  sed -i -e "s/127.0.0.1:$SHELTER_PORT/127.0.0.1:$((SHELTER_PORT + 10))/" \
    -e "s/^  listen: null$/  listen: 127.0.0.1:$((SHELTER_PORT + 11))/" "$work/shelter-qlog.yaml"
  taskset -c 0 "$shelterd" --config "$work/shelter.yaml" 2>"$work/shelterd-off.log" &
  off=$!; pids+=("$off")
  taskset -c 0 "$shelterd" --config "$work/shelter-qlog.yaml" 2>"$work/shelterd-on.log" &
  on=$!; pids+=("$on")
  for port in "$SHELTER_PORT" $((SHELTER_PORT + 10)); do
    wait_port "$port"
    taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/cached.txt" -n 1 >/dev/null 2>&1
  done
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

# name port pid, one line per server under test; all run at once, idle but for their turn.
servers=()
start_server() {  # NAME PORT COMMAND...
  local name=$1 port=$2; shift 2
  taskset -c 0 "$@" >"$work/$port.log" 2>&1 &
  pids+=("$!")
  servers+=("$name|$port|$!")
}
sed 's/^  timeout: 1s$/  timeout: 1s\n  queries-per-socket: 256/' "$work/shelter.yaml" |
  sed "s/127.0.0.1:$SHELTER_PORT/127.0.0.1:$SHARED_PORT/" > "$work/shelter-shared.yaml"
start_server "shelterd" "$SHELTER_PORT" "$shelterd" --config "$work/shelter.yaml"
start_server "shelterd, queries-per-socket 256" "$SHARED_PORT" "$shelterd" --config "$work/shelter-shared.yaml"
start_server "unbound $(unbound -V | awk 'NR==1{print $2}')" "$UNBOUND_PORT" unbound -d -c "$work/unbound.conf"
start_server "dnsdist $(dnsdist --version 2>/dev/null | awk 'NR==1{print $2}')" "$DNSDIST_PORT" \
  dnsdist --supervised --disable-syslog -C "$work/dnsdist.conf"
start_server "dnsmasq $(dnsmasq --version | awk 'NR==1{print $3}')" "$DNSMASQ_PORT" \
  dnsmasq -k --conf-file="$work/dnsmasq.conf" --user=root --log-facility=-
start_server "floor (recvmmsg/sendmmsg echo)" "$FLOOR_PORT" "$echo_floor" "$FLOOR_PORT"
for entry in "${servers[@]}"; do
  IFS='|' read -r _ port pid <<<"$entry"
  wait_port "$port"
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/cached.txt" -n 1 >/dev/null 2>&1
done

# Three rounds; results.txt holds "round mix port qps us_per_query".
: > "$work/results.txt"
for round in 0 1 2; do
  for mix in cached blocked miss; do
    for entry in "${servers[@]}"; do
      IFS='|' read -r _ port pid <<<"$entry"
      if [[ $mix == miss ]]; then
        read -r qps us < <(run_once "$port" "$pid" "$work/miss$round.txt" -n 1)
      else
        read -r qps us < <(run_once "$port" "$pid" "$work/$mix.txt")
      fi
      echo "$round $mix $port $qps $us" >> "$work/results.txt"
    done
  done
done

values() {  # MIX PORT FIELD(4=qps 5=us) -> the three rounds' values
  awk -v m="$1" -v p="$2" -v f="$3" '$2 == m && $3 == p {print $f}' "$work/results.txt"
}
ratio() {  # MIX PORT_A PORT_B -> median [min-max] over rounds of A's CPU/query over B's
  awk -v m="$1" -v a="$2" -v b="$3" '$2 == m && $3 == a {x[$1] = $5} $2 == m && $3 == b {y[$1] = $5}
    END {for (r in x) if (y[r] > 0) print x[r] / y[r]}' "$work/results.txt" | summary
}

echo "Saturation (dnsperf -c 8 -q 500, ${run_seconds} s per run), CPU µs per answered query and"
echo "qps, median [min-max] of three rounds:"
echo
echo "| server | cached CPU µs/q | blocked CPU µs/q | miss CPU µs/q | cached qps | blocked qps | miss qps |"
echo "|---|---|---|---|---|---|---|"
for entry in "${servers[@]}"; do
  IFS='|' read -r name port _ <<<"$entry"
  printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$name" \
    "$(values cached "$port" 5 | summary)" "$(values blocked "$port" 5 | summary)" \
    "$(values miss "$port" 5 | summary)" "$(values cached "$port" 4 | median)" \
    "$(values blocked "$port" 4 | median)" "$(values miss "$port" 4 | median)"
done
echo
echo "Ratios within a round (CPU per query), median [min-max]:"
echo
echo "| ratio | cached | blocked | miss |"
echo "|---|---|---|---|"
for pair in "shelterd / dnsdist|$SHELTER_PORT|$DNSDIST_PORT" "shelterd / unbound|$SHELTER_PORT|$UNBOUND_PORT" \
  "shelterd / dnsmasq|$SHELTER_PORT|$DNSMASQ_PORT" "shelterd / floor|$SHELTER_PORT|$FLOOR_PORT" \
  "dnsdist / floor|$DNSDIST_PORT|$FLOOR_PORT" \
  "shelterd (qps-256) / dnsdist|$SHARED_PORT|$DNSDIST_PORT"; do
  IFS='|' read -r label a b <<<"$pair"
  printf "| %s | %s | %s | %s |\n" "$label" "$(ratio cached "$a" "$b")" "$(ratio blocked "$a" "$b")" \
    "$(ratio miss "$a" "$b")"
done

echo
echo "Low steady load (-Q 5000, ${run_seconds} s per run): CPU µs per query and p99 ms, median [min-max]"
echo "of three; batching cannot help here:"
echo
echo "| server | cached CPU µs/q | cached p99 ms | blocked CPU µs/q | blocked p99 ms |"
echo "|---|---|---|---|---|"
for entry in "${servers[@]}"; do
  IFS='|' read -r name port pid <<<"$entry"
  [[ $port == "$SHARED_PORT" ]] && continue  # same as shelterd for answers made here
  : > "$work/low-cached.txt"; : > "$work/low-blocked.txt"
  for _ in 0 1 2; do
    low_load "$port" "$pid" "$work/cached.txt" >> "$work/low-cached.txt"
    low_load "$port" "$pid" "$work/blocked.txt" >> "$work/low-blocked.txt"
  done
  printf "| %s | %s | %s | %s | %s |\n" "$name" \
    "$(awk '{print $1}' "$work/low-cached.txt" | summary)" "$(awk '{print $2}' "$work/low-cached.txt" | summary)" \
    "$(awk '{print $1}' "$work/low-blocked.txt" | summary)" "$(awk '{print $2}' "$work/low-blocked.txt" | summary)"
done

echo
echo "Batching at saturation (cached mix, one run): answered queries per receive system call"
echo "(recvmmsg + recvmsg + recvfrom, every thread):"
echo
echo "| server | queries answered | receive calls | queries per receive |"
echo "|---|---|---|---|"
for entry in "${servers[@]}"; do
  IFS='|' read -r name port pid <<<"$entry"
  read -r answered calls < <(receive_calls "$port" "$pid" "$work/cached.txt")
  printf "| %s | %s | %s | %s |\n" "$name" "$answered" "$calls" \
    "$(awk -v a="$answered" -v c="$calls" 'BEGIN {printf "%.1f", (c > 0 ? a / c : 0)}')"
done
# Stop the servers under test and wait for them alone: a bare `wait` would also wait for the
# upstream, which runs until the exit trap.
for entry in "${servers[@]}"; do
  IFS='|' read -r _ _ pid <<<"$entry"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done

# --- the kernel's own price: system calls on this machine, and a single-use socket's life ---
echo
echo "System calls alone (tests/bench/syscall_floor, CPU 0, queries sent to the nsd upstream):"
echo
taskset -c 0 "$root/$build/tests/bench/syscall_floor" "$UPSTREAM_PORT" 3

# --- list load: 1 M domains ---------------------------------------------------------------
sed "s#$work/blocklist.txt#$work/big-list.txt#" "$work/shelter.yaml" > "$work/shelter-big.yaml"
start=$(date +%s.%N)
"$shelterd" --check-config --config "$work/shelter-big.yaml" >/dev/null
end=$(date +%s.%N)
rss=$(/usr/bin/time -f "%M" "$shelterd" --check-config --config "$work/shelter-big.yaml" 2>&1 >/dev/null | tail -1)
echo
echo "List load ($list_size domains, parse + build, --check-config): $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.2f", e-s}') s, peak RSS ${rss} KiB"
