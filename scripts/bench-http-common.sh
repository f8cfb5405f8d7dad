# Shared by the HTTP benchmarks (bench-web.sh, bench-portal.sh): their setup, nginx serving a
# page's bytes as a static file (the peer at its best), wrk driving a server pinned to one core,
# and the server's CPU per request from /proc/PID/stat. Sourced, not run; then call
# bench_setup NAME BUILD_DIR.

# Sets shelterd, run_seconds, conns, rounds, work (a temporary directory removed on exit) and
# pids (killed on exit); checks that wrk and nginx are there.
bench_setup() {
  local name=$1 build=$2
  shelterd="$root/$build/proxy/shelterd"
  [[ $build == /* ]] && shelterd="$build/proxy/shelterd"
  run_seconds=${SECONDS_RUN:-8} conns=${CONNECTIONS:-32} rounds=${ROUNDS:-3}
  command -v wrk >/dev/null && command -v nginx >/dev/null || {
    echo "$name: needs wrk and nginx (apt-get install wrk nginx)"; exit 1; }
  work=$(mktemp -d "/tmp/shelter-$name.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)

# start_static_nginx PORT FILE CSP: serves FILE at / with the same security headers as shelterd;
# sets nginx_worker to the worker's pid.
start_static_nginx() {
  local port=$1 file=$2 csp=$3
  mkdir -p "$work/www"
  chmod 755 "$work" "$work/www"   # nginx's worker runs as www-data
  cp "$file" "$work/www/index.html"
  chmod 644 "$work/www/index.html"
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
    listen 127.0.0.1:$port;
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
  nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)   # its only child
}

# measure NAME PORT PID MODE PATH [HEADER...] -> "name mode req/s us-CPU/request errors"
measure() {
  local name=$1 port=$2 pid=$3 mode=$4 path=$5
  shift 5
  local headers=() h
  for h in "$@"; do headers+=(-H "$h"); done
  [[ $mode == close ]] && headers+=(-H "Connection: close")
  local before after out requests errors
  before=$(cpu_ticks "$pid")
  out=$(taskset -c "$client_core" wrk -t1 -c"$conns" -d"${run_seconds}s" "${headers[@]}" \
        "http://127.0.0.1:$port$path")
  after=$(cpu_ticks "$pid")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
  awk -v r="$requests" -v s="$run_seconds" -v t=$((after - before)) -v hz="$ticks_per_second" \
      -v n="$name" -v m="$mode" -v e="$errors" \
      'BEGIN { printf "%-8s %-10s %10.0f req/s %8.2f us CPU/request  %s\n", n, m, r / s, t / hz * 1e6 / r, e }'
}
