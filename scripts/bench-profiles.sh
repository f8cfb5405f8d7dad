#!/usr/bin/env bash
# What per-subscriber profiles cost the DNS path: shelterd without profiles against shelterd
# with households in Redis (100,000 households and bindings, the querying household's profile
# cached, with schedules and entries to evaluate), on the cached mix, in one run, alternating
# A, B, A, B, A, B so that the machine's drift hits both alike.
#
# shelterd is pinned to CPU 0 (one worker thread), dnsperf, nsd and redis-server to CPU 1.
# Prints qps and CPU us per query of each run and the medians.
#
# Usage: scripts/bench-profiles.sh [BUILD_DIR]   (env: SECONDS_PER_RUN=5, HOUSEHOLDS=100000,
#   MIX=cached | blocked: the querying household's names are cached, or blocked by its profile;
#   BASELINE=PATH: instead of "without profiles", another shelterd binary with the same
#   profiles, e.g. the build before a change to the DNS path)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
shelterd="$root/$build/proxy/shelterd"
run_seconds=${SECONDS_PER_RUN:-5}
households=${HOUSEHOLDS:-100000}
mix=${MIX:-cached}
baseline=${BASELINE:-}
work=$(mktemp -d /tmp/shelter-bench-profiles.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
UPSTREAM_PORT=25453 SHELTER_PORT=25400 REDIS_PORT=25479
ticks=$(getconf CLK_TCK)

# --- upstream: nsd with a wildcard zone --------------------------------------------------
# shellcheck source=lib/nsd-upstream.sh
source "$root/scripts/lib/nsd-upstream.sh"
start_nsd_upstream "$work" "$UPSTREAM_PORT"

# --- Redis with the households ---------------------------------------------------------
taskset -c 1 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
python3 - "$work" "$households" <<'PY' | redis-cli -p "$REDIS_PORT" --pipe >/dev/null
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        b = a.encode()
        out.write(b"$%d\r\n%s\r\n" % (len(b), b))
presets = ["under-9", "9-12", "13-14", "15-17", "adult", "public-wifi"]
doc = {"profile": "evenings", "time-zone": "Europe/London",
       "profiles": {"evenings": {"base": "9-12", "allow": ["school.example", "khanacademy.org"],
                                 "deny": ["games.example"],
                                 "schedules": [{"name": "bedtime", "days": "sun-thu",
                                                "from": "21:00", "to": "07:00",
                                                "allow": ["school.example"]},
                                               {"days": "weekdays", "from": "16:00",
                                                "to": "18:00", "block": ["games"]}]}}}
cmd("SET", "shelter:schema", "1")
for i in range(n):
    d = doc if i == 0 else {"profile": presets[i % len(presets)]}
    cmd("SET", f"shelter:v1:household:h{i}", json.dumps(d))
    cmd("HSET", "shelter:v1:bindings", f"addr:10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32", f"h{i}")
cmd("HSET", "shelter:v1:bindings", "addr:127.0.0.1/32", "h0")
PY
echo "redis: $(redis-cli -p "$REDIS_PORT" dbsize) keys, $(redis-cli -p "$REDIS_PORT" hlen shelter:v1:bindings) bindings" >&2

python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
with open(f"{work}/cached.txt", "w") as f:
    for i in range(1000): f.write(f"c{i}.bench.test A\n")
with open(f"{work}/blocked.txt", "w") as f:
    for i in range(1000): f.write(f"b{i}.blocked.test A\n")
with open(f"{work}/blocklist.txt", "w") as f:
    for i in range(1000): f.write(f"b{i}.blocked.test\n")
PY

common() {
  cat <<CONF
threads: 1
dns:
  listen: ["127.0.0.1:$SHELTER_PORT"]
upstream:
  servers: ["127.0.0.1:$UPSTREAM_PORT"]
cache:
  max-entries: 1000000
  max-memory-mb: 256
admin:
  listen: null
blocking:
  mode: nxdomain
lists:
  - {id: bench, format: domains, path: $work/blocklist.txt, category: adult}
  - {id: games, format: domains, entries: [games.test], category: games}
CONF
}
common > "$work/plain.yaml"
{ common; cat <<CONF
subscribers:
  store: redis
  default-profile: public-wifi
redis:
  servers: ["127.0.0.1:$REDIS_PORT"]
CONF
} > "$work/profiles.yaml"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_once() {  # CONFIG [BINARY] -> "qps us_per_query"
  taskset -c 0 "${2:-$shelterd}" --config "$1" 2>"$work/shelterd.log" &
  local pid=$!
  for _ in $(seq 1 100); do
    dig -p "$SHELTER_PORT" @127.0.0.1 +tries=1 +time=1 +short ns.bench.test >/dev/null 2>&1 && break
    sleep 0.1
  done
  sleep 0.5  # the Redis store reads its bindings
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$SHELTER_PORT" -d "$work/$mix.txt" -n 2 >/dev/null 2>&1
  local before after out completed qps
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$SHELTER_PORT" -d "$work/$mix.txt" \
    -l "$run_seconds" -c 8 -q 500 2>&1)
  after=$(cpu_ticks "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  completed=$(awk '/Queries completed:/ {print $3}' <<<"$out")
  qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' <<<"$out")
  awk -v t=$((after - before)) -v hz="$ticks" -v n="$completed" -v q="$qps" \
    'BEGIN { printf "%s %.2f\n", q, (n > 0 ? t / hz / n * 1e6 : 0) }'
}

: > "$work/plain.txt"; : > "$work/profiles.txt"
for round in 1 2 3 4 5; do
  if [[ -n $baseline ]]; then
    run_once "$work/profiles.yaml" "$baseline" >> "$work/plain.txt"
  else
    run_once "$work/plain.yaml" >> "$work/plain.txt"
  fi
  run_once "$work/profiles.yaml" >> "$work/profiles.txt"
done
grep -q "redis: .* bindings read" "$work/shelterd.log" || { echo "Redis store did not load" >&2; cat "$work/shelterd.log" >&2; exit 1; }
median() { sort -k"$2" -g "$1" | sed -n 3p | awk -v k="$2" '{print $k}'; }
echo "mix: $mix"
echo "| shelterd | runs (qps / CPU us per query) | median qps | median CPU us/q |"
echo "|---|---|---|---|"
for mode in plain profiles; do
  runs=$(awk '{printf "%s%s / %s", (NR > 1 ? "; " : ""), $1, $2}' "$work/$mode.txt")
  label=$([[ $mode == plain ]] && echo "without profiles" || echo "$households households in Redis")
  [[ -n $baseline && $mode == plain ]] && label="$baseline, $households households in Redis"
  echo "| $label | $runs | $(median "$work/$mode.txt" 1) | $(median "$work/$mode.txt" 2) |"
done
