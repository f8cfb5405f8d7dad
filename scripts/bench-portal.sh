#!/usr/bin/env bash
# The parents' portal, in one run:
#   - its family page (a signed-in parent's GET /: session check, household read, requests,
#     rendering) against nginx serving the same bytes as a static file, with wrk: requests/s and
#     the server's CPU per request, keep-alive and a new connection per request;
#   - a parent's change (POST /profile -> 303, the households file rewritten atomically and the
#     new directory in force) against its floor: the same file written, fsynced and renamed;
#   - a sign-in (scrypt at the default cost) as a parent's browser waits for it.
# Servers pinned to one core, wrk to the other; three rounds; medians with min-max.
#
# Usage: scripts/bench-portal.sh [BUILD_DIR]   (env: SECONDS_RUN=8 CONNECTIONS=32 ROUNDS=3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench-http-common.sh"
bench_setup bench-portal "${1:-build}"
PORTAL_PORT=25390 NGINX_PORT=25391 DNS_PORT=25392 ADMIN_PORT=25393
server_core=1 client_core=0

token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
echo "bench $token" > "$work/admin.tokens"
cat > "$work/households.yaml" <<'YAML'
households:
  smith:
    profile: 15-17
    devices:
      tablet: {profile: under-9, addresses: [127.0.0.2/32]}
      laptop: {addresses: [127.0.0.3/32]}
      phone: {profile: 13-14, macs: ["02:00:5e:10:00:01"]}
YAML
cat > "$work/shelter.yaml" <<CONF
threads: 1
dns: {listen: ["127.0.0.1:$DNS_PORT"]}
admin: {listen: "127.0.0.1:$ADMIN_PORT", token-file: $work/admin.tokens}
upstream: {servers: ["127.0.0.1:9"]}
lists:
  - {id: parental, category: social-media, entries: [social.test]}
subscribers: {file: $work/households.yaml}
list-updates: {state-directory: $work/state}
portal: {listen: ["127.0.0.1:$PORTAL_PORT"]}
CONF
taskset -c "$server_core" "$shelterd" --config "$work/shelter.yaml" 2>"$work/shelter.log" &
pids+=($!); shelter_pid=$!
for _ in $(seq 50); do grep -q "shelterd: ready" "$work/shelter.log" && break; sleep 0.1; done
grep -q "shelterd: ready" "$work/shelter.log" || { cat "$work/shelter.log"; exit 1; }

portal="http://127.0.0.1:$PORTAL_PORT"
csrf_of() { grep -o "action=\"$1\".*" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//'; }
code=$(curl -s -X POST -H "Authorization: Bearer $token" \
       "http://127.0.0.1:$ADMIN_PORT/v1/households/smith/access-code" | sed 's/.*"code":"\([^"]*\)".*/\1/')
password="bench portal password"
csrf=$(curl -s "$portal/first-access" | tr -d '\n' | csrf_of /first-access)
cookie=$(curl -s -D - -o /dev/null --data-urlencode "household=smith" --data-urlencode "code=$code" \
         --data-urlencode "password=$password" --data-urlencode "password2=$password" \
         --data-urlencode "csrf=$csrf" "$portal/first-access" |
         sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/p' | tr -d '\r')
[[ -n $cookie ]] || { echo "bench-portal: first access failed"; cat "$work/shelter.log"; exit 1; }

curl -s -H "Cookie: $cookie" "$portal/" > "$work/page.html"
csp=$(curl -s -D - -o /dev/null -H "Cookie: $cookie" "$portal/" |
      sed -n 's/^Content-Security-Policy: //p' | tr -d '\r')
bytes=$(wc -c < "$work/page.html")
start_static_nginx "$NGINX_PORT" "$work/page.html" "$csp"

median() { sort -n | awk '{v[NR]=$1} END {printf "%.2f [%.2f-%.2f]", v[int((NR+1)/2)], v[1], v[NR]}'; }

echo "family page: $bytes bytes; $run_seconds s per run, $conns connections, servers on core $server_core"
for r in $(seq "$rounds"); do
  for mode in keepalive close; do
    measure shelterd "$PORTAL_PORT" "$shelter_pid" "$mode" / "Cookie: $cookie"
    measure nginx "$NGINX_PORT" "$nginx_worker" "$mode" /
  done
done

home=$(curl -s -H "Cookie: $cookie" "$portal/" | tr -d '\n')
profile_csrf=$(echo "$home" | csrf_of /profile)
edits=()
for i in $(seq 30); do
  band=$([[ $((i % 2)) == 0 ]] && echo 9-12 || echo under-9)
  edits+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" \
    --data-urlencode "device=tablet" --data-urlencode "profile=$band" \
    --data-urlencode "csrf=$profile_csrf" "$portal/profile" | awk '{print $1 * 1000}')")
done
floor=$(python3 - "$work/households.yaml" <<'PY'
import os, sys, time
path = sys.argv[1]
data = open(path, "rb").read()
times = []
for _ in range(30):
    start = time.perf_counter()
    tmp = path + ".bench"
    with open(tmp, "wb") as f:
        f.write(data); f.flush(); os.fsync(f.fileno())
    os.rename(tmp, path)
    d = os.open(os.path.dirname(path), os.O_RDONLY); os.fsync(d); os.close(d)
    times.append((time.perf_counter() - start) * 1000)
print("\n".join(f"{t:.3f}" for t in times))
PY
)
echo "change (POST /profile -> 303, in force): $(printf '%s\n' "${edits[@]}" | median) ms;" \
     "floor (write+fsync+rename+fsync of the file): $(echo "$floor" | median) ms"
signin_csrf=$(curl -s "$portal/sign-in" | tr -d '\n' | csrf_of /sign-in)
signins=()
for i in $(seq 10); do
  signins+=("$(curl -s -o /dev/null -w '%{time_total}' --data-urlencode "household=smith" \
    --data-urlencode "password=$password" --data-urlencode "csrf=$signin_csrf" \
    "$portal/sign-in" | awk '{print $1 * 1000}')")
done
echo "sign-in (scrypt N=2^15, r=8, p=1): $(printf '%s\n' "${signins[@]}" | median) ms"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
