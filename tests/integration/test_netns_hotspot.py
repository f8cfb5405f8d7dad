#!/usr/bin/env python3
"""The hotspot gateway, built as it is deployed (docs/deploy-hotspot.md), in the test's own
network namespaces:

    client (Wi-Fi side) -- gateway (shelterd + hotspot.nft) -- internet (nsd + nginx)

The gateway runs shelterd with the shipped deploy/hotspot/shelter.yaml (embedded store, the
public Wi-Fi profile for everyone, the venue) and the shipped deploy/hotspot/hotspot.nft, their
addresses replaced by the test's; its lists are the test's: a 1 M-name list of synthetic names
and a few real-looking ones, and the shipped list of DNS-over-HTTPS servers. From the client,
with dig and curl: an allowed site loads; a gambling site gets the block page, which links the
venue page, and that page loads; `dig @<a resolver on the internet>` is still answered by
shelterd (intercepted); DNS-over-TLS (853) and a known DoH server are refused, while the same
connections from the gateway itself get through (so the rules, not a missing server, refuse
them). shelterd's memory with the 1 M-name list is printed and bounded. Root only: exits 77
otherwise. Everything is removed at the end, even when a check fails."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import yaml
except ImportError:  # a python3 of its own (pyenv) without PyYAML: Debian's python3-yaml
    sys.path.append("/usr/lib/python3/dist-packages")
    import yaml

import netns
from harness import Run, Shelterd, Suite, parse_dig
from synthetic_names import write_names

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.join(HERE, "..", "..", "deploy", "hotspot")
ENTRIES = int(os.environ.get("HOTSPOT_LIST_ENTRIES", "1000000"))

CLIENT = "100.64.0.10"
GATEWAY, BLOCK = "100.64.0.1", "100.64.0.2"
WAN, NEXT_HOP = "198.51.100.1", "198.51.100.2"
RESOLVER = "198.51.100.53"            # an outside resolver a device might be set to use
SITE, GAMBLING, DOH = "203.0.113.10", "203.0.113.20", "203.0.113.99"
# The shipped files' addresses -> the test's (longest first).
ADDRESSES = [("192.168.50.0/24", "100.64.0.0/24"), ("192.168.50.1", GATEWAY),
             ("192.168.50.2", BLOCK), ("fd50::/64", "2001:db8:64::/64"),
             ("fd50::1", "2001:db8:64::1"), ("fd50::2", "2001:db8:64::2")]
# Memory bounds for the 1 M-name list (docs/deploy-hotspot.md, "Memory"; measured 85 MiB
# steady, 264-277 MiB peak). Steady: the snapshot (about 31 bytes a name, docs/BENCHMARKS.md
# section 4), the list's last good text kept to fall back on (21 MB), the program and its
# 16 MiB cache cap, with room to spare. Peak: building the snapshot from text holds the text,
# the builder's vectors (grown by doubling) and the new snapshot at once; the bound leaves
# about 40 % for allocator variance and fails on a real regression.
STEADY_BOUND_MIB, PEAK_BOUND_MIB = 128, 384

ZONES = {
    "example.org": {"www": SITE, "@": SITE},
    "example.net": {"bet-now": GAMBLING, "doh": DOH, "news": SITE},
}


def nsd_conf(work):
    zones = ""
    for zone, records in ZONES.items():
        with open(os.path.join(work, f"{zone}.zone"), "w") as f:
            f.write(f"$ORIGIN {zone}.\n$TTL 300\n@ IN SOA ns.{zone}. host.{zone}. 1 3600 600 "
                    f"86400 300\n@ IN NS ns.{zone}.\nns IN A {RESOLVER}\n")
            for name, addr in records.items():
                f.write(f"{name} IN A {addr}\n")
        zones += f"zone:\n  name: {zone}\n  zonefile: {zone}.zone\n"
    return f"""server:
  ip-address: {RESOLVER}
  port: 53
  username: ""
  chroot: ""
  zonesdir: "{work}"
  pidfile: "{work}/nsd.pid"
  zonelistfile: "{work}/zone.list"
  xfrdfile: "{work}/xfrd.state"
  database: ""
  server-count: 1
  verbosity: 0
  hide-version: yes
remote-control:
  control-enable: no
{zones}"""


def nginx_conf(work):
    # A site, a gambling site, and servers on a DoH address (443) and a resolver's DoT port
    # (853), plain HTTP: a connection that gets through gets an answer, whatever the port.
    servers = [(f"{SITE}:80", "example home"), (f"{GAMBLING}:80", "bets"),
               (f"{DOH}:443", "doh server"), (f"{RESOLVER}:853", "dot server")]
    blocks = "".join(f"  server {{ listen {listen}; location / {{ return 200 \"{body}\\n\"; }} }}\n"
                     for listen, body in servers)
    temp = "".join(f"  {k}_temp_path {work}/{k};\n"
                   for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\nworker_processes 1;\npid {work}/nginx.pid;\n"
            f"error_log {work}/nginx.err;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n  access_log off;\n{temp}{blocks}}}\n")


def hotspot_config(work, big_list, doh_list):
    """The shipped shelter.yaml, its addresses the test's, its lists the test's."""
    with open(os.path.join(DEPLOY, "shelter.yaml")) as f:
        text = f.read()
    for old, new in ADDRESSES:
        text = text.replace(old, new)
    cfg = yaml.safe_load(text)
    shipped_doh = next(l for l in cfg["lists"] if l["id"] == "doh-endpoints")
    shipped_doh["path"] = doh_list
    cfg["lists"] = [
        {"id": "synthetic", "format": "domains", "path": big_list, "category": "adult"},
        {"id": "gambling", "format": "domains", "entries": ["bet-now.example.net"],
         "category": "gambling"},
        shipped_doh,
    ]
    cfg["upstream"]["servers"] = [RESOLVER]
    cfg["list-updates"]["state-directory"] = work
    return cfg, yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, default_flow_style=None)


def ruleset():
    """The shipped hotspot.nft, its defines the test's interfaces and addresses."""
    with open(os.path.join(DEPLOY, "hotspot.nft")) as f:
        text = f.read()
    defines = {"WIFI_IF": '"wlan0"', "WAN_IF": '"wan0"', "WIFI_V4": "100.64.0.0/24",
               "WIFI_V6": "2001:db8:64::/64", "GATEWAY_V4": GATEWAY,
               "GATEWAY_V6": "2001:db8:64::1", "BLOCK_V4": BLOCK, "BLOCK_V6": "2001:db8:64::2",
               "PROXY_V4": BLOCK, "PROXY_V6": "2001:db8:64::2"}
    for name, value in defines.items():
        text, n = re.subn(rf"^define {name} = \S+", f"define {name} = {value}", text, flags=re.M)
        assert n == 1, f"hotspot.nft has no define {name}"
    return text


def dig(ns, server, name, *opts):
    r = ns.run(["dig", f"@{server}", name, "A", "+tries=1", "+time=2", *opts], check=False)
    return parse_dig(Run(["dig"], r.returncode, r.stdout, r.stderr, 0))


def curl(ns, url, *opts, timeout=5):
    """(exit code, status, body, seconds) of curl in namespace ns."""
    t0 = time.monotonic()
    r = ns.run(["curl", "-sS", "--noproxy", "*", "--max-time", str(timeout), "-o", "-",
                "-w", "\n%{http_code}", *opts, url], check=False, timeout=timeout + 5)
    body, _, code = r.stdout.rpartition("\n")
    return r.returncode, int(code or 0), body, time.monotonic() - t0


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024  # MiB
    return fields


class Timer:
    def __init__(self):
        self.t0 = self.last = time.monotonic()

    def lap(self, what):
        now = time.monotonic()
        print(f"TIME {what}: {now - self.last:.2f} s (total {now - self.t0:.2f} s)", flush=True)
        self.last = now


def build(net, work):
    client = net.namespace("client")
    gateway = net.namespace("gateway", forwarding=True)
    internet = net.namespace("internet")
    net.link(client, "wifi0", [f"{CLIENT}/24"], gateway, "wlan0",
             [f"{GATEWAY}/24", f"{BLOCK}/24", "2001:db8:64::1/64", "2001:db8:64::2/64"])
    net.link(gateway, "wan0", [f"{WAN}/24"], internet, "eth0",
             [f"{NEXT_HOP}/24", f"{RESOLVER}/24", f"{SITE}/24", f"{GAMBLING}/24", f"{DOH}/24"])
    client.route("default", "via", GATEWAY)
    gateway.route("default", "via", NEXT_HOP)
    with open(os.path.join(work, "nsd.conf"), "w") as f:
        f.write(nsd_conf(work))
    with open(os.path.join(work, "nginx.conf"), "w") as f:
        f.write(nginx_conf(work))
    for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(work, d), exist_ok=True)
    internet.popen(["nsd", "-d", "-c", os.path.join(work, "nsd.conf")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    internet.popen(["nginx", "-c", os.path.join(work, "nginx.conf"), "-p", work],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return client, gateway, internet


def wait_servers(t, gateway):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        d = dig(gateway, RESOLVER, "www.example.org")
        if d.status == "NOERROR" and curl(gateway, f"http://{SITE}/", timeout=1)[1] == 200:
            return True
        time.sleep(0.1)
    return t.check(False, "nsd and nginx answer on the internet side")


def checks_allowed(t, client):
    d = dig(client, GATEWAY, "www.example.org")
    t.check(d.status == "NOERROR" and d.data("A") == [SITE], "an allowed name resolves", str(d))
    rc, status, body, _ = curl(client, "http://www.example.org/", "--resolve",
                               f"www.example.org:80:{SITE}")
    t.check(rc == 0 and status == 200 and body.strip() == "example home",
            "an allowed site loads through the gateway", f"rc={rc} status={status} {body!r}")


def checks_blocked(t, client, sample):
    d = dig(client, GATEWAY, "bet-now.example.net")
    t.check(d.data("A") == [BLOCK], "a gambling site resolves to the block page", str(d))
    rc, status, body, _ = curl(client, "http://bet-now.example.net/", "--resolve",
                               f"bet-now.example.net:80:{BLOCK}", "-H", "Accept: text/html")
    t.check(status == 403 and "This site is not available on this Wi-Fi" in body and
            "Riverside Library" in body, "it gets the venue's block page", body[:400])
    t.check(f'href="http://{GATEWAY}/venue"' in body, "which links the venue page", body[-800:])
    rc, status, body, _ = curl(client, f"http://{GATEWAY}/venue")
    t.check(status == 200 and "Terms of use" in body and "free for everyone in the library" in
            body and "<li>gambling</li>" in body and "<li>adult content</li>" in body and
            "keeps no history" in body and 'href="mailto:wifi@library.example"' in body,
            "the venue page loads: terms, what is filtered, privacy, contact", body[:600])
    d = dig(client, GATEWAY, sample[1])
    t.check(d.data("A") == [BLOCK], f"a name of the 1 M-name list is blocked ({sample[1]})",
            str(d))
    d = dig(client, GATEWAY, "use-application-dns.net")
    t.equal(d.status, "NXDOMAIN", "the DoH canary name says the network filters")


def checks_intercepted(t, client, gateway):
    control = dig(gateway, RESOLVER, "bet-now.example.net")
    t.check(control.data("A") == [GAMBLING], "(control) the outside resolver itself answers "
            "the real address", str(control))
    for opts, how in (((), "UDP"), (("+tcp",), "TCP")):
        d = dig(client, RESOLVER, "bet-now.example.net", *opts)
        t.check(d.data("A") == [BLOCK], f"dig @{RESOLVER} over {how} is still filtered "
                "(answered by shelterd)", str(d))
    d = dig(client, RESOLVER, "www.example.org")
    # nsd, authoritative only, never sets RA; shelterd, a resolver, does.
    t.check(d.data("A") == [SITE] and "ra" in d.flags,
            "an allowed name asked of the outside resolver: shelterd's answer (RA set)", str(d))


def checks_bypass(t, client, gateway):
    rc, status, body, _ = curl(gateway, f"http://{RESOLVER}:853/")
    t.check(status == 200, "(control) port 853 answers from the gateway itself", body)
    rc, status, _, secs = curl(client, f"http://{RESOLVER}:853/")
    t.check(rc == 7 and secs < 2, f"DNS-over-TLS (853) from the Wi-Fi is refused at once "
            f"(curl exit {rc}, {secs:.2f} s)")
    rc, status, body, _ = curl(gateway, f"http://{DOH}:443/")
    t.check(status == 200, "(control) the DoH server answers from the gateway itself", body)
    rc, status, _, secs = curl(client, f"http://{DOH}:443/")
    t.check(rc == 7 and secs < 2, f"a known DoH server's address is refused from the Wi-Fi "
            f"(curl exit {rc}, {secs:.2f} s)")
    d = dig(client, GATEWAY, "doh.example.net")
    t.check(d.data("A") == [BLOCK], "its name is blocked (doh-endpoints list)", str(d))
    d = dig(client, GATEWAY, "dns.google")
    t.check(d.data("A") == [BLOCK], "a shipped DoH name is blocked (dns.google)", str(d))


def check_memory(t, daemon):
    time.sleep(1.0)  # let the start-up's freed memory settle
    m = memory(daemon.proc.pid)
    print(f"MEMORY shelterd with {ENTRIES} list entries: VmRSS {m['VmRSS']:.1f} MiB steady, "
          f"VmHWM {m['VmHWM']:.1f} MiB peak", flush=True)
    if ENTRIES >= 1_000_000:
        t.check(m["VmRSS"] <= STEADY_BOUND_MIB, f"steady RSS within {STEADY_BOUND_MIB} MiB")
        t.check(m["VmHWM"] <= PEAK_BOUND_MIB, f"peak RSS within {PEAK_BOUND_MIB} MiB")


def main(t):
    why = netns.available()
    if why:
        print(f"SKIP: {why}")
        sys.exit(77)
    timer = Timer()
    work = tempfile.mkdtemp(prefix="shelter-hotspot-")
    try:
        sample = write_names(os.path.join(work, "synthetic.domains"), ENTRIES)
        doh_list = os.path.join(work, "doh-endpoints.txt")
        shutil.copy(os.path.join(os.path.dirname(DEPLOY), "lists", "doh-endpoints.txt"), doh_list)
        with open(doh_list, "a") as f:
            f.write("doh.example.net\n")
        cfg, text = hotspot_config(work, os.path.join(work, "synthetic.domains"), doh_list)
        t.check(cfg["subscribers"]["default-profile"] == "hotspot" and
                cfg["profiles"]["hotspot"]["base"] == "public-wifi" and
                cfg["subscribers"]["store"] == "embedded", "the shipped config: embedded "
                "store, the public Wi-Fi profile for everyone")
        timer.lap("list of synthetic names written")
        with netns.Network() as net:
            client, gateway, _ = build(net, work)
            gateway.nft(ruleset())
            gateway.run(["nft", "add", "element", "inet", "shelter_hotspot", "doh_v4",
                         f"{{ {DOH} }}"])
            timer.lap("namespaces, servers and rules")
            if not wait_servers(t, gateway):
                return
            with Shelterd(t.args.shelterd, text, netns=gateway, ready_timeout=60) as daemon:
                timer.lap(f"shelterd ready with {ENTRIES} entries")
                with t.case("memory"):
                    check_memory(t, daemon)
                timer.lap("memory (1 s to settle)")
                for name, fn, args in (("allowed", checks_allowed, (client,)),
                                       ("blocked", checks_blocked, (client, sample)),
                                       ("intercepted", checks_intercepted, (client, gateway)),
                                       ("bypass", checks_bypass, (client, gateway))):
                    with t.case(name):
                        fn(t, *args)
                    timer.lap(name)
                t.check(daemon.alive(), "shelterd still running", daemon.log_tail())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    timer.lap("cleaned up")


if __name__ == "__main__":
    Suite("hotspot in network namespaces").main(main)
