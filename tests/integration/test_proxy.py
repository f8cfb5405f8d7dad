#!/usr/bin/env python3
"""The filtering proxy through the real shelterd, curl, openssl s_client, headless Chromium and
raw sockets, against local origins (origin_server.py) whose names the test upstream resolves to
127.0.0.1: a listed page on a shared host is blocked and its neighbours and every other host
keep working, in the steered (Host) and explicit (absolute-form, CONNECT) modes; bodies relayed
byte for byte (1 MB, 100 MB, chunked, close-delimited, uploads), keep-alive, websockets; the
smuggling corpus; the SSRF guard and the client ACL (never an open proxy); no header that
identifies the subscriber; and the TLS-SNI proxy: allowed hosts spliced (curl, openssl,
Chromium's real ClientHello), blocked hosts answered with a TLS alert, no SNI closed."""
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, free_port, metric, parse_metrics, run, http_get
from origin_server import Origin, TlsOrigin, pattern_sha

SHARED = "www.shared.test"     # a big shared host with one listed page and one legal page
OTHER = "www.other.test"       # a host with no entry at all
BLOCKED = "blocked.test"       # a whole-host block
TLS_OK = "www.tls.test"
TLS_PAGES = "pages.tls.test"   # a host with a listed page, reached over HTTPS
TLS_STRICT = "strict.tls.test"  # a host with a page of a list whose HTTPS is refused whole
PAGES_CSV = f"""url,category
{SHARED}/bad/page.html,adult
{TLS_PAGES}/bad.html,adult
"""
LEGAL_CSV = f"{SHARED}/legal/abuse.html\n"
NAV = ["-H", "Sec-Fetch-Dest: document", "-H", "Sec-Fetch-Mode: navigate"]
MB = 1024 * 1024


def lists():
    return [
        {"id": "pages", "format": "urls", "path": "{dir}/pages.csv", "category": "adult"},
        {"id": "hotline", "format": "urls", "path": "{dir}/legal.csv", "category": "csam",
         "legal": True, "authority": "Test Hotline", "appeal": "https://hotline.test/appeal"},
        {"id": "parental", "format": "domains", "entries": [BLOCKED, "tls-blocked.test"],
         "category": "adult"},
        {"id": "strict-pages", "format": "urls", "entries": [f"{TLS_STRICT}/bad.html"],
         "category": "adult", "https-pages": "block"},
    ]


def config(up, http_port, tls_port, web_port, origin_tls_port, **proxy_over):
    proxy = {"address-ipv4": ["127.0.0.1"], "http-listen": [f"127.0.0.1:{http_port}"],
             "tls-listen": [f"127.0.0.1:{tls_port}"], "tls-origin-port": origin_tls_port,
             "private-origins": ["127.0.0.0/8"], "resolvers": [up.addr],
             "idle-timeout": "5s", "hello-timeout": "1s"}
    proxy.update(proxy_over)
    return base_config(up.addr, lists=lists(), proxy=proxy,
                       web={"block-listen": [f"127.0.0.1:{web_port}"]})


def curl(args, timeout=30):
    """(exit code, status, headers, body bytes) of a curl call; -i output parsed."""
    cmd = ["curl", "-sS", "-i", "--max-time", str(timeout)] + args
    p = subprocess.run(cmd, capture_output=True, timeout=timeout + 5)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    # Interim answers (100 Continue) come first: skip to the last head.
    while body.startswith(b"HTTP/1.1 ") and head.split(b" ")[1].startswith(b"1"):
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return p.returncode, status, headers, body, p.stderr.decode(errors="replace")


def steered(http_port, host, port, path, *extra):
    """A request as a steered client makes it: to the proxy's address, Host naming the site."""
    return curl(["--noproxy", "*", "--connect-to", f"{host}:{port}:127.0.0.1:{http_port}",
                 *extra, f"http://{host}:{port}{path}"])


def explicit(http_port, url, *extra):
    return curl(["-x", f"http://127.0.0.1:{http_port}", *extra, url])


def raw_exchange(port, data, read_timeout=3.0):
    """Sends bytes to the proxy and returns what comes back until it closes or goes quiet."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(data)
    s.settimeout(read_timeout)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def check_pages(t, d, ports, origin):
    http_port, o = ports["http"], origin.port
    code, status, _, body, err = steered(http_port, SHARED, o, "/index.html", *NAV)
    t.equal((code, status, body), (0, 200, b"page /index.html"), "an allowed page is forwarded",
            err)
    code, status, headers, body, _ = steered(http_port, SHARED, o, "/bad/page.html", *NAV)
    t.check(status is not None and status >= 400 and b"<html" in body.lower(),
            "the listed page gets the block page", f"status={status}\n{body[:300]!r}")
    t.check("/bad/page.html" not in origin.paths(), "the origin never saw the listed page",
            str(origin.paths()))
    code, status, _, body, _ = steered(http_port, SHARED, o, "/bad/page.html",
                                       "-H", "Sec-Fetch-Dest: image")
    t.equal(status, 403, "a sub-resource request for the listed page gets 403")
    t.check(b"<html" not in body.lower(), "... and no page", body[:200])
    # Spellings of the same page are the same page (the list's canonical form).
    for spelling in ("/bad/./page.html", "/bad//page.html", "/%62ad/page.html",
                     "/bad/page.html#frag"):
        _, status, _, _, _ = steered(http_port, SHARED, o, spelling, "--path-as-is")
        t.check(status == 403, f"spelling {spelling} is blocked too", f"status={status}")
    code, status, _, body, _ = steered(http_port, SHARED, o, "/bad/other.html")
    t.equal((status, body), (200, b"page /bad/other.html"), "its neighbour on the same host works")
    code, status, _, body, _ = steered(http_port, OTHER, o, "/bad/page.html")
    t.equal((status, body), (200, b"page /bad/page.html"), "the same path on another host works")
    _, status, _, body, _ = steered(http_port, SHARED, o, "/legal/abuse.html", *NAV)
    t.check(status is not None and status >= 400 and b"/legal/abuse.html" not in body,
            "a legal list's page is blocked and its URL is not shown", f"status={status}")
    _, status, _, body, _ = steered(http_port, BLOCKED, o, "/anything", *NAV)
    t.check(status is not None and status >= 400, "a whole-host block is blocked at the proxy too",
            f"status={status}")


def check_explicit(t, d, ports, origin):
    http_port, o = ports["http"], origin.port
    _, status, _, body, err = explicit(http_port, f"http://{SHARED}:{o}/fine.html")
    t.equal((status, body), (200, b"page /fine.html"), "explicit: absolute-form is forwarded", err)
    _, status, _, _, _ = explicit(http_port, f"http://{SHARED}:{o}/bad/page.html", *NAV)
    t.check(status is not None and status >= 400, "explicit: the listed page is blocked",
            f"status={status}")
    req = origin.requests[-1] if origin.requests else ("", "", {})
    t.equal(req[1], "/fine.html", "explicit: the origin got the origin-form target")
    t.equal(req[2].get("host"), f"{SHARED}:{o}", "explicit: Host is the target's authority")
    # CONNECT to a TLS origin: a tunnel; to a blocked host: 403.
    code, status, _, body, err = curl(["-k", "-x", f"http://127.0.0.1:{http_port}",
                                       "--proxytunnel", f"https://{TLS_OK}:{ports['origin_tls']}/"])
    t.check(code == 0 and b"hello over tls from " + TLS_OK.encode() in body,
            "explicit: CONNECT tunnels to an allowed HTTPS host", err + repr(body[:200]))
    code, status, _, _, err = curl(["-k", "-x", f"http://127.0.0.1:{http_port}",
                                    f"https://{BLOCKED}:{ports['origin_tls']}/"])
    t.check(code != 0 and "403" in err, "explicit: CONNECT to a blocked host is refused (403)",
            f"code={code} {err}")


def check_bodies(t, d, ports, origin):
    http_port, o = ports["http"], origin.port
    for n in (MB, 100 * MB):
        p = subprocess.run(["curl", "-sS", "--noproxy", "*", "--max-time", "60", "--connect-to",
                            f"{SHARED}:{o}:127.0.0.1:{http_port}",
                            f"http://{SHARED}:{o}/bytes/{n}"], capture_output=True, timeout=70)
        t.equal(hashlib.sha256(p.stdout).hexdigest(), pattern_sha(n),
                f"a {n // MB} MB body arrives byte for byte", p.stderr[-300:])
    _, status, headers, body, _ = steered(http_port, SHARED, o, f"/chunked/{MB}")
    t.check(status == 200 and headers.get("transfer-encoding") == "chunked"
            and hashlib.sha256(body).hexdigest() == pattern_sha(MB),
            "a chunked body is re-chunked byte for byte", str(headers))
    _, status, headers, body, _ = steered(http_port, SHARED, o, f"/close/{MB}")
    t.check(status == 200 and hashlib.sha256(body).hexdigest() == pattern_sha(MB),
            "a close-delimited body arrives whole (chunked to an HTTP/1.1 client)", str(headers))
    _, status, headers, body, _ = steered(http_port, SHARED, o, f"/close/{MB}", "--http1.0")
    t.check(status == 200 and hashlib.sha256(body).hexdigest() == pattern_sha(MB),
            "... and close-delimited to an HTTP/1.0 client", str(headers))
    with tempfile.NamedTemporaryFile() as f:
        data = os.urandom(10 * MB)
        f.write(data)
        f.flush()
        want = f"{hashlib.sha256(data).hexdigest()} {len(data)}".encode()
        _, status, _, body, err = steered(http_port, SHARED, o, "/echo",
                                          "--data-binary", f"@{f.name}")
        t.equal((status, body), (200, want), "a 10 MB upload arrives byte for byte "
                "(Expect: 100-continue answered by the proxy)", err)
        _, status, _, body, err = steered(http_port, SHARED, o, "/echo", "--data-binary",
                                          f"@{f.name}", "-H", "Transfer-Encoding: chunked")
        t.equal((status, body), (200, want), "a chunked upload arrives byte for byte", err)
    # Several requests on one connection: curl reuses it; the proxy reuses its origin side.
    before = origin.connections
    urls = [f"http://{SHARED}:{o}/k{i}.html" for i in range(5)]
    p = subprocess.run(["curl", "-sS", "--noproxy", "*", "--connect-to",
                        f"{SHARED}:{o}:127.0.0.1:{http_port}"] + urls,
                       capture_output=True, timeout=20)
    t.equal(p.stdout, b"".join(f"page /k{i}.html".encode() for i in range(5)),
            "five requests on one keep-alive connection")
    t.check(origin.connections - before <= 1, "... over at most one origin connection",
            f"{origin.connections - before} new origin connections")
    # Clients that go away (a close or a reset) in the middle of a long, spliced body: the proxy
    # gets EPIPE, not a SIGPIPE that would end it.
    for reset in (False, True, False, True, False, False):
        s = socket.create_connection(("127.0.0.1", http_port), timeout=5)
        s.sendall(f"GET /bytes/{100 * MB} HTTP/1.1\r\nHost: {SHARED}:{o}\r\n\r\n".encode())
        s.recv(65536)
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(0.3)
    _, status, _, body, _ = steered(http_port, SHARED, o, "/after-resets")
    t.equal((status, body), (200, b"page /after-resets"),
            "clients resetting in the middle of spliced bodies do not take the proxy down")
    # The 1,000th request on one connection is answered with "Connection: close".
    got = raw_exchange(http_port, b"".join(
        f"GET /p{i} HTTP/1.1\r\nHost: {SHARED}:{o}\r\n\r\n".encode() for i in range(1000)),
        read_timeout=10)
    heads = [h for h in got.split(b"HTTP/1.1 ")[1:]]
    t.check(len(heads) == 1000 and b"connection: close" in heads[-1].lower()
            and all(b"connection: close" not in h.lower() for h in heads[:-1]),
            "1,000 pipelined requests are answered, the last one with Connection: close",
            f"{len(heads)} answers; last: {heads[-1][:200] if heads else b''!r}")
    # An origin that closes a kept-alive connection: the next request goes on a new one.
    p = subprocess.run(["curl", "-sS", "--noproxy", "*", "--connect-to",
                        f"{SHARED}:{o}:127.0.0.1:{http_port}", f"http://{SHARED}:{o}/drop-after",
                        f"http://{SHARED}:{o}/after-drop"], capture_output=True, timeout=20)
    t.equal(p.stdout, b"dropped after thispage /after-drop",
            "a request after the origin closed its kept-alive connection is sent again on a new one",
            p.stderr)
    # A websocket upgrade becomes a tunnel.
    s = socket.create_connection(("127.0.0.1", http_port), timeout=5)
    s.sendall(f"GET /ws HTTP/1.1\r\nHost: {SHARED}:{o}\r\nConnection: Upgrade\r\n"
              "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    s.sendall(b"\x81\x05hello")
    echoed = b""
    while len(echoed) < 7:
        echoed += s.recv(4096)
    s.close()
    t.check(head.startswith(b"HTTP/1.1 101") and echoed == b"\x81\x05hello",
            "a websocket upgrade is relayed both ways", repr(head) + repr(echoed))


SMUGGLING = [
    ("CL and TE together",
     "POST /echo HTTP/1.1\r\nHost: {h}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
     "\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: {h}\r\n\r\n"),
    ("two Content-Lengths",
     "POST /echo HTTP/1.1\r\nHost: {h}\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd"),
    ("TE not ending in chunked",
     "POST /echo HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
    ("obs-fold", "GET / HTTP/1.1\r\nHost: {h}\r\nX-A: a\r\n b\r\n\r\n"),
    ("bare LF", "GET / HTTP/1.1\nHost: {h}\n\n"),
    ("two Host headers", "GET / HTTP/1.1\r\nHost: {h}\r\nHost: evil.test\r\n\r\n"),
    ("space before colon", "GET / HTTP/1.1\r\nHost: {h}\r\nContent-Length : 5\r\n\r\nabcde"),
    ("chunk size overflow",
     "POST /echo HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked\r\n\r\n"
     "fffffffffffffffff\r\nx\r\n0\r\n\r\n"),
    ("chunk without CRLF",
     "POST /echo HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3\r\nabcX\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: {h}\r\n\r\n"),
]


def check_smuggling(t, d, ports, origin):
    http_port, o = ports["http"], origin.port
    host = f"{SHARED}:{o}"
    for name, text in SMUGGLING:
        out = raw_exchange(http_port, text.format(h=host).encode())
        t.check(not out.startswith(b"HTTP/1.1 200"), f"smuggling: {name} is refused",
                repr(out[:200]))
        t.check("/smuggled" not in origin.paths(), f"smuggling: {name}: nothing smuggled",
                str(origin.paths()[-3:]))
    for path, what in (("/bad/cl-te", "CL and TE"), ("/bad/two-cl", "two Content-Lengths")):
        _, status, _, body, _ = steered(http_port, SHARED, o, path)
        t.equal(status, 502, f"an origin answer with {what} becomes 502")


def check_guard(t, d, ports, origin):
    http_port, o = ports["http"], origin.port
    # Ports: only the configured ones.
    _, status, _, body, _ = steered(http_port, SHARED, 22, "/")
    t.equal(status, 403, "an origin port outside proxy.ports is refused")
    # A loop to the proxy itself, and the node's admin listener.
    _, status, _, body, _ = curl(["--noproxy", "*", "-H", f"Host: 127.0.0.1:{http_port}",
                                  f"http://127.0.0.1:{http_port}/"])
    t.equal(status, 403, "a request to the proxy's own listener is refused (a loop)")
    _, status, _, body, _ = curl(["--noproxy", "*", "-H", f"Host: 127.0.0.1:{d.admin_port}",
                                  f"http://127.0.0.1:{http_port}/metrics"])
    t.equal(status, 403, "the node's admin listener cannot be reached through the proxy")
    _, status, _, body, _ = steered(http_port, "nxdomain.test", o, "/")
    t.equal(status, 502, "a name that does not resolve: 502")
    m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
    t.check(metric(m, "shelter_proxy_origin_refused_total", reason="own_address") >= 1
            and metric(m, "shelter_proxy_origin_refused_total", reason="port") >= 2
            and metric(m, "shelter_proxy_origin_refused_total", reason="not_resolving") >= 1,
            "refusals are counted by reason", str({k: v for k, v in m.items()
                                                   if "refused" in str(k)}))


def check_headers(t, d, ports, origin):
    http_port, o = ports["http"], origin.port
    _, status, _, body, _ = steered(http_port, SHARED, o, "/headers", "-H", "X-Mine: kept",
                                    "-H", "Proxy-Authorization: Basic c2VjcmV0",
                                    "-H", "Connection: keep-alive, X-Hop", "-H", "X-Hop: gone")
    text = body.decode("latin-1").lower()
    t.check(status == 200 and "x-mine: kept" in text, "the client's own headers reach the origin",
            text)
    for name in ("x-forwarded-for", "forwarded", "via", "x-real-ip", "proxy-authorization",
                 "x-hop"):
        t.check(f"\n{name}:" not in text, f"no {name} header reaches the origin", text)


def check_tls(t, d, ports, origin, tls_origin):
    tls_port = ports["tls"]
    code, status, _, body, err = curl(["-k", "--connect-to", f"{TLS_OK}:443:127.0.0.1:{tls_port}",
                                       f"https://{TLS_OK}/"])
    t.check(code == 0 and status == 200 and b"hello over tls from " + TLS_OK.encode() in body,
            "TLS: an allowed host is spliced to its origin (curl)", err + repr(body[:200]))
    start = time.monotonic()
    code, _, _, _, err = curl(["-k", "--connect-to", f"tls-blocked.test:443:127.0.0.1:{tls_port}",
                               "https://tls-blocked.test/"])
    t.check(code == 35 and time.monotonic() - start < 2,
            "TLS: a blocked host fails at once with a TLS alert (curl exit 35)", f"{code} {err}")
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{tls_port}",
                        "-servername", "tls-blocked.test"], input=b"", capture_output=True,
                       timeout=10)
    out = (p.stdout + p.stderr).decode(errors="replace")
    t.check("unrecognized name" in out or "alert" in out.lower(),
            "TLS: openssl s_client sees the alert, and no certificate of ours", out[-400:])
    t.check("BEGIN CERTIFICATE" not in out, "TLS: no certificate is presented for a blocked host")
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{tls_port}",
                        "-servername", TLS_OK, "-ign_eof"], input=b"GET / HTTP/1.1\r\n"
                       b"Host: www.tls.test\r\n\r\n", capture_output=True, timeout=10)
    t.check(b"hello over tls from www.tls.test" in p.stdout,
            "TLS: openssl s_client gets the origin's page through the splice", p.stderr[-300:])
    # A host with a listed page over HTTPS: passed by default (under-block, docs/proxy.md).
    code, status, _, body, err = curl(["-k", "--connect-to",
                                       f"{TLS_PAGES}:443:127.0.0.1:{tls_port}",
                                       f"https://{TLS_PAGES}/bad.html"])
    t.check(code == 0 and status == 200, "TLS: a host with listed pages is passed by default",
            err)
    code, _, _, _, err = curl(["-k", "--connect-to", f"{TLS_STRICT}:443:127.0.0.1:{tls_port}",
                               f"https://{TLS_STRICT}/"])
    t.check(code == 35, "TLS: a host with pages of a list with https-pages: block gets the alert",
            f"{code} {err}")
    # No SNI: nothing to decide on: closed.
    out = raw_exchange(tls_port, b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03" + b"\x00" * 32
                       + b"\x00\x00\x02\x13\x01\x01\x00\x00\x00", read_timeout=2)
    t.equal(out, b"", "TLS: a hello without SNI is closed")
    out = raw_exchange(tls_port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=2)
    t.equal(out, b"", "TLS: plain HTTP on the TLS port is closed")
    m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
    t.check(metric(m, "shelter_tls_blocked_total") >= 2 and metric(m, "shelter_tls_spliced_total")
            >= 3 and metric(m, "shelter_tls_hello_failures_total", **{"class": "not_tls"}) >= 1,
            "TLS metrics count blocks, splices and failures")


def check_chromium(t, d, ports, origin, tls_origin):
    chromium = shutil.which("chromium") or os.environ.get("CHROMIUM")
    if not chromium:
        t.check(False, "chromium is installed (make test installs it)")
        return
    profile = tempfile.mkdtemp(prefix="shelter-chromium-")
    args = [chromium, "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--ignore-certificate-errors",
            f"--host-resolver-rules=MAP {TLS_OK} 127.0.0.1:{ports['tls']}",
            "--dump-dom", f"https://{TLS_OK}/"]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    before = int(metric(parse_metrics(http_get(d.admin_port, "/metrics")[2]),
                        "shelter_tls_spliced_total") or 0)
    p = subprocess.run(args, capture_output=True, timeout=60)
    shutil.rmtree(profile, ignore_errors=True)
    t.check(b"hello over tls from www.tls.test" in p.stdout,
            "Chromium loads an HTTPS page through the SNI proxy with its real ClientHello",
            p.stderr.decode(errors="replace")[-500:])
    m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
    t.check(metric(m, "shelter_tls_spliced_total") > before, "... and the proxy spliced it")


def check_not_open(t, up, origin, tls_origin):
    ports = {"http": free_port(("127.0.0.1",)), "tls": free_port(("127.0.0.1",))}
    cfg = config(up, ports["http"], ports["tls"], free_port(("127.0.0.1",)), tls_origin.port,
                 clients=["127.0.0.2/32"], ports=[80, 443, origin.port])
    files = {"pages.csv": PAGES_CSV, "legal.csv": LEGAL_CSV}
    with t.shelterd(cfg, files) as d:
        code, status, _, _, _ = curl(["--noproxy", "*", "--interface", "127.0.0.3", "-H",
                                      f"Host: {OTHER}:{origin.port}",
                                      f"http://127.0.0.1:{ports['http']}/"])
        t.check(status is None, "a source outside proxy.clients is closed without an answer",
                f"code={code} status={status}")
        code, status, _, body, _ = curl(["--noproxy", "*", "--interface", "127.0.0.2", "-H",
                                         f"Host: {OTHER}:{origin.port}",
                                         f"http://127.0.0.1:{ports['http']}/x"])
        t.equal(status, 200, "a source inside proxy.clients is served")
        m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
        t.check(metric(m, "shelter_proxy_refused_total", reason="not_a_client") >= 1,
                "the refusal is counted")
    # Without private-origins, loopback origins are refused: the SSRF guard's default.
    cfg = config(up, ports["http"], ports["tls"], free_port(("127.0.0.1",)), tls_origin.port,
                 ports=[80, 443, origin.port, tls_origin.port])
    cfg["proxy"].pop("private-origins")
    with t.shelterd(cfg, files) as d:
        _, status, _, body, _ = steered(ports["http"], OTHER, origin.port, "/x")
        t.equal(status, 403, "by default a name resolving to loopback is refused (SSRF guard)")
        code, _, _, _, err = curl(["-k", "--connect-to",
                                   f"{TLS_OK}:443:127.0.0.1:{ports['tls']}", f"https://{TLS_OK}/"])
        t.check(code != 0, "... over TLS too", err)


def main(t):
    up = FakeUpstream()
    for name in (SHARED, OTHER, BLOCKED, TLS_OK, TLS_PAGES, TLS_STRICT, "tls-blocked.test"):
        up.add(name, a=["127.0.0.1"], ttl=300)
    with up, Origin() as origin, TlsOrigin([TLS_OK, TLS_PAGES, BLOCKED]) as tls_origin:
        ports = {"http": free_port(("127.0.0.1",)), "tls": free_port(("127.0.0.1",)),
                 "origin_tls": tls_origin.port}
        cfg = config(up, ports["http"], ports["tls"], free_port(("127.0.0.1",)), tls_origin.port,
                     ports=[80, 443, origin.port, tls_origin.port, ports["http"]])
        files = {"pages.csv": PAGES_CSV, "legal.csv": LEGAL_CSV}
        with t.shelterd(cfg, files) as d:
            t.check("HTTP proxy on 127.0.0.1:" in d.log() and "TLS proxy on" in d.log(),
                    "the ready line names the proxy listeners", d.log_tail())
            t.run_cases([("pages", check_pages), ("explicit", check_explicit),
                         ("bodies", check_bodies), ("smuggling", check_smuggling),
                         ("guard", check_guard), ("headers", check_headers)], d, ports, origin)
            t.run_cases([("tls", check_tls), ("chromium", check_chromium)], d, ports, origin,
                        tls_origin)
        with t.case("not an open proxy"):
            check_not_open(t, up, origin, tls_origin)


if __name__ == "__main__":
    Suite("proxy").main(main)
