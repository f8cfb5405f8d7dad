#!/usr/bin/env python3
"""A fleet in network namespaces (root): two gateways running shelterd from
deploy/fleet/shelter-node.yaml (only its PER NODE lines, the upstream's port and the paths
replaced) with the Redis store through Sentinel, a Redis primary and a replica on machines of
their own, three Sentinels (quorum 2), deploy/redis/users.acl as it is, and a client.

    cl  (100.64.0.10) ---------------------+
    gw1 (100.64.0.1, 192.0.2.11) ----------+
    gw2 (100.64.0.2, 192.0.2.12) ----------+-- br0 in "sw" (one L2 segment: the switch)
    r1  (192.0.2.31: primary, sentinel) ---+
    r2  (192.0.2.32: replica, sentinel) ---+
    s3  (192.0.2.33: the third sentinel) --+
    rt  (192.0.2.1, 100.64.0.254: the subscribers' router, BIRD, ECMP) --+

One bridge, not a router: a fleet's nodes share a LAN or VLAN with their Redis set-up, and what
is under test is Sentinel's failover and shelterd following it, not routing. Each gateway's
upstream is a stand-in resolver on its own loopback (as the node's unbound would be).

Checked: both nodes ready; a drain (POST /v1/node/drain) turns /readyz 503 while the node still
answers, and deploy/fleet/readyz-route withdraws the anycast route (ExaBGP lines, and the
copy of the service address on anycast0 that BIRD would export) while queries to the service
address on gw1 are still answered (its copy on lo), and offers it again after; with BIRD on
both nodes from deploy/fleet/bird.conf and a router doing ECMP over what they announce, dnsperf
to the service address is spread over both nodes, none reaches gw1 while it drains, and no query
is lost through the drain and its end; list snapshot version 2 rolled out to gw1 then gw2 by renaming it into
place, then rolled back to version 1; a household changed through gw1's admin API is in force on
gw2 within 1 s (measured); dnsperf sends a steady rate to both gateways while the Redis primary
is SIGKILLed and Sentinel promotes the replica: every query is answered (lost == 0: shelterd
never waits on Redis longer than redis.lookup-timeout, 50 ms here, and dnsperf's timeout is
2 s, so one lost query is a fault, not bad luck on a quiet veth); profile writes through the
admin API work again after the failover (time measured from the kill) and are in force on the
other node; no NOPERM anywhere (the ACL file lets a node do all it does).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import netns
from clients import ADMIN_TOKEN, shelterctl_path
from harness import (BLOCK_V4, Run, Suite, metric, parse_dig, parse_metrics, run,
                     wait_until)
from redis_server import RedisServer, Sentinel

HERE = os.path.dirname(os.path.abspath(__file__))
# deploy/redis's ACL file as it is, with its placeholder passwords: the nodes, replication,
# the sentinels and this test (as the operator) each log in as their own user.
ACL = os.path.join(HERE, "..", "..", "deploy", "redis", "users.acl")
REDIS_ACL = ["--aclfile", os.path.abspath(ACL),
             "--masteruser", "shelter-replica", "--masterauth", "change-me-replica"]
OPERATOR = {"user": "shelter-admin", "password": "change-me-admin"}
KEYS = "fleet " + "5a" * 32 + "\n"  # web.token-keys-file: one for the fleet
NODE_CONFIG = os.path.abspath(os.path.join(HERE, "..", "..", "deploy", "fleet",
                                           "shelter-node.yaml"))
ROUTE_CHECK = os.path.abspath(os.path.join(HERE, "..", "..", "deploy", "fleet", "readyz-route"))
ANYCAST = "192.0.2.53"  # the fleet's service address, offered by each ready node
BIRD_CONFIG = os.path.abspath(os.path.join(HERE, "..", "..", "deploy", "fleet", "bird.conf"))
# The subscribers' router: BGP with both nodes (BIRD), ECMP over the nodes that announce the
# service address, hashing on ports too so that one client's queries spread.
ROUTER, ROUTER_SUB = "192.0.2.1", "100.64.0.254"
ROUTER_BIRD = f"""router id {ROUTER};
protocol device {{ scan time 1; }}
protocol kernel {{ ipv4 {{ export all; }}; merge paths on; }}
template bgp node {{
  local {ROUTER} as 64512; direct; connect retry time 1; hold time 9;
  ipv4 {{ import all; export none; gateway direct; }};
}}
protocol bgp gw1 from node {{ neighbor 192.0.2.11 as 64512; }}
protocol bgp gw2 from node {{ neighbor 192.0.2.12 as 64512; }}
"""
FORWARDED = "198.51.100.44"
CLIENT = "100.64.0.10"
GATEWAYS = {"gw1": ("100.64.0.1", "192.0.2.11"), "gw2": ("100.64.0.2", "192.0.2.12")}
PRIMARY, REPLICA, THIRD = "192.0.2.31", "192.0.2.32", "192.0.2.33"
# The list host's configuration: version 1, and version 2 with one more name.
COMPILE = """lists:
  - {{id: parental, category: social-media, entries: [social.test{extra}]}}
  - {{id: adult-sites, category: adult, entries: [adult.test]}}
"""
RATE, DURATION = 200, 16  # dnsperf: queries per second to each gateway, seconds
QUERIES = "social.test A\nadult.test A\nwww.example.test A\nsocial.test AAAA\n"

# The node's stand-in resolver: the test upstream on its own loopback, its port on stdout.
UPSTREAM = f"""
import sys
sys.path.insert(0, {HERE!r})
from fake_upstream import FakeUpstream
up = FakeUpstream()
for name in ("social.test", "www.example.test", "adult.test", "extra.test"):
    up.add(name, a=({FORWARDED!r},), ttl=300)
up.start()
print(up.port, flush=True)
sys.stdin.read()
"""


def build(net):
    sw = net.namespace("sw")
    sw.run(["ip", "link", "add", "br0", "type", "bridge"])
    sw.run(["ip", "link", "set", "br0", "up"])
    hosts = {"cl": [f"{CLIENT}/24"], "r1": [f"{PRIMARY}/24"], "r2": [f"{REPLICA}/24"],
             "s3": [f"{THIRD}/24"], "rt": [f"{ROUTER}/24", f"{ROUTER_SUB}/24"]}
    for gw, (sub, lan) in GATEWAYS.items():
        hosts[gw] = [f"{sub}/24", f"{lan}/24"]
    ns = {}
    for name, addrs in hosts.items():
        ns[name] = net.namespace(name, forwarding=name == "rt")
        net.link(ns[name], "eth0", addrs, sw, f"p{name}", [])
        sw.run(["ip", "link", "set", f"p{name}", "master", "br0"])
    return ns


def start_upstream(gw):
    proc = gw.popen([sys.executable, "-c", UPSTREAM], stdin=-1, stdout=-1, text=True)
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        raise RuntimeError(f"the stand-in resolver in {gw.short} did not start")
    return f"127.0.0.1:{port}"


def gateway_config(name, upstream, var_dir):
    """deploy/fleet/shelter-node.yaml as it is, with its PER NODE lines set for this gateway,
    its upstream the stand-in resolver's port, and its paths in the test's folders."""
    sub, lan = GATEWAYS[name]
    with open(NODE_CONFIG) as f:
        text = f.read()
    for shipped, here in (('"192.0.2.11:53"', f'"{sub}:53"'), ('"192.0.2.11:9300"', f'"{lan}:9300"'),
                          ('"127.0.0.1:5353"', f'"{upstream}"'),
                          ("/var/lib/shelter/", var_dir + "/"), ("/etc/shelter/", "{dir}/")):
        if shipped not in text:
            raise AssertionError(f"{NODE_CONFIG} no longer has {shipped}")
        text = text.replace(shipped, here)
    return text


class Node:
    """One gateway: its namespace, addresses and shelterd, and the admin API via curl in it."""

    def __init__(self, name, ns, daemon):
        self.name, self.ns, self.d = name, ns, daemon
        self.sub, self.lan = GATEWAYS[name]

    def http(self, method, path, body=None, token=ADMIN_TOKEN):
        cmd = ["curl", "-sS", "--noproxy", "*", "--max-time", "2", "-o", "-", "-w",
               "\n%{http_code}", "-X", method, f"http://{self.lan}:9300{path}"]
        if token:
            cmd += ["-H", f"Authorization: Bearer {token}"]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
        p = self.ns.run(cmd, check=False, timeout=5)
        text, _, code = p.stdout.rpartition("\n")
        return (int(code) if code.isdigit() and code != "000" else None), text

    def ctl(self, ctl, *args):
        """shelterctl against this node's admin API, from inside its namespace."""
        return self.ns.run([ctl["path"], "--admin", f"http://{self.lan}:9300", "--token-file",
                            ctl["token_file"], *args], check=False, timeout=10)

    def answer(self, client_ns, name="social.test", server=None):
        p = client_ns.run(["dig", f"@{server or self.sub}", "+tries=1", "+time=1", name, "A"],
                          check=False, timeout=5)
        r = parse_dig(Run(p.args, p.returncode, p.stdout, p.stderr, 0.0))
        return r.data("A") or [r.status]


def wait_for_redis_set_up(t, primary, replica, sentinels):
    took = wait_until(lambda: "master_link_status:up" in replica.cli("INFO", "replication",
                                                                      check=False), 10)
    t.check(took is not None, "the replica is in sync with the primary")
    # Each sentinel must know the replica as healthy and the two other sentinels (hello
    # messages every 2 s) before a failover can have a quorum and a leader.
    def known(s):
        return ("master-link-status\nok" in s.cli("SENTINEL", "REPLICAS", "shelter", check=False)
                and s.cli("SENTINEL", "CKQUORUM", "shelter", check=False).startswith("OK 3"))
    took = wait_until(lambda: all(known(s) for s in sentinels), 25, step=0.2)
    t.check(took is not None, f"three sentinels know each other and the replica "
            f"({'never' if took is None else f'{took:.1f} s'})",
            sentinels[0].cli("SENTINEL", "CKQUORUM", "shelter", check=False))


class RouteCheck:
    """deploy/fleet/readyz-route in a node's namespace, checking fast; its stdout collected."""

    def __init__(self, node, *args):
        env = dict(os.environ, INTERVAL="0.2", FALL="2", RISE="1")
        url = f"http://{node.lan}:9300/readyz"
        self.proc = node.ns.popen([ROUTE_CHECK, *args, url], stdout=-1, stderr=-3, text=True,
                                  env=env)
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


def drain(t, node, ctl, on):
    """shelterctl node drain (on) or undrain, then what /readyz answers."""
    r = node.ctl(ctl, "node", "drain" if on else "undrain")
    said = "draining:" if on else "in service:"
    t.check(r.returncode == 0 and r.stdout.startswith(said),
            f"{node.name}: shelterctl node {'drain' if on else 'undrain'}", r.stdout + r.stderr)
    status, body = node.http("GET", "/readyz", token=None)
    want = (503, '"status":"draining"') if on else (200, '"status":"ready"')
    t.check(status == want[0] and want[1] in body,
            f"{node.name} {'draining' if on else 'back in service'}: /readyz answers {want[0]}",
            body)


def add_anycast0(node):
    node.ns.run(["ip", "link", "add", "anycast0", "type", "veth", "peer", "name", "anycast0p"])
    for dev in ("anycast0", "anycast0p"):
        node.ns.run(["ip", "link", "set", dev, "up"])


def start_bird(ns, text, work):
    conf = os.path.join(work, f"bird-{ns.short}.conf")
    with open(conf, "w") as f:
        f.write(text)
    ns.popen(["bird", "-f", "-c", conf, "-s", os.path.join(work, f"bird-{ns.short}.ctl"),
              "-P", os.path.join(work, f"bird-{ns.short}.pid")],
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def next_hops(rt):
    """The router's next hops for the service address, as its kernel has them."""
    out = rt.run(["ip", "-4", "route", "show", f"{ANYCAST}/32"], check=False).stdout
    return sorted(re.findall(r"via (\S+)", out))


def queries_seen(node):
    _, text = node.http("GET", "/metrics", token=None)
    return metric(parse_metrics(text), "shelter_dns_queries_total") or 0


def check_anycast_ecmp(t, ns, nodes, ctl, work, qfile):
    """deploy/fleet/bird.conf on both nodes, readyz-route beside it, a router doing ECMP: dnsperf
    to the service address while gw1 drains and comes back, no query lost."""
    if shutil.which("bird") is None:
        print("SKIP anycast with BGP: bird is not installed (scripts/install-deps.sh)", flush=True)
        return
    gw1, gw2 = nodes
    rt, cl = ns["rt"], ns["cl"]
    with open(BIRD_CONFIG) as f:
        shipped = f.read()
    checks = []
    try:
        add_anycast0(gw2)  # gw1's is there from the drain check
        for n in nodes:
            checks.append(RouteCheck(n, "interface", f"{ANYCAST}/32", "anycast0"))
            start_bird(n.ns, shipped.replace("192.0.2.11", n.lan), work)
        rt.sysctl("net.ipv4.fib_multipath_hash_policy", 1)
        # The router and the nodes share the client's segment here: no ICMP redirect may send
        # the client straight to one node, around the router's ECMP.
        for key in ("all", "eth0"):
            rt.sysctl(f"net.ipv4.conf.{key}.send_redirects", 0)
            cl.sysctl(f"net.ipv4.conf.{key}.accept_redirects", 0)
        start_bird(rt, ROUTER_BIRD, work)
        both = sorted(lan for _, lan in GATEWAYS.values())
        took = wait_until(lambda: next_hops(rt) == both, 30, step=0.1)
        t.check(took is not None, f"BGP: the router has both nodes as next hops for the service "
                f"address ({'never' if took is None else f'{took:.1f} s'})", next_hops(rt))
        cl.run(["ip", "route", "replace", f"{ANYCAST}/32", "via", ROUTER_SUB])
        base = [queries_seen(n) for n in nodes]
        perf = cl.popen(["dnsperf", "-s", ANYCAST, "-d", qfile, "-Q", str(RATE), "-l", "9",
                         "-t", "2", "-c", "16"], stdout=-1, stderr=-2, text=True)
        time.sleep(2)
        before = [queries_seen(n) - b for n, b in zip(nodes, base)]
        drain(t, gw1, ctl, True)
        start = time.monotonic()
        gone = wait_until(lambda: next_hops(rt) == [GATEWAYS["gw2"][1]], 5, step=0.05)
        print(f"  timing: drain -> the router stops sending to gw1 after "
              f"{'never' if gone is None else f'{(time.monotonic() - start) * 1000:.0f} ms'}",
              flush=True)
        t.check(gone is not None, "BGP: gw1 draining, the router's only next hop is gw2",
                next_hops(rt))
        time.sleep(0.5)  # what was on its way
        quiet = queries_seen(gw1)
        time.sleep(2)
        t.check(before[0] > 0 and before[1] > 0, "ECMP spreads the queries over both nodes "
                f"({before[0]:.0f} and {before[1]:.0f} in the 2 s before the drain)")
        late = queries_seen(gw1) - quiet
        t.check(late == 0, f"none reached gw1 while it drained ({late:.0f} in 2 s)")
        drain(t, gw1, ctl, False)
        back = wait_until(lambda: next_hops(rt) == both, 10, step=0.05)
        t.check(back is not None, "BGP: gw1 back in service, both next hops again", next_hops(rt))
        out, _ = perf.communicate(timeout=30)
        numbers = dnsperf_numbers(out)
        print("  dnsperf to the service address through the drain and back: "
              f"{numbers['sent']} sent, {numbers['lost']} lost", flush=True)
        t.check(numbers["sent"] and numbers["lost"] == 0,
                f"anycast: no query lost while gw1 drained and came back (lost {numbers['lost']} "
                f"of {numbers['sent']})", out[-1200:])
    finally:
        for c in checks:
            c.stop()


def check_ready_and_drain(t, cl, nodes, ctl):
    for n in nodes:
        status, body = n.http("GET", "/readyz", token=None)
        t.check(status == 200 and '"status":"ready"' in body, f"{n.name}: /readyz 200 ready",
                body)
    gw1 = nodes[0]
    # anycast0, whose copy of the service address BIRD or FRR export, stands in for the guide's
    # dummy interface as a veth pair (a kernel may have no dummy driver); the node's own copy
    # stays on lo.
    add_anycast0(gw1)

    def on_dummy():
        return ANYCAST in gw1.ns.run(["ip", "-4", "addr", "show", "dev", "anycast0"]).stdout

    announce, withdraw = (f"{verb} route {ANYCAST}/32 next-hop self\n"
                          for verb in ("announce", "withdraw"))
    bgp = RouteCheck(gw1, "exabgp", f"{ANYCAST}/32")
    dummy = RouteCheck(gw1, "interface", f"{ANYCAST}/32", "anycast0")
    try:
        t.check(wait_until(lambda: bgp.lines == [announce] and on_dummy(), 5) is not None,
                "readyz-route: gw1 ready, the anycast route offered (ExaBGP and on an "
                "interface)", bgp.lines)
        # The client's router sends the service address to gw1 (the route BGP would give).
        cl.route(f"{ANYCAST}/32", "via", GATEWAYS["gw1"][0])
        t.equal(gw1.answer(cl, "www.example.test", ANYCAST), [FORWARDED],
                "the service address answers on gw1")
        drain(t, gw1, ctl, True)
        took = wait_until(lambda: bgp.lines[-1:] == [withdraw] and not on_dummy(), 5)
        print(f"  timing: drain -> route withdrawn after "
              f"{'never' if took is None else f'{took * 1000:.0f} ms'} (checks every 0.2 s, "
              "2 in a row)", flush=True)
        t.check(took is not None, "readyz-route: gw1 draining, the anycast route withdrawn",
                bgp.lines)
        t.equal(gw1.answer(cl, "www.example.test"), [FORWARDED],
                "gw1 draining: it still answers what reaches it")
        t.equal(gw1.answer(cl, "www.example.test", ANYCAST), [FORWARDED],
                "gw1 draining, its route withdrawn: what the routers still send it (before "
                "they hear) is answered at the service address (the copy on lo)")
        drain(t, gw1, ctl, False)
        t.check(wait_until(lambda: bgp.lines == [announce, withdraw, announce] and on_dummy(), 5)
                is not None, "readyz-route: gw1 back in service, the route offered again",
                bgp.lines)
        bgp.stop()
        dummy.stop()
        t.check(bgp.lines[-1:] == [withdraw] and not on_dummy(),
                "readyz-route stopped: it takes its route with it", bgp.lines)
    finally:
        for check in (bgp, dummy):
            if check.proc.poll() is None:
                check.proc.kill()


def install(snapshot, var_dir):
    """What rsync does on a node: a temporary file beside the live one, renamed into place."""
    tmp = os.path.join(var_dir, ".lists.snap.tmp")
    shutil.copyfile(snapshot, tmp)
    os.rename(tmp, os.path.join(var_dir, "lists.snap"))


def check_list_rollout(t, cl, nodes, snaps, var_dirs):
    """Version 2 to gw1 (the canary), checked, then gw2; then both back to version 1."""
    for n in nodes:
        t.equal(n.answer(cl, "extra.test"), [FORWARDED], f"{n.name}: version 1 in force")
    for step, (version, want) in enumerate((("v2", [BLOCK_V4]), ("v1", [FORWARDED]))):
        for n in nodes:
            mark = n.d.mark()
            start = time.monotonic()
            install(snaps[version], var_dirs[n.name])
            swapped = n.d.wait_for("snapshot: swapped in", mark, 5)
            took = wait_until(lambda: n.answer(cl, "extra.test") == want, 3)
            what = "rolled out" if step == 0 else "rolled back"
            print(f"  timing: {version} {what} on {n.name}: in force after "
                  f"{(time.monotonic() - start) * 1000:.0f} ms", flush=True)
            t.check(swapped is not None and took is not None,
                    f"{n.name}: snapshot {version} {what} (renamed into place) and in force",
                    n.d.log_tail(5))
            status, body = n.http("GET", "/readyz", token=None)
            t.check(status == 200, f"{n.name}: /readyz 200 after the {version} swap", body)


def check_change_propagates(t, cl, gw1, gw2):
    status, body = gw1.http("POST", "/v1/households",
                            {"id": "smith", "profile": "adult", "addresses": [f"{CLIENT}/32"]})
    t.check(status == 201, "gw1: household smith created through the admin API", body)
    took = wait_until(lambda: gw2.answer(cl) == [FORWARDED], 5)
    t.check(took is not None, "gw2 knows smith (adult: social.test forwarded)")
    start = time.monotonic()
    status, body = gw1.http("PATCH", "/v1/households/smith", {"profile": "9-12"})
    t.check(status == 200, "gw1: smith's profile set to 9-12", body)
    in_force = wait_until(lambda: gw2.answer(cl) == [BLOCK_V4], 1.0, step=0.005)
    took = time.monotonic() - start
    print(f"  timing: a change through gw1 in force on gw2 after {took * 1000:.0f} ms",
          flush=True)
    t.check(in_force is not None, f"gw1's change in force on gw2 within 1 s ({took * 1000:.0f} ms)")


def start_dnsperf(cl, node, qfile):
    return cl.popen(["dnsperf", "-s", node.sub, "-d", qfile, "-Q", str(RATE), "-l", str(DURATION),
                     "-t", "2", "-c", "4", "-S", "2"], stdout=-1, stderr=-2, text=True)


def dnsperf_numbers(output):
    def num(label):
        m = re.search(rf"{label}:\s+(\d+)", output)
        return int(m.group(1)) if m else None
    codes = dict(re.findall(r"(\w+) (\d+) \(", output.split("Response codes:")[-1].splitlines()[0])
                 ) if "Response codes:" in output else {}
    return {"sent": num("Queries sent"), "completed": num("Queries completed"),
            "lost": num("Queries lost"), "codes": {k: int(v) for k, v in codes.items()}}


def try_write(node, profile):
    status, _ = node.http("PATCH", "/v1/households/smith", {"profile": profile})
    return status == 200


def check_failover(t, cl, nodes, primary, replica, sentinels, qfile):
    gw1, gw2 = nodes
    perfs = [start_dnsperf(cl, n, qfile) for n in nodes]
    time.sleep(3)  # a steady rate first
    killed = time.monotonic()
    primary.proc.send_signal(signal.SIGKILL)
    print("  timing: Redis primary SIGKILLed", flush=True)
    # Until a new primary is named, each node keeps the households it has in memory.
    t.equal(gw2.answer(cl), [BLOCK_V4], "Redis down: gw2 still applies smith's 9-12 from memory")
    promoted = wait_until(
        lambda: REPLICA in sentinels[2].cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "shelter",
                                            check=False), 20, step=0.05)
    t.check(promoted is not None, "Sentinel promoted the replica "
            f"({'never' if promoted is None else f'{promoted:.1f} s after the kill'})")
    t.check("role:master" in replica.cli("INFO", "replication", check=False),
            "the replica answers as the primary")
    written = wait_until(lambda: try_write(gw1, "13-14"), 20, step=0.1)
    after = time.monotonic() - killed
    print(f"  timing: promoted {promoted if promoted is None else round(promoted, 2)} s, "
          f"admin API writes again {after:.2f} s after the kill", flush=True)
    t.check(written is not None, f"gw1: profile writes work again after the failover "
            f"({after:.1f} s after the kill)", gw1.d.log_tail(10))
    # 13-14 blocks social media too; a write of "adult" tells the difference on gw2.
    start = time.monotonic()
    t.check(try_write(gw1, "adult"), "gw1: a second write after the failover")
    took = wait_until(lambda: gw2.answer(cl) == [FORWARDED], 2.0, step=0.01)
    t.check(took is not None, "after the failover gw1's change is in force on gw2 "
            f"({(time.monotonic() - start) * 1000:.0f} ms)", gw2.d.log_tail(10))
    t.check(try_write(gw2, "9-12"), "gw2: profile writes work after the failover too")
    for n, perf in zip(nodes, perfs):
        out, _ = perf.communicate(timeout=DURATION + 15)
        numbers = dnsperf_numbers(out)
        summary = out[out.find("Statistics:"):] if "Statistics:" in out else out[-1500:]
        print(f"  dnsperf against {n.name} ({n.sub}), {RATE} q/s for {DURATION} s through the "
              f"failover:\n" + "\n".join("    " + l for l in summary.splitlines()[:12]),
              flush=True)
        sent = numbers["sent"] or 0
        t.check(sent >= RATE * DURATION * 0.9, f"{n.name}: dnsperf sent a steady rate ({sent})",
                out[-1500:])
        t.check(numbers["lost"] == 0, f"{n.name}: no query lost through the failover "
                f"(lost {numbers['lost']} of {sent})", out[-1500:])
        t.check(set(numbers["codes"]) == {"NOERROR"},
                f"{n.name}: every answer NOERROR ({numbers['codes']})", out[-1500:])
    t.check(all(n.d.alive() for n in nodes), "both shelterd nodes still running")


def compile_snapshots(t, work):
    snaps = {}
    for version, extra in (("v1", ""), ("v2", ", extra.test")):
        config = os.path.join(work, f"compile-{version}.yaml")
        with open(config, "w") as f:
            f.write(COMPILE.format(extra=extra))
        snaps[version] = os.path.join(work, f"lists-{version}.snap")
        r = run([t.args.shelter_compile, "--config", config, "--output", snaps[version]], 60)
        if r.rc != 0:
            raise RuntimeError(f"shelter-compile: {r.out}{r.err}")
    return snaps


def body(t):
    if (why := netns.available()) is not None:
        print(f"SKIP: {why}", flush=True)
        sys.exit(77)
    if not t.args.shelter_compile:
        raise RuntimeError("no shelter-compile: pass --shelter-compile PATH")
    began = time.monotonic()
    work = tempfile.mkdtemp(prefix="shelter-fleet-")
    try:
        run_fleet(t, work, began)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"  timing: whole run {time.monotonic() - began:.1f} s", flush=True)


def run_fleet(t, work, began):
    qfile = os.path.join(work, "queries")
    with open(qfile, "w") as f:
        f.write(QUERIES)
    snaps = compile_snapshots(t, work)
    var_dirs = {}
    for name in GATEWAYS:  # each node's /var/lib/shelter, version 1 in place
        var_dirs[name] = os.path.join(work, name)
        os.makedirs(var_dirs[name])
        install(snaps["v1"], var_dirs[name])
    files = {"admin.tokens": f"operator {ADMIN_TOKEN}\n", "token-keys": KEYS}
    with netns.Network() as net:
        ns = build(net)
        servers = []  # stopped at the end whatever happens (the network kills what is left)
        try:
            primary = RedisServer(netns=ns["r1"], host=PRIMARY, extra=REDIS_ACL, **OPERATOR)
            servers.append(primary.start())
            replica = RedisServer(netns=ns["r2"], host=REPLICA, **OPERATOR,
                                  extra=REDIS_ACL + ["--replicaof", PRIMARY, str(primary.port)])
            servers.append(replica.start())
            sentinels = []
            for name, addr in (("r1", PRIMARY), ("r2", REPLICA), ("s3", THIRD)):
                sentinels.append(Sentinel(primary, quorum=2, netns=ns[name], host=addr,
                                          auth=("shelter-sentinel", "change-me-sentinel")).start())
                servers.append(sentinels[-1])
            wait_for_redis_set_up(t, primary, replica, sentinels)
            print(f"  timing: network and Redis set-up {time.monotonic() - began:.1f} s",
                  flush=True)
            cfgs = {}
            for name in GATEWAYS:
                # The service and block addresses live on every node's lo
                # (deploy/fleet/shelter-node.yaml says why).
                for addr in (f"{ANYCAST}/32", "192.0.2.80/32", "2001:db8::80/128"):
                    ns[name].run(["ip", "addr", "add", addr, "dev", "lo"])
                cfgs[name] = gateway_config(name, start_upstream(ns[name]), var_dirs[name])
            with t.shelterd(cfgs["gw1"], files, netns=ns["gw1"]) as d1, \
                    t.shelterd(cfgs["gw2"], files, netns=ns["gw2"]) as d2:
                nodes = [Node("gw1", ns["gw1"], d1), Node("gw2", ns["gw2"], d2)]
                for n in nodes:
                    t.check(n.d.wait_for(f"connected to {PRIMARY}:6379", 0, 10) is not None,
                            f"{n.name}: Sentinel named the primary", n.d.log_tail(6))
                ctl = {"path": shelterctl_path(t), "token_file": os.path.join(work, "token")}
                with open(ctl["token_file"], "w") as f:
                    f.write(ADMIN_TOKEN + "\n")
                check_ready_and_drain(t, ns["cl"], nodes, ctl)
                check_anycast_ecmp(t, ns, nodes, ctl, work, qfile)
                check_list_rollout(t, ns["cl"], nodes, snaps, var_dirs)
                check_change_propagates(t, ns["cl"], *nodes)
                check_failover(t, ns["cl"], nodes, primary, replica, sentinels, qfile)
                for n in nodes:
                    t.check("NOPERM" not in n.d.log(), f"{n.name}: deploy/redis/users.acl let "
                            "the node do all it did (no NOPERM in its log)", n.d.log_tail(10))
        finally:
            for r in reversed(servers):
                r.stop()


if __name__ == "__main__":
    Suite("netns fleet").main(body)
