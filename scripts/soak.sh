#!/usr/bin/env bash
# Soak: shelterd under dnsperf at saturation for SOAK_SECONDS with a reload every 5 s and a
# Redis restart in the middle; RUNS times, then a Markdown table of median [min-max].
#
# Each run: nsd (the upstream, a wildcard zone), redis-server with HOUSEHOLDS households and
# their bindings, and shelterd with the web front, the admin listener (metrics, admin API) and
# two lists read from files (LIST_SIZE names that change at every reload, a legal URL list).
# CLIENTS dnsperf processes, each from its own loopback address bound to a household, send a
# mix of cached, blocked, steered and never-seen names with no rate limit. Meanwhile:
#  - every 5 s the list file is replaced (1,000 names out, 1,000 in, its size up or down by
#    1,000) and shelterd reloaded, by SIGHUP and by the admin API's POST /v1/lists/reload in
#    turn; a checker asks for a new name until it is blocked (the time to in force) and an old
#    one until it is not;
#  - at SOAK_SECONDS/2 redis-server is SIGKILLed, and started again on the same port with the
#    same data REDIS_DOWN seconds later;
#  - every second: shelterd's VmRSS and VmHWM, /metrics, and a probe query from a household
#    on the `adult` preset not asked for before, whose answer says whose profile decided it.
# At the end: shelterd alive and answering (dig, the web front), the reloads all in force,
# Redis subscribed again, then SIGTERM: a clean exit within 10 s.
#
# shelterd (one worker thread) is pinned to CPU 0; dnsperf, nsd, redis-server and the probes
# to CPU 1, as in the benchmarks.
#
# Exits non-zero when any run fails a check: shelterd died, a reload failed or was not in force
# within 5 s, Redis not subscribed again by the end, no answer at the end, an unclean or slow
# stop, or RSS growth past RSS_GROWTH_MAX_PCT.
#
# Usage: scripts/soak.sh [BUILD_DIR]   (env: SOAK_SECONDS=60 RUNS=3 CLIENTS=4 LIST_SIZE=100000
#   URL_COUNT=10000 HOUSEHOLDS=5000 REDIS_DOWN=3 RSS_GROWTH_MAX_PCT=10 KEEP=1: keep the work dir)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
shelterd="$root/$build/proxy/shelterd"
soak_seconds=${SOAK_SECONDS:-60}
runs=${RUNS:-3}
clients=${CLIENTS:-4}
list_size=${LIST_SIZE:-100000}
url_count=${URL_COUNT:-10000}
households=${HOUSEHOLDS:-5000}
redis_down=${REDIS_DOWN:-3}
# RSS growth from the 10th second to the end, in per cent, past which the run fails. By the
# 10th second the cache is full (cache.max-entries below: the misses fill it in a few seconds)
# and a reload has swapped the list once, so what is resident then is the steady state: the
# snapshot in force, the cache, the households, malloc's arenas. From there, a reload holds
# two snapshots for a moment and glibc keeps some of what it frees, which moves RSS by a few
# per cent (sections 4 and 16 of docs/BENCHMARKS.md); a snapshot, a cache or a household
# table leaked at each reload or by the Redis restart adds a snapshot's worth (about a
# quarter of RSS here) each time, tens of per cent over a minute. 10 % lies between the two.
rss_growth_max=${RSS_GROWTH_MAX_PCT:-10}
[[ -x $shelterd ]] || { echo "no $shelterd: build the shelterd target first" >&2; exit 2; }

work=$(mktemp -d /tmp/shelter-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${KEEP:-} ]]; then echo "work dir kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 143' INT TERM
UPSTREAM_PORT=25753 SHELTER_PORT=25700 ADMIN_PORT=25701 WEB_PORT=25702 REDIS_PORT=25779
BLOCK_ADDRESS=127.0.0.80 STEER_ADDRESS=127.0.0.81 NSD_ANSWER=192.0.2.1
TOKEN=soak-admin-token-0123456789abcdef0123
ticks=$(getconf CLK_TCK)

# shellcheck source=lib/nsd-upstream.sh
source "$root/scripts/lib/nsd-upstream.sh"
# shellcheck source=lib/redis-server.sh
source "$root/scripts/lib/redis-server.sh"

echo "soak: generating data ($list_size names, $url_count URLs, $households households)" >&2
python3 "$root/scripts/lib/soak-data.py" "$work" "$list_size" "$url_count" "$households" \
  "$clients"
echo "admin $TOKEN" > "$work/admin.tokens"
chmod 600 "$work/admin.tokens"

# Version K of the list: the fixed part, K's 1,000 rotating names, and at odd K 1,000 more.
list_entries() { echo $((list_size + 1000 + ($1 % 2) * 1000)); }
write_list() {  # K
  local k=$1
  {
    cat "$work/base.txt"
    awk -v k="$k" 'BEGIN { for (i = 0; i < 1000; i++) printf "r%d-%d.rot.bench.test\n", k, i }'
    if (($1 % 2)); then cat "$work/extra.txt"; fi
  } > "$work/big.txt.new"
  mv "$work/big.txt.new" "$work/big.txt"
}

cat > "$work/shelter.yaml" <<CONF
threads: 1
dns:
  listen: ["127.0.0.1:$SHELTER_PORT"]
upstream:
  servers: ["127.0.0.1:$UPSTREAM_PORT"]
  timeout: 1s
cache:
  # Small enough that the misses fill it within the warm-up (see rss_growth_max above).
  max-entries: 50000
blocking:
  mode: block-page
  block-page-ipv4: ["$BLOCK_ADDRESS"]
lists:
  - {id: big, format: domains, path: $work/big.txt, category: adult}
  - {id: urls, format: urls, path: $work/urls.csv, category: csam, legal: true, authority: Soak}
list-updates:
  # Only the soak's reloads read the lists again, so each reload swaps one known version.
  check-interval: 0s
  state-directory: $work/state
proxy:
  address-ipv4: ["$STEER_ADDRESS"]
subscribers:
  store: redis
  default-profile: all-lists
redis:
  servers: ["127.0.0.1:$REDIS_PORT"]
web:
  block-listen: ["$BLOCK_ADDRESS:$WEB_PORT"]
  organisation: Soak
admin:
  listen: "127.0.0.1:$ADMIN_PORT"
  token-file: $work/admin.tokens
CONF
mkdir -p "$work/state"

start_nsd_upstream "$work" "$UPSTREAM_PORT"

# metric FILE NAME{LABELS}: the sample's value (0 when absent), from a saved /metrics page;
# nothing when the page is empty (the scrape timed out: the admin listener shares the control
# thread with the reloads), so that a missed second is not read as zeros.
metric() { awk -v k="$2" '$1 == k { v = $2 } END { if (NR) printf "%.0f\n", v + 0 }' "$1"; }
metric_sum() { awk -v k="$2" 'index($1, k) == 1 { v += $2 } END { if (NR) printf "%.0f\n", v + 0 }' "$1"; }
scrape() { curl -s --max-time 1 "http://127.0.0.1:$ADMIN_PORT/metrics" > "$1" || : > "$1"; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
ask() {  # SOURCE NAME -> the first A record, or "lost"
  local a
  a=$(taskset -c 1 dig -b "$1" -p "$SHELTER_PORT" @127.0.0.1 +tries=1 +time=1 +short "$2" A \
    2>/dev/null | tail -1)
  echo "${a:-lost}"
}

# check_reload K START_NS: the time until K's names are blocked and K-1's no longer are (5 s at
# most), written to reload-K.txt as "ms" or "stuck".
check_reload() {
  local k=$1 start=$2 deadline=$(($2 + 5000000000)) now new old
  while now=$(date +%s%N) && ((now < deadline)); do
    new=$(ask 127.0.0.1 "www.r$k-7.rot.bench.test")
    old=$(ask 127.0.0.1 "www.r$((k - 1))-7.rot.bench.test")
    if [[ $new == "$BLOCK_ADDRESS" && $old == "$NSD_ANSWER" ]]; then
      echo $(((now - start) / 1000000)) > "$run_dir/reload-$k.txt"
      return
    fi
    sleep 0.05
  done
  echo stuck > "$run_dir/reload-$k.txt"
}

# One run; writes "key value" lines to RUN_DIR/result.txt. Returns non-zero on a failed check.
soak_run() {
  run_dir=$1
  mkdir -p "$run_dir"
  local failed=() result="$run_dir/result.txt"
  rm -rf "$work/redis" "$work/state"/*
  start_redis_server "$work" "$REDIS_PORT"
  redis-cli -p "$REDIS_PORT" --pipe < "$work/households.resp" >/dev/null
  redis-cli -p "$REDIS_PORT" save >/dev/null  # the restart reads this back
  write_list 0

  taskset -c 0 "$shelterd" --config "$work/shelter.yaml" 2>"$run_dir/shelterd.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 200); do
    grep -q "shelterd: ready" "$run_dir/shelterd.log" && break
    sleep 0.05
  done
  for _ in $(seq 1 100); do
    grep -q "redis: .* bindings read" "$run_dir/shelterd.log" && break
    sleep 0.05
  done
  grep -q "redis: .* bindings read" "$run_dir/shelterd.log" ||
    { failed+=("redis-bindings-not-read"); }

  local perfs=() c
  for ((c = 0; c < clients; c++)); do
    taskset -c 1 dnsperf -s 127.0.0.1 -p "$SHELTER_PORT" -a "127.0.0.$((2 + c))" \
      -d "$work/queries-$c.txt" -l "$soak_seconds" -c 2 -q 100 -t 2 >"$run_dir/dnsperf-$c.txt" 2>&1 &
    perfs+=($!)
    pids+=($!)
  done
  local start cpu_start t=0 k=0 kill_at=$((soak_seconds / 2)) redis_back_at=0
  local crashed=0 probe
  start=$(date +%s%N)
  cpu_start=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  : > "$run_dir/seconds.tsv"
  mapfile -t probe_names < "$work/probe-names.txt"
  # t is wall-clock seconds since dnsperf started: on a loaded machine a pass of this loop can
  # take more than a second (a scrape waits for a reload), and the events must stay in step
  # with dnsperf's run, not with the number of passes.
  local next_reload=5
  while :; do
    t=$((t + 1))
    sleep "$(awk -v s="$start" -v n="$(date +%s%N)" -v t="$t" \
      'BEGIN { d = (s + t * 1e9 - n) / 1e9; printf "%.3f", (d > 0 ? d : 0) }')"
    t=$((($(date +%s%N) - start) / 1000000000))
    ((t < soak_seconds)) || break
    if ! kill -0 "$pid" 2>/dev/null; then crashed=1; break; fi
    if ((t >= kill_at && redis_back_at == 0)); then
      kill -KILL "$REDIS_PID"
      wait "$REDIS_PID" 2>/dev/null || true
      redis_back_at=$((t + redis_down))
    elif ((redis_back_at > 0 && t >= redis_back_at)) && ! kill -0 "$REDIS_PID" 2>/dev/null; then
      start_redis_server "$work" "$REDIS_PORT"
    fi
    if ((t >= next_reload)); then
      next_reload=$((next_reload + 5))
      k=$((k + 1))
      write_list "$k"
      local reload_start
      reload_start=$(date +%s%N)
      if ((k % 2 == 0)); then
        kill -HUP "$pid"
        echo "$k SIGHUP" >> "$run_dir/reloads.txt"
      else
        curl -s --max-time 5 -X POST -H "Authorization: Bearer $TOKEN" \
          "http://127.0.0.1:$ADMIN_PORT/v1/lists/reload" > "$run_dir/api-reload-$k.json" &
        echo "$k api" >> "$run_dir/reloads.txt"
      fi
      check_reload "$k" "$reload_start" &
    fi
    # The probe: a household not asked for before (the 250 probe households come round again
    # after 250 s), a listed name its own profile lets through and the default blocks.
    probe=$(((t - 1) % 250 + 1))
    (echo "$t $(ask "127.0.1.$probe" "${probe_names[$probe]}")" >> "$run_dir/probes.txt") &
    scrape "$run_dir/m.txt"
    printf "%d\t%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "$(status_kib "$pid" VmRSS)" \
      "$(status_kib "$pid" VmHWM)" "$(metric_sum "$run_dir/m.txt" shelter_dns_responses_total)" \
      "$(metric "$run_dir/m.txt" shelter_redis_subscribed)" \
      "$(metric "$run_dir/m.txt" shelter_cache_entries)" \
      "$(metric "$run_dir/m.txt" shelter_list_memory_bytes)" >> "$run_dir/seconds.tsv"
  done
  local cpu_end
  cpu_end=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "$cpu_start")
  for p in "${perfs[@]}"; do wait "$p" || true; done
  wait_jobs_but "$pid"

  {
    echo "crashed $crashed"
    awk '/Queries sent:/ { s += $3 } /Queries completed:/ { c += $3 } /Queries lost:/ { l += $3 }
         /Queries per second:/ { q += $4 }
         END { printf "sent %.0f\ncompleted %.0f\nlost %.0f\nlost_pct %.4f\nqps %.0f\n", s, c, l,
               (s ? 100 * l / s : 0), q }' "$run_dir"/dnsperf-*.txt
    echo "shelterd_cpu_pct $(awk -v t=$((cpu_end - cpu_start)) -v hz="$ticks" -v s="$soak_seconds" \
      'BEGIN { printf "%.0f", 100 * t / hz / s }')"
    # Answers per second from shelterd's counters: the median second, and the worst second of
    # the Redis outage (from the kill to two seconds after the restart).
    awk -F'\t' 'p > 0 && $4 > 0 { print $1, $4 - p } { p = $4 }' "$run_dir/seconds.tsv" \
      > "$run_dir/answers-per-s.txt"
    echo "answers_per_s_median $(awk '{ print $2 }' "$run_dir/answers-per-s.txt" | sort -n |
      awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] + 0 }')"
    echo "answers_per_s_outage_min $(awk -v a="$kill_at" -v b=$((kill_at + redis_down + 2)) \
      '$1 > a && $1 <= b { print $2 }' "$run_dir/answers-per-s.txt" | sort -n | head -1)"
    awk -F'\t' -v w=10 '
      $2 > 0 { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2; end = $2; hwm = $3
               if ($1 >= w && at10 == "") at10 = $2 }
      END { printf "rss_min_mib %.1f\nrss_max_mib %.1f\nrss_end_mib %.1f\nhwm_end_mib %.1f\n", min / 1024, max / 1024, end / 1024, hwm / 1024
            printf "rss_growth_pct %.1f\n", at10 ? 100 * (end - at10) / at10 : 0 }' "$run_dir/seconds.tsv"
    # Redis as shelterd saw it: seconds unsubscribed, and from the restart to subscribed again.
    awk -F'\t' -v back="$redis_back_at" '
      $5 != "" && $5 == 0 { down++ } $5 == 1 && $1 >= back && again == "" && down > 0 { again = $1 - back }
      END { printf "redis_unsubscribed_s %d\nredis_resubscribed_after_s %s\n", down, again == "" ? -1 : again }' \
      "$run_dir/seconds.tsv"
  } > "$result"

  # Reloads: each in force (ms) or stuck; shelterd's own count of them.
  local reload_ms=() stuck=0 f
  for f in "$run_dir"/reload-*.txt; do
    [[ -e $f ]] || continue
    if [[ $(cat "$f") == stuck ]]; then stuck=$((stuck + 1)); else reload_ms+=("$(cat "$f")"); fi
  done
  scrape "$run_dir/end-metrics.txt"
  local m="$run_dir/end-metrics.txt"
  {
    echo "reloads $k"
    echo "reloads_stuck $stuck"
    printf "%s\n" "${reload_ms[@]}" | sort -n |
      awk '{ a[NR] = $1 } END { printf "reload_in_force_ms_median %d\nreload_in_force_ms_max %d\n", a[int((NR + 1) / 2)], a[NR] }'
    echo "reloads_ok $(metric "$m" 'shelter_reloads_total{result="ok"}')"
    echo "api_reloads_swapped $(cat "$run_dir"/api-reload-*.json 2>/dev/null | grep -c '"swapped in"')"
    echo "reloads_failed $(($(metric "$m" 'shelter_reloads_total{result="failed"}') + $(metric "$m" 'shelter_reloads_total{result="partial"}')))"
    echo "list_loads_ok $(metric "$m" 'shelter_list_reloads_total{list="big",result="ok"}')"
    echo "list_entries_end $(metric "$m" 'shelter_list_entries{list="big",category="adult"}')"
    echo "list_entries_expected $(list_entries "$k")"
    echo "redis_fetch_failures $(metric "$m" shelter_redis_fetch_failures_total)"
    echo "household_fallbacks $(metric "$m" 'shelter_household_lookups_total{result="fallback"}')"
    echo "household_fetched $(metric "$m" 'shelter_household_lookups_total{result="fetched"}')"
    echo "redis_binding_reloads $(metric "$m" shelter_redis_binding_reloads_total)"
    echo "dropped $(metric "$m" 'shelter_dns_responses_total{outcome="dropped"}')"
    echo "servfail $(metric "$m" 'shelter_dns_responses_total{outcome="servfail"}')"
    # Probes: answered by the household's own profile (the listed name forwarded), by the
    # default profile (blocked), or lost; inside the outage (kill to restart + 2 s) and outside.
    awk -v a="$kill_at" -v b=$((kill_at + redis_down + 2)) -v own="$NSD_ANSWER" -v blk="$BLOCK_ADDRESS" '
      { w = ($1 >= a && $1 <= b) ? "outage" : "normal"
        r = $2 == own ? "own" : $2 == blk ? "default" : "lost"; n[w "_" r]++ }
      END { split("normal_own normal_default normal_lost outage_own outage_default outage_lost", ks, " ")
            for (i = 1; i <= 6; i++) printf "probe_%s %d\n", ks[i], n[ks[i]] }' "$run_dir/probes.txt"
  } >> "$result"

  # The end: still answering, the web front too, then a clean stop.
  local answer web_code stop_start stop_rc stop_ms
  answer=$(ask 127.0.0.1 c0.bench.test)
  # A browser sent to the block address by the last list: the block page (403, HTML).
  web_code=$(curl -s -o "$run_dir/block-page.html" -w '%{http_code}' --max-time 2 \
    -H "Host: www.r$k-1.rot.bench.test" -H 'Accept: text/html' \
    "http://$BLOCK_ADDRESS:$WEB_PORT/" || true)
  grep -qi '<html' "$run_dir/block-page.html" 2>/dev/null || web_code="$web_code-no-page"
  stop_start=$(date +%s%N)
  stop_rc=0
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    local rc=0
    if kill -0 "$pid" 2>/dev/null; then stop_rc=timeout; kill -KILL "$pid"; fi
    wait "$pid" || rc=$?
    [[ $stop_rc == timeout ]] || stop_rc=$rc
  else
    stop_rc=dead
  fi
  stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
  kill "$REDIS_PID" 2>/dev/null || true
  wait "$REDIS_PID" 2>/dev/null || true
  {
    echo "end_answer $answer"
    echo "web_status $web_code"
    echo "stop_ms $stop_ms"
    echo "stop_status $stop_rc"
  } >> "$result"

  ((crashed == 0)) || failed+=("shelterd-died")
  ((stuck == 0)) || failed+=("reload-not-in-force:$stuck")
  [[ $(awk '$1 == "reloads_failed" { print $2 }' "$result") == 0 ]] || failed+=("reload-failed")
  [[ $(awk '$1 == "reloads_ok" { print $2 }' "$result") == "$k" ]] || failed+=("reloads-not-counted")
  [[ $(awk '$1 == "list_entries_end" { print $2 }' "$result") == "$(list_entries "$k")" ]] ||
    failed+=("list-entries")
  [[ $answer == "$NSD_ANSWER" ]] || failed+=("no-answer-at-end:$answer")
  [[ $web_code == 403 ]] || failed+=("web-front:$web_code")
  [[ $(awk '$1 == "redis_resubscribed_after_s" { print $2 }' "$result") != -1 ]] ||
    failed+=("redis-not-resubscribed")
  [[ $stop_rc == 0 ]] || failed+=("stop-status:$stop_rc")
  awk -v g="$(awk '$1 == "rss_growth_pct" { print $2 }' "$result")" -v max="$rss_growth_max" \
    'BEGIN { exit !(g <= max) }' || failed+=("rss-growth")
  echo "failed ${failed[*]:-none}" >> "$result"
  ((${#failed[@]} == 0))
}

# Waits for the run's background helpers (probes, reload checks, API calls), not for PID.
wait_jobs_but() {
  local j
  for j in $(jobs -p); do
    [[ $j == "$1" || " ${pids[*]} " == *" $j "* ]] || wait "$j" 2>/dev/null || true
  done
}

others=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s%s (%s%%)", n++ ? ", " : "", $2, $1 }')
echo "soak: $runs runs of ${soak_seconds}s; busy before the start: ${others:-nothing}" >&2
status=0
for ((run = 1; run <= runs; run++)); do
  echo "soak: run $run" >&2
  if soak_run "$work/run$run"; then
    echo "soak: run $run passed" >&2
  else
    status=1
    echo "soak: run $run FAILED: $(awk '$1 == "failed" { $1 = ""; print }' "$work/run$run/result.txt")" >&2
    tail -5 "$work/run$run/shelterd.log" >&2
  fi
done
python3 "$root/scripts/lib/soak-table.py" "$soak_seconds" "$work"/run*/result.txt
exit $status
