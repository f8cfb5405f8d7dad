#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, fuzzing and benchmarking Shelter needs.
# Idempotent: when everything is present it only runs one dpkg query and exits.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libboost1.81-dev libssl-dev libc-ares-dev libhiredis-dev libyaml-cpp-dev libidn2-dev
  libkainjow-mustache-dev  # logic-less page templates that escape by default (proxy/web)
  libsystemd-dev  # sd_notify: systemd's Type=notify readiness, reload and stop notices
  catch2 libbenchmark-dev
  # tests and benchmarks
  python3 redis-server dnsutils knot-dnsutils dnsperf nsd unbound dnsdist curl procps util-linux time
  redis-tools openssl  # redis-cli; test certificates for the Redis client's TLS tests
  tzdata  # /usr/share/zoneinfo: households' time zones
  iproute2 nftables iputils-ping  # the deployment tests' network namespaces and their rule sets
  haproxy keepalived bird2 shellcheck  # deploy/fleet's balancer, routing and script, checked
  python3-yaml  # the hotspot namespace test reads and rewrites the shipped deploy/hotspot config
  chromium  # the block pages in a real browser (tests/browser, with axe-core)
  dnsmasq-base  # the DNS benchmark's fourth peer (scripts/bench-dns.sh)
  nginx wrk  # the web benchmark's peer and load generator (scripts/bench-web.sh)
  # the proxy benchmark's peers (scripts/bench-proxy.sh): squid-openssl is Debian's squid built
  # with SslBump (peek at the SNI and splice); it replaces the plain `squid` package
  squid-openssl squidguard e2guardian
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# Node.js for the browser tests: whatever node the machine has (18 or later), else Debian's.
command -v node >/dev/null || missing+=(nodejs npm)

install_browser_packages() {
  # The npm packages of tests/browser, exactly as package-lock.json pins them.
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules" ]]; then
    echo "install-deps: npm ci in tests/browser"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) && touch "$dir/node_modules"
  fi
}

if [[ ${#missing[@]} -eq 0 ]]; then
  install_browser_packages
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts these daemons on install where an init system runs; Shelter's tests and
# benchmarks start private instances on their own ports, so the system ones are not needed.
for svc in redis-server nsd unbound dnsdist nginx squid e2guardian; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
# Only their configuration checks run (integration:fleet-configs); no balancer or router here.
for svc in haproxy keepalived bird; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
install_browser_packages
