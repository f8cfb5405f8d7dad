#!/usr/bin/env python3
"""The ISP inline node (docs/deploy-isp.md), built in network namespaces and used with real
clients.

    client (100.64.0.2, 2001:db8:100::2)
      │ eth0 ── sub0
    gateway: routes, runs shelterd (DNS 192.0.2.53, block page 192.0.2.80, steered proxy
      │      192.0.2.81) with the shipped deploy/isp/inline.nft and deploy/nftables/proxy-*.nft
      │      loaded, only their `define` lines replaced by this network's values
      │ up0 ── eth0
    internet: nsd, authoritative for example.org/.net/.com and cloudflare-dns.com (203.0.113.53),
              nginx with HTTP and HTTPS (a throwaway CA) for an allowed site, a blocked domain, a
              shared host with one page on the operator's list, another with one page on a legal
              list, and a DoH endpoint; a DoT listener, a UDP/443 echo (so that a refused QUIC
              packet proves the gateway refused it)

From the client, with dig and curl: the allowed site loads; the blocked domain gets the block
page over HTTP and a refused connection over HTTPS; the listed page is blocked and its host's
other pages load, in the DNS-steered mode and with REDIRECT and TPROXY (the operator's list
unsteered there, reached through the redirect; the legal list's host steered beside it, as
docs/deploy-isp.md advises), over IPv4 and IPv6;
QUIC is refused at once (ICMP port unreachable); `dig @<the internet's resolver>` is still filtered; DoT is refused;
the DoH endpoint is unreachable by name and by address; shelterd takes its lists from a
compiled snapshot, and a new one renamed into place is in force within a second. Each refusal
has a control from the gateway itself that shows the server was there.

Root only (exits 77 otherwise). Every namespace is removed at the end, also after a failure:
the last check runs this script deliberately failing and looks for what it left.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netns  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")

SUB_IF = "sub0"
SUBS_V4, SUBS_V6 = "100.64.0.0/10", "2001:db8:100::/40"
CLIENT_V4, CLIENT_V6 = "100.64.0.2", "2001:db8:100::2"
RESOLVER = {4: "192.0.2.53", 6: "2001:db8::53"}
BLOCK = {4: "192.0.2.80", 6: "2001:db8::80"}
PROXY = {4: "192.0.2.81", 6: "2001:db8::81"}
NS_ADDR = {4: "203.0.113.53", 6: "2001:db8:113::53"}
ALLOWED, BLOCKED, SHARED, DOH = "www.example.org", "casino.example.net", "pages.example.com", \
    "cloudflare-dns.com"
FILES = "files.example.com"  # a shared host with a page on a legal (authority) list
SITES = {ALLOWED: 10, BLOCKED: 11, SHARED: 12, DOH: 13, FILES: 14}  # their addresses' last byte
HTTP_PORT, TLS_PORT, MARK = 3128, 3129, "0x5e1"
# A refusal is told by its kind ("refused": a TCP reset or an ICMP port unreachable; a dropped
# packet gives "timeout" after the probe's 2-3 s). The time bound is below TCP's first SYN
# retransmission (1 s) and leaves room for a loaded 2-core CI machine (254 ms seen there);
# the times printed are the measure.
REFUSED_WITHIN_MS = 1000
NAV = ["-H", "Accept: text/html"]


def site_addr(name, family):
    n = SITES[name]
    return f"203.0.113.{n}" if family == 4 else f"2001:db8:113::{n}"


def shipped_rules(path, values):
    """The shipped rule set with each `define NAME = ...` line given this network's value;
    every define must be given one, so no example value of the file stays in force."""
    text = open(path).read()
    names = re.findall(r"^\s*define (\w+) =", text, re.M)
    missing = sorted(set(names) - set(values))
    if missing:
        raise AssertionError(f"{path}: no test value for define {missing}")
    for name in names:
        text = re.sub(rf"^(\s*)define {name} = .*$", rf"\1define {name} = {values[name]}",
                      text, flags=re.M)
    return text


# --- the internet ---------------------------------------------------------------------------

ZONE = """$TTL 300
@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300
@ IN NS ns.{zone}.
ns IN A 203.0.113.53
{records}
"""


def start_nsd(inet, work):
    zones = {"example.org": [ALLOWED], "example.net": [BLOCKED], "example.com": [SHARED, FILES],
             "cloudflare-dns.com": [DOH]}
    conf = [f'server:\n  ip-address: {NS_ADDR[4]}\n  ip-address: {NS_ADDR[6]}\n  port: 53\n'
            f'  username: ""\n  chroot: ""\n  zonesdir: "{work}"\n  pidfile: "{work}/nsd.pid"\n'
            f'  database: ""\n  zonelistfile: "{work}/zone.list"\n'
            f'  xfrdfile: "{work}/xfrd.state"\n  xfrdir: "{work}"\n  logfile: "{work}/nsd.log"\n'
            f'  server-count: 1\n  verbosity: 1\nremote-control:\n  control-enable: no\n']
    for zone, names in zones.items():
        recs = []
        for name in names:
            rel = "@" if name == zone else name[: -len(zone) - 1]
            recs.append(f"{rel} IN A {site_addr(name, 4)}\n{rel} IN AAAA {site_addr(name, 6)}")
        with open(f"{work}/{zone}.zone", "w") as f:
            f.write(ZONE.format(zone=zone, records="\n".join(recs)))
        conf.append(f'zone:\n  name: "{zone}"\n  zonefile: "{zone}.zone"\n')
    with open(f"{work}/nsd.conf", "w") as f:
        f.write("".join(conf))
    inet.popen(["nsd", "-d", "-c", f"{work}/nsd.conf"], stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)


def make_certificates(work):
    """A throwaway CA and one server certificate for every site's name (openssl CLI)."""
    def ssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True)
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{work}/ca.key", "-out", f"{work}/ca.pem", "-days", "2",
        "-subj", "/CN=Shelter inline test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{work}/site.key", "-out", f"{work}/site.csr", "-subj", f"/CN={ALLOWED}")
    with open(f"{work}/site.ext", "w") as f:
        f.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in SITES)
                + f",IP:{NS_ADDR[4]}\nextendedKeyUsage=serverAuth\n")
    ssl("x509", "-req", "-in", f"{work}/site.csr", "-CA", f"{work}/ca.pem", "-CAkey",
        f"{work}/ca.key", "-CAcreateserial", "-out", f"{work}/site.pem", "-days", "2",
        "-extfile", f"{work}/site.ext")


def start_nginx(inet, work):
    servers = []
    for name in SITES:
        body = f"{name} $uri" if name != DOH else "doh endpoint"
        servers.append(
            f"  server {{ listen 80; listen [::]:80; listen 443 ssl; listen [::]:443 ssl;\n"
            f"    server_name {name}; location / {{ return 200 \"{body}\\n\"; }} }}\n")
    servers.append(f"  server {{ listen {NS_ADDR[4]}:853 ssl; location / {{ return 200 \"dot\\n\"; }} }}\n")
    temp = "".join(f"  {k}_temp_path {work}/{k};\n"
                   for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = (f"daemon off;\nuser root;\nworker_processes 1;\npid {work}/nginx.pid;\n"
            f"error_log {work}/nginx.err;\nevents {{ worker_connections 128; }}\n"
            f"http {{\n  access_log off;\n  default_type text/plain;\n{temp}"
            f"  ssl_certificate {work}/site.pem;\n  ssl_certificate_key {work}/site.key;\n"
            + "".join(servers) + "}\n")
    with open(f"{work}/nginx.conf", "w") as f:
        f.write(conf)
    inet.popen(["nginx", "-c", f"{work}/nginx.conf", "-e", f"{work}/nginx.err"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


UDP_ECHO = """
import socket, selectors
sel = selectors.DefaultSelector()
for fam, addr in ((socket.AF_INET, "{v4}"), (socket.AF_INET6, "{v6}")):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 443)); sel.register(s, 1)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(2048); key.fileobj.sendto(b"echo", peer)
"""

# Sends one QUIC-sized datagram from a connected UDP socket; prints the outcome and the ms.
QUIC_PROBE = """
import socket, sys, time
host = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2); s.connect((host, 443))
t = time.monotonic(); s.send(b"\\xc3" + bytes(1199))
try:
    s.recv(2048); what = "answered"
except ConnectionRefusedError:
    what = "refused"
except socket.timeout:
    what = "timeout"
print(what, round((time.monotonic() - t) * 1000, 1))
"""

TCP_PROBE = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
t = time.monotonic()
try:
    socket.create_connection((host, port), timeout=3).close(); what = "connected"
except ConnectionRefusedError:
    what = "refused"
except OSError as e:
    what = type(e).__name__
print(what, round((time.monotonic() - t) * 1000, 1))
"""


def probe(ns, script, *args):
    out = ns.run([sys.executable, "-c", script] + [str(a) for a in args], check=False).stdout
    parts = out.split()
    return (parts[0], float(parts[1])) if len(parts) == 2 else (out.strip() or "no output", 0.0)


def wait_for_port(ns, host, port, timeout=10):
    return harness.wait_until(lambda: probe(ns, TCP_PROBE, host, port)[0] == "connected",
                              timeout, 0.05)


# --- clients --------------------------------------------------------------------------------

def dig(ns, server, name, qtype="A", *opts):
    return harness.parse_dig(harness.Run(*_ns_run(ns, ["dig", f"@{server}", "+tries=1",
                                                          "+time=2", name, qtype] + list(opts))))


def _ns_run(ns, cmd, timeout=15):
    t = time.monotonic()
    p = ns.run(cmd, check=False, timeout=timeout)
    return cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - t


def resolve(client, name, family):
    """The address shelterd gives the client for name (what the client's stub would use)."""
    r = dig(client, RESOLVER[family], name, "A" if family == 4 else "AAAA")
    addrs = r.data("A" if family == 4 else "AAAA")
    return addrs[0] if addrs else None


def curl(ns, url, *extra, timeout=8):
    """(exit code, status, body, seconds) of one request."""
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--noproxy", "*",
           "--connect-timeout", "3", "--max-time", "5"] + list(extra) + [url]
    cmd, rc, out, err, secs = _ns_run(ns, cmd, timeout)
    body, _, code = out.rpartition("\n")
    body = body.removesuffix("\n")
    return rc, (int(code) if code.isdigit() and code != "000" else None), body, secs, err


def fetch(client, ca, name, family, path="/", scheme="http", addr=None, extra=()):
    port = 80 if scheme == "http" else 443
    addr = addr or resolve(client, name, family)
    if addr is None:
        return None, None, "", 0.0, f"{name} did not resolve"
    shown = f"[{addr}]" if ":" in addr else addr
    return curl(client, f"{scheme}://{name}{path}", "--resolve", f"{name}:{port}:{shown}",
                "--cacert", ca, *extra)


# --- the network ----------------------------------------------------------------------------

def build(net):
    client = net.namespace("client")
    gw = net.namespace("gw", forwarding=True)
    inet = net.namespace("inet")
    net.link(client, "eth0", [f"{CLIENT_V4}/24", f"{CLIENT_V6}/64"],
             gw, SUB_IF, ["100.64.0.1/24", "2001:db8:100::1/64"])
    net.link(gw, "up0", ["198.51.100.1/24", "2001:db8:51::1/64"],
             inet, "eth0", ["198.51.100.2/24", "2001:db8:51::2/64"])
    client.route("default", "via", "100.64.0.1")
    client.route("default", "via", "2001:db8:100::1", v6=True)
    for fam in (4, 6):
        plen = "/32" if fam == 4 else "/128"
        for addr in (RESOLVER[fam], BLOCK[fam], PROXY[fam]):
            gw.run(["ip", "addr", "add", addr + plen, "dev", "lo"])
        for addr in [NS_ADDR[fam]] + [site_addr(n, fam) for n in SITES]:
            inet.run(["ip", "addr", "add", addr + plen, "dev", "lo"])
    gw.route("203.0.113.0/24", "via", "198.51.100.2")
    gw.route("2001:db8:113::/48", "via", "2001:db8:51::2", v6=True)
    inet.route("default", "via", "198.51.100.1")
    inet.route("default", "via", "2001:db8:51::1", v6=True)
    # TPROXY's policy routing (deploy/nftables/proxy-tproxy.nft's header).
    gw.run(["ip", "rule", "add", "fwmark", MARK, "lookup", "100"])
    gw.run(["ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"])
    gw.run(["ip", "-6", "rule", "add", "fwmark", MARK, "lookup", "100"])
    gw.run(["ip", "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100"])
    return client, gw, inet


def inline_rules():
    return shipped_rules(os.path.join(DEPLOY, "isp", "inline.nft"), {
        "SUBSCRIBER_IF": f'"{SUB_IF}"', "SUBSCRIBERS_V4": SUBS_V4, "SUBSCRIBERS_V6": SUBS_V6,
        "RESOLVER_V4": RESOLVER[4], "RESOLVER_V6": RESOLVER[6],
        "DOH_V4": "{ " + site_addr(DOH, 4) + " }", "DOH_V6": "{ " + site_addr(DOH, 6) + " }"})


def proxy_rules(mode):
    values = {"SUBSCRIBER_IF": f'"{SUB_IF}"', "SUBSCRIBERS_V4": SUBS_V4,
              "SUBSCRIBERS_V6": SUBS_V6}
    if mode == "steered":
        values.update(PROXY_V4=PROXY[4], PROXY_V6=PROXY[6])
    else:
        values.update(HTTP_PROXY_PORT=HTTP_PORT, TLS_PROXY_PORT=TLS_PORT)
        if mode == "tproxy":
            values["MARK"] = MARK
    return shipped_rules(os.path.join(DEPLOY, "nftables", f"proxy-{mode}.nft"), values)


def load_rules(gw, work, mode):
    """As docs/deploy-isp.md does it: the files in one directory, included by one nftables.conf
    and loaded in one go (the inline table is replaced, not doubled). The transparent modes keep
    the steered mode's guard: legal lists' hosts are still steered (docs/deploy-isp.md, 6)."""
    rules = os.path.join(work, "nftables.d")
    os.makedirs(rules, exist_ok=True)
    for name in os.listdir(rules):
        os.remove(os.path.join(rules, name))
    files = [("inline.nft", inline_rules()), ("proxy-steered.nft", proxy_rules("steered"))]
    if mode != "steered":
        files.append((f"proxy-{mode}.nft", proxy_rules(mode)))
    for name, text in files:
        with open(os.path.join(rules, name), "w") as f:
            f.write(text)
    gw.nft(f'include "{rules}/*.nft"\n')


PROXY_TABLES = {"steered": "shelter_steered", "redirect": "shelter_proxy",
                "tproxy": "shelter_tproxy"}


def shelterd_config(mode):
    """The steered proxy in every mode (a legal list's hosts are always steered); the
    transparent modes add their listeners, and there the operator's page list is not steered,
    so its host is reached through REDIRECT or TPROXY."""
    http = [f"{PROXY[4]}:80", f"[{PROXY[6]}]:80"]
    tls = [f"{PROXY[4]}:443", f"[{PROXY[6]}]:443"]
    if mode != "steered":
        http += [f"0.0.0.0:{HTTP_PORT}", f"[::]:{HTTP_PORT}"]
        tls += [f"0.0.0.0:{TLS_PORT}", f"[::]:{TLS_PORT}"]
    flow = lambda items: "[" + ", ".join(f'"{i}"' for i in items) + "]"  # noqa: E731
    proxy = (f'  address-ipv4: ["{PROXY[4]}"]\n  address-ipv6: ["{PROXY[6]}"]\n'
             f'  http-listen: {flow(http)}\n  tls-listen: {flow(tls)}\n'
             f'  tproxy: {"true" if mode == "tproxy" else "false"}\n')
    return f"""threads: 1
dns:
  listen: ["{RESOLVER[4]}:53", "[{RESOLVER[6]}]:53"]
  allow-clients: ["{SUBS_V4}", "{SUBS_V6}", "127.0.0.0/8"]
upstream:
  servers: ["{NS_ADDR[4]}", "[{NS_ADDR[6]}]:53"]
  timeout: 500ms
  attempts: 2
blocking:
  mode: block-page
  block-page-ipv4: ["{BLOCK[4]}"]
  block-page-ipv6: ["{BLOCK[6]}"]
  appeal-url: http://192.0.2.80/appeal
lists:
  - id: doh-endpoints
    format: domains
    path: {DEPLOY}/lists/doh-endpoints.txt
    category: doh-bypass
    authority: The operator
  - id: gambling
    path: {{dir}}/gambling.txt
    category: gambling
    authority: The operator
  - id: pages
    format: urls
    path: {{dir}}/pages.csv
    category: adult
    authority: The operator
    steer: {"true" if mode == "steered" else "false"}
  - id: hotline
    format: urls
    path: {{dir}}/hotline.csv
    category: csam
    legal: true
    authority: The national hotline
web:
  block-listen: ["{BLOCK[4]}:80", "[{BLOCK[6]}]:80"]
  organisation: Example ISP
proxy:
{proxy}  clients: ["{SUBS_V4}", "{SUBS_V6}"]
  private-origins: ["203.0.113.0/24", "2001:db8:113::/48"]
snapshot:
  path: {{dir}}/lists.snap
  check-interval: 1s
admin:
  listen: "127.0.0.1:9300"
"""


# --- checks ---------------------------------------------------------------------------------

def check_network(t, client, gw, inet, ca):
    """The pieces answer from the gateway (no rules apply to the node's own traffic)."""
    r = dig(gw, NS_ADDR[4], BLOCKED)
    t.equal(r.data("A"), [site_addr(BLOCKED, 4)], "control: nsd answers the gateway directly",
            str(r))
    rc, status, body, _, err = fetch(gw, ca, DOH, 4, "/dns-query", "https",
                                     addr=site_addr(DOH, 4))
    t.equal((rc, status), (0, 200), "control: the DoH endpoint answers the gateway", err)
    t.equal(probe(gw, TCP_PROBE, NS_ADDR[4], 853)[0], "connected",
            "control: the DoT listener answers the gateway")
    t.equal(probe(gw, QUIC_PROBE, site_addr(SHARED, 4))[0], "answered",
            "control: UDP/443 in the internet answers the gateway")


def check_bypass(t, client, gw, ca):
    """DNAT of port 53, DoT and DoH refused (inline.nft): the same in every proxy mode."""
    for fam in (4, 6):
        qtype = "A" if fam == 4 else "AAAA"
        for tcp in (False, True):
            r = dig(client, NS_ADDR[fam], BLOCKED, qtype, *(["+tcp"] if tcp else []))
            t.check(r.data(qtype) == [BLOCK[fam]] and r.status == "NOERROR",
                    f"IPv{fam} {'TCP' if tcp else 'UDP'}: dig @{NS_ADDR[fam]} (the internet's "
                    f"resolver) for a blocked name gets shelterd's block answer", str(r))
        r = dig(client, NS_ADDR[fam], ALLOWED, qtype)
        t.equal(r.data(qtype), [site_addr(ALLOWED, fam)],
                f"IPv{fam}: through the DNAT an allowed name still resolves", str(r))
    what, ms = probe(client, TCP_PROBE, NS_ADDR[4], 853)
    print(f"  DoT to {NS_ADDR[4]}:853: {what} in {ms} ms")
    t.check(what == "refused" and ms < REFUSED_WITHIN_MS, "DoT (TCP 853) is refused at once",
            f"{what} {ms} ms")
    for fam in (4, 6):
        r = dig(client, RESOLVER[fam], DOH, "A" if fam == 4 else "AAAA")
        t.check(r.data("A" if fam == 4 else "AAAA") == [BLOCK[fam]] and r.ede,
                f"IPv{fam}: the DoH endpoint's name is blocked (deploy/lists/doh-endpoints.txt)",
                str(r))
        r = dig(client, RESOLVER[fam], "mozilla." + DOH, "A" if fam == 4 else "AAAA")
        t.equal(r.data("A" if fam == 4 else "AAAA"), [BLOCK[fam]],
                f"IPv{fam}: and the names below it", str(r))
        rc, status, _, secs, err = fetch(client, ca, DOH, fam, "/dns-query", "https")
        t.check(rc != 0 and status is None, f"IPv{fam}: DoH by its name fails",
                f"rc={rc} status={status} {err}")
        rc, status, _, secs, err = fetch(client, ca, DOH, fam, "/dns-query", "https",
                                         addr=site_addr(DOH, fam))
        print(f"  DoH to its built-in address over IPv{fam}: curl exit {rc} in {secs:.3f} s")
        t.check(rc == 7 and secs < 1.0,
                f"IPv{fam}: DoH to its built-in address is refused at once (doh_v{fam} set)",
                f"rc={rc} status={status} {secs:.3f}s {err}")


def check_mode(t, mode, client, gw, d, ca):
    steered = mode == "steered"
    for fam in (4, 6):
        p = f"{mode} IPv{fam}: "
        rc, status, body, _, err = fetch(client, ca, ALLOWED, fam, "/")
        t.equal((status, body), (200, f"{ALLOWED} /"), p + "an allowed site loads over HTTP", err)
        rc, status, body, _, err = fetch(client, ca, ALLOWED, fam, "/", "https")
        t.equal((status, body), (200, f"{ALLOWED} /"), p + "and over HTTPS", err)

        t.equal(resolve(client, BLOCKED, fam), BLOCK[fam], p + "a blocked domain resolves to "
                "the block page")
        rc, status, body, _, err = fetch(client, ca, BLOCKED, fam, "/", extra=NAV)
        t.check(status == 403 and "<html" in body.lower() and BLOCKED in body,
                p + "a blocked domain gets the block page over HTTP",
                f"rc={rc} status={status} {body[:200]!r} {err}")
        rc, status, body, secs, err = fetch(client, ca, BLOCKED, fam, "/", "https")
        t.check(rc == 7 and status is None and secs < 1.0,
                p + "and a refused connection over HTTPS (no certificate warning)",
                f"rc={rc} status={status} {secs:.3f}s {err}")

        addr = resolve(client, SHARED, fam)
        want = PROXY[fam] if steered else site_addr(SHARED, fam)
        t.equal(addr, want, p + f"the shared host resolves to {'the proxy' if steered else 'itself'}")
        rc, status, body, _, err = fetch(client, ca, SHARED, fam, "/bad/page.html", extra=NAV)
        t.check(status == 403 and "<html" in body.lower() and "pages.example.com /bad" not in body,
                p + "the URL-listed page gets the block page",
                f"rc={rc} status={status} {body[:200]!r} {err}")
        rc, status, body, _, err = fetch(client, ca, SHARED, fam, "/good/page.html", extra=NAV)
        t.equal((status, body), (200, f"{SHARED} /good/page.html"),
                p + "the rest of the shared host loads over HTTP", err)
        rc, status, body, _, err = fetch(client, ca, SHARED, fam, "/bad/other.html")
        t.equal((status, body), (200, f"{SHARED} /bad/other.html"),
                p + "its neighbour page loads", err)
        rc, status, body, _, err = fetch(client, ca, SHARED, fam, "/good/page.html", "https")
        t.equal((status, body), (200, f"{SHARED} /good/page.html"),
                p + "the shared host loads over HTTPS (spliced, its own certificate)", err)
        if not steered:
            # A device with the blocked site's real address (its own resolver, a cached answer)
            # reaches the transparent proxy, which decides on the Host and the server name.
            rc, status, body, _, err = fetch(client, ca, BLOCKED, fam, "/", extra=NAV,
                                             addr=site_addr(BLOCKED, fam))
            t.check(status == 403 and "<html" in body.lower(),
                    p + "the blocked domain by its real address gets the block page (proxy)",
                    f"rc={rc} status={status} {body[:200]!r} {err}")
            rc, status, body, secs, err = fetch(client, ca, BLOCKED, fam, "/", "https",
                                                addr=site_addr(BLOCKED, fam))
            t.check(rc == 35 and status is None and secs < 1.0,
                    p + "and over HTTPS a TLS alert at once",
                    f"rc={rc} status={status} {secs:.3f}s {err}")
        t.equal(resolve(client, FILES, fam), PROXY[fam],
                p + "a host with a legal list's page is steered, not blocked whole")
        rc, status, body, _, err = fetch(client, ca, FILES, fam, "/abuse/1.html", extra=NAV)
        t.check(status == 403 and "<html" in body.lower() and "/abuse/1.html" not in body,
                p + "its listed page is blocked, and the page does not show its URL",
                f"rc={rc} status={status} {body[:200]!r} {err}")
        rc, status, body, _, err = fetch(client, ca, FILES, fam, "/shared/ok.html")
        t.equal((status, body), (200, f"{FILES} /shared/ok.html"),
                p + "the rest of that host loads", err)
        # QUIC to the steered name (the proxy address) and, in the transparent modes, to the
        # shared host's own address: both refused, so browsers fall back to TCP at once.
        for name, target in [(FILES, PROXY[fam])] + ([(SHARED, addr)] if not steered else []):
            what, ms = probe(client, QUIC_PROBE, target)
            print(f"  {mode} IPv{fam}: QUIC to {name} ({target}): {what} in {ms} ms")
            t.check(what == "refused" and ms < REFUSED_WITHIN_MS,
                    p + f"QUIC (UDP/443) to {name} ({target}) fails at once (ICMP port "
                    "unreachable)", f"{what} {ms} ms")
    m = harness.parse_metrics(gw.run(["curl", "-s", "http://127.0.0.1:9300/metrics"]).stdout)
    t.check((harness.metric(m, "shelter_proxy_forwarded_total") or 0) >= 4
            and (harness.metric(m, "shelter_tls_spliced_total") or 0) >= 2,
            f"{mode}: the pages went through shelterd's proxy (its counters)",
            f"forwarded={harness.metric(m, 'shelter_proxy_forwarded_total')} "
            f"spliced={harness.metric(m, 'shelter_tls_spliced_total')}")


def compile_snapshot(t, d):
    return harness.run([t.args.shelter_compile, "--config", d.config_path, "--output",
                        d.path("lists.snap")], 60)


def check_snapshot_update(t, client, d):
    """A new snapshot renamed into place (as shelter-compile and rsync do) is in force for the
    subscribers within about a second, without a restart or a signal."""
    newly = "poker.example.net"
    r = dig(client, RESOLVER[4], newly)
    t.check(r.status == "NXDOMAIN" and not r.data("A"),
            f"{newly} is not blocked yet (nsd: no such name)", str(r))
    mark = d.mark()
    with open(d.path("gambling.txt"), "a") as f:
        f.write(newly + "\n")
    compiled = compile_snapshot(t, d)
    t.check(compiled.rc == 0, "shelter-compile replaced the snapshot", compiled.err)
    took = harness.wait_until(lambda: dig(client, RESOLVER[4], newly).data("A") == [BLOCK[4]],
                              5, 0.1)
    print(f"  a new snapshot was in force for the client {took and round(took, 2)} s after "
          "shelter-compile renamed it into place")
    t.check(took is not None and took < 3, "the new snapshot is picked up within 3 s, no "
            "restart, and the client gets the block answer", f"took={took}")
    t.check(d.wait_for(r"snapshot: swapped in", mark, 2) is not None
            and d.wait_for(r"^.*lists: swapped in", mark, 0) is None,
            "it came from the snapshot file (shelterd's log), not from reading the list file",
            d.log_tail(5))


def run_mode(t, mode, client, gw, ca, work):
    t0 = time.monotonic()
    load_rules(gw, work, mode)
    listing = gw.run(["nft", "list", "table", "inet", "shelter_inline"]).stdout
    t.equal(listing.count("dnat ip to"), 1, f"{mode}: the inline rules loaded once (reloading "
            "replaces the table)", listing)
    cfg = shelterd_config(mode)
    d = harness.Shelterd(t.args.shelterd, cfg, netns=gw,
                         files={"pages.csv": f"{SHARED}/bad/page.html\n",
                                "hotline.csv": f"{FILES}/abuse/1.html,csam,1\n",
                                "gambling.txt": f"{BLOCKED}\n"})
    # As on an ISP node: the lists come as one compiled snapshot (deploy/isp/shelter.yaml).
    compiled = compile_snapshot(t, d)
    t.check(compiled.rc == 0, f"{mode}: shelter-compile made the snapshot", compiled.err)
    with d:
        start = time.monotonic() - t0
        with t.case(mode):
            check_mode(t, mode, client, gw, d, ca)
            if mode == "steered":
                check_bypass(t, client, gw, ca)
                check_snapshot_update(t, client, d)
        alive = d.alive()
    t.check(alive and d.rc == 0, f"{mode}: shelterd ran and exited 0", d.log_tail())
    for table in {PROXY_TABLES["steered"], PROXY_TABLES[mode]}:
        gw.run(["nft", "delete", "table", "inet", table])
    print(f"  {mode}: shelterd ready in {start:.2f} s, mode checked in "
          f"{time.monotonic() - t0:.1f} s", flush=True)


def namespaces_of(pid):
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in listed.splitlines()
            if line.startswith(f"{netns.PREFIX}{pid}-")]


def check_cleanup_after_failure(t):
    """This script, failing on purpose after it built a network, leaves nothing behind."""
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--fail-after-setup"],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"child (\d+) sleeper (\d+)", p.stdout)
    t.check(p.returncode not in (0, 77) and m is not None, "a deliberately failing run fails",
            p.stdout + p.stderr)
    if not m:
        return
    t.equal(namespaces_of(m.group(1)), [], "no namespace is left after the failing run")
    t.check(not os.path.exists(f"/proc/{m.group(2)}"),
            "no process of the failing run is left in its namespaces")


def fail_after_setup():
    with netns.Network() as net:
        a, b = net.namespace("fa"), net.namespace("fb")
        net.link(a, "x0", ["192.0.2.1/24"], b, "x1", ["192.0.2.2/24"])
        sleeper = b.popen(["sleep", "60"])
        time.sleep(0.2)
        # `ip netns exec` execs the program, so the Popen's pid is the sleeper's own (a pgrep
        # would see every process of the machine: namespaces of the network share one pid space).
        pid = str(sleeper.pid)
        t_ns = b.run(["ip", "netns", "identify", pid], check=False).stdout.strip()
        assert t_ns == b.name, f"the sleeper {pid} is in {t_ns!r}, not {b.name}"
        print(f"child {os.getpid()} sleeper {pid}", flush=True)
        raise RuntimeError("failing on purpose, after the network was built")


def main(t):
    started = time.monotonic()
    # The network (and every process in it) ends before the files of its servers go.
    with tempfile.TemporaryDirectory(prefix="shelter-inline-") as work, netns.Network() as net:
        client, gw, inet = build(net)
        make_certificates(work)
        ca = f"{work}/ca.pem"
        start_nsd(inet, work)
        start_nginx(inet, work)
        inet.popen([sys.executable, "-c", UDP_ECHO.format(v4=site_addr(SHARED, 4),
                                                          v6=site_addr(SHARED, 6))])
        t.check(wait_for_port(gw, site_addr(ALLOWED, 4), 443) is not None,
                "nginx is up in the internet namespace")
        t.check(harness.wait_until(lambda: dig(gw, NS_ADDR[4], ALLOWED).status == "NOERROR",
                                   10, 0.05) is not None, "nsd is up in the internet namespace")
        print(f"  network built in {time.monotonic() - started:.1f} s", flush=True)
        check_network(t, client, gw, inet, ca)
        for mode in ("steered", "redirect", "tproxy"):
            run_mode(t, mode, client, gw, ca, work)
    t.equal(namespaces_of(os.getpid()), [], "no namespace of this run is left")
    check_cleanup_after_failure(t)
    print(f"  total {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    if "--fail-after-setup" in sys.argv:
        fail_after_setup()
    why = netns.available()
    if why:
        print(f"SKIP: {why}")
        sys.exit(77)
    harness.Suite("inline node in network namespaces").main(main)
