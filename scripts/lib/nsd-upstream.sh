# Sourced by the benchmark scripts: nsd on 127.0.0.1:PORT answering every name under
# bench.test with 192.0.2.1 (a wildcard zone), pinned to CPU 1. Appends its PID to `pids`.
# start_nsd_upstream WORK_DIR PORT
start_nsd_upstream() {
  local work=$1 port=$2
  cat > "$work/bench.test.zone" <<ZONE
\$ORIGIN bench.test.
\$TTL 3600
@ IN SOA ns.bench.test. host.bench.test. 1 3600 600 86400 300
@ IN NS ns.bench.test.
ns IN A 127.0.0.1
* IN A 192.0.2.1
ZONE
  cat > "$work/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$work"
  pidfile: "$work/nsd.pid"
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  database: ""
  server-count: 1
  verbosity: 0
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: bench.test.zone
CONF
  taskset -c 1 nsd -d -c "$work/nsd.conf" 2>"$work/nsd.log" &
  pids+=($!)
}
