#!/usr/bin/env bash
# The web front's HTTP core against nginx, in one run: wrk asks for the block page, with
# keep-alive and with a new connection for every request; nginx serves the same bytes (the page
# as shelterd rendered it, with the same security headers) as a static file. Both servers are
# pinned to one core, wrk to the other. CPU per request = the server's user+sys time over the run
# (/proc/PID/stat) / requests. Three rounds, alternating; medians with min-max.
#
# Usage: scripts/bench-web.sh [BUILD_DIR]   (env: SECONDS_RUN=8 CONNECTIONS=32 ROUNDS=3)
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
shelterd="$root/$build/proxy/shelterd"
[[ $build == /* ]] && shelterd="$build/proxy/shelterd"
run_seconds=${SECONDS_RUN:-8} conns=${CONNECTIONS:-32} rounds=${ROUNDS:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "bench-web: needs wrk and nginx (apt-get install wrk nginx)"; exit 1; }
work=$(mktemp -d /tmp/shelter-web.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
SHELTER_PORT=25380 NGINX_PORT=25381 DNS_PORT=25382
server_core=1 client_core=0

cat > "$work/shelter.yaml" <<CONF
threads: 1
dns: {listen: ["127.0.0.1:$DNS_PORT"]}
admin: {listen: null}
upstream: {servers: ["127.0.0.1:9"]}
lists:
  - {id: parental, category: adult, entries: [blocked.test]}
web:
  block-listen: ["127.0.0.1:$SHELTER_PORT"]
  organisation: Example ISP
  contact: "mailto:help@isp.example"
  max-requests-per-connection: 100000
  max-connections-per-client: 10000
CONF
taskset -c "$server_core" "$shelterd" --config "$work/shelter.yaml" 2>"$work/shelter.log" &
pids+=($!); shelter_pid=$!
for _ in $(seq 50); do grep -q "shelterd: ready" "$work/shelter.log" && break; sleep 0.1; done
grep -q "shelterd: ready" "$work/shelter.log" || { cat "$work/shelter.log"; exit 1; }

# The same bytes for nginx: the page, and its Content-Security-Policy.
mkdir -p "$work/www"
chmod 755 "$work" "$work/www"   # nginx's worker runs as www-data
curl -s -H 'Host: blocked.test' -H 'Accept: text/html' "http://127.0.0.1:$SHELTER_PORT/" > "$work/www/index.html"
csp=$(curl -s -D - -o /dev/null -H 'Host: blocked.test' -H 'Accept: text/html' \
      "http://127.0.0.1:$SHELTER_PORT/" | sed -n 's/^Content-Security-Policy: //p' | tr -d '\r')
chmod 644 "$work/www/index.html"
bytes=$(wc -c < "$work/www/index.html")
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  keepalive_requests 1000000;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=100 inactive=60s;   # the peer at its best: no open() per request
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/www;
    location / {
      default_type "text/html; charset=utf-8";
      add_header Content-Security-Policy "$csp";
      add_header Referrer-Policy no-referrer;
      add_header X-Content-Type-Options nosniff;
      add_header X-Frame-Options DENY;
      add_header Cache-Control no-store;
      try_files /index.html =404;
    }
  }
}
CONF
taskset -c "$server_core" nginx -c "$work/nginx.conf" &
pids+=($!)
sleep 0.5
nginx_pid=$(cat "$work/nginx.pid")   # the worker is its only child
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)

measure() {  # name port pid connection-mode -> "requests/s cpu-us-per-request"
  local name=$1 port=$2 pid=$3 mode=$4 extra=()
  [[ $mode == close ]] && extra=(-H "Connection: close")
  local before after out requests
  before=$(cpu_ticks "$pid")
  out=$(taskset -c "$client_core" wrk -t1 -c"$conns" -d"${run_seconds}s" \
        -H 'Host: blocked.test' -H 'Accept: text/html' -H 'Sec-Fetch-Dest: document' \
        "${extra[@]}" "http://127.0.0.1:$port/")
  after=$(cpu_ticks "$pid")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
  awk -v r="$requests" -v s="$run_seconds" -v t=$((after - before)) -v hz="$ticks_per_second" \
      -v n="$name" -v m="$mode" -v e="$errors" \
      'BEGIN { printf "%-8s %-10s %10.0f req/s %8.2f us CPU/request  %s\n", n, m, r / s, t / hz * 1e6 / r, e }'
}

echo "page: $bytes bytes; $run_seconds s per run, $conns connections, servers on core $server_core"
for r in $(seq "$rounds"); do
  for mode in keepalive close; do
    measure shelterd "$SHELTER_PORT" "$shelter_pid" "$mode"
    measure nginx "$NGINX_PORT" "$nginx_worker" "$mode"
  done
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
