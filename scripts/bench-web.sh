#!/usr/bin/env bash
# The web front's HTTP core against nginx, in one run: wrk asks for the block page, with
# keep-alive and with a new connection for every request; nginx serves the same bytes (the page
# as shelterd rendered it, with the same security headers) as a static file. Both servers are
# pinned to one core, wrk to the other. CPU per request = the server's user+sys time over the run
# (/proc/PID/stat) / requests. Three rounds, alternating; medians with min-max.
#
# Usage: scripts/bench-web.sh [BUILD_DIR]   (env: SECONDS_RUN=8 CONNECTIONS=32 ROUNDS=3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench-http-common.sh"
bench_setup bench-web "${1:-build}"
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
curl -s -H 'Host: blocked.test' -H 'Accept: text/html' "http://127.0.0.1:$SHELTER_PORT/" > "$work/page.html"
csp=$(curl -s -D - -o /dev/null -H 'Host: blocked.test' -H 'Accept: text/html' \
      "http://127.0.0.1:$SHELTER_PORT/" | sed -n 's/^Content-Security-Policy: //p' | tr -d '\r')
bytes=$(wc -c < "$work/page.html")
start_static_nginx "$NGINX_PORT" "$work/page.html" "$csp"
page_headers=('Host: blocked.test' 'Accept: text/html' 'Sec-Fetch-Dest: document')

echo "page: $bytes bytes; $run_seconds s per run, $conns connections, servers on core $server_core"
for r in $(seq "$rounds"); do
  for mode in keepalive close; do
    measure shelterd "$SHELTER_PORT" "$shelter_pid" "$mode" / "${page_headers[@]}"
    measure nginx "$NGINX_PORT" "$nginx_worker" "$mode" / "${page_headers[@]}"
  done
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
