#!/usr/bin/env python3
"""The web front through the real shelterd, curl and raw sockets: the block page for each
reason and reader (general, child, teen, venue, security, legal), in each language, escaping of
hostile Host headers, navigation against sub-resources, the decision made again for the
requester, the security headers, framing attacks refused with 400 and a closed connection,
the head and body limits, the header and idle deadlines, the per-client connection cap,
keep-alive and pipelining, and the web metrics."""
import re
import socket
import time

from fake_upstream import FakeUpstream, Rule
from harness import (Suite, base_config, free_port, http_get, metric, parse_metrics, run,
                     wait_until)

FORWARDED = "198.51.100.99"
ORG = "Test ISP <&> \"quoted\""
LISTS = [
    {"id": "parental", "format": "domains", "entries": ["adult.test"], "category": "adult"},
    {"id": "threats", "format": "domains", "entries": ["evil.test"], "category": "malware"},
    {"id": "authority", "format": "domains", "entries": ["csam.test"], "category": "csam",
     "legal": True, "authority": "Test Hotline", "appeal": "https://appeal.hotline.test/"},
]
# Readers by source address: a child's device, a teen's, a café's Wi-Fi.
HOUSEHOLDS = """households:
  kids:
    profile: under-9
    addresses: [127.0.0.2/32]
  teen:
    profile: 15-17
    addresses: [127.0.0.3/32]
  cafe:
    profile: public-wifi
    addresses: [127.0.0.4/32]
"""
NAV = ["-H", "Sec-Fetch-Dest: document", "-H", "Sec-Fetch-Mode: navigate"]


def config(up, web_port):
    return base_config(up.addr, lists=LISTS,
                       subscribers={"file": "{dir}/households.yaml"},
                       web={"block-listen": [f"127.0.0.1:{web_port}"], "organisation": ORG,
                            "contact": "mailto:help@isp.test", "venue": "Cafe Test",
                            "header-timeout": "1s", "idle-timeout": "2s",
                            "max-connections-per-client": 4,
                            "max-requests-per-connection": 5})


def curl(port, host, *extra, source=None, path="/"):
    """(status, headers, body) of one request to the block listener."""
    cmd = ["curl", "-sS", "-i", "--noproxy", "*", "--max-time", "3", "-H", f"Host: {host}"]
    if source:
        cmd += ["--interface", source]
    r = run(cmd + list(extra) + [f"http://127.0.0.1:{port}{path}"], timeout=6)
    head, _, body = r.out.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return status, headers, body


def raw(port, data, read_timeout=2.0):
    """Sends bytes on a fresh connection; returns (everything read, closed by the server)."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(data)
        s.settimeout(read_timeout)
        got, closed = b"", False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                got += chunk
        except socket.timeout:
            pass
        except ConnectionResetError:  # a connection closed at once, with our bytes unread
            closed = True
        return got, closed


def check_pages(t, d, port):
    cases = [
        # (who, source address, host, kind, words that must be there)
        ("general reader", None, "adult.test", "general", ["This site is blocked", "adult content"]),
        ("child", "127.0.0.2", "adult.test", "child", ["haven't done anything wrong",
                                                       "Child Helpline International"]),
        ("teen", "127.0.0.3", "adult.test", "teen", ["Your household's settings"]),
        ("cafe visitor", "127.0.0.4", "adult.test", "venue", ["Cafe Test"]),
        ("security", None, "evil.test", "security", ["may be dangerous", "harmful software"]),
        ("legal", "127.0.0.2", "csam.test", "legal", ["Test Hotline", "INHOPE", "Stop It Now"]),
    ]
    for who, source, host, kind, words in cases:
        status, headers, body = curl(port, host, *NAV, source=source)
        t.check(status == 403 and f'<body class="{kind}">' in body
                and all(w in body for w in words) and body.count("<h1") == 1,
                f"{who}: the {kind} page, in words for its reader", body[:400])
        # "Report a mistake" is the appeal form, carrying the block's signed token
        # (blocking.appeal-url's default; test_appeals.py follows it).
        report = "http://127.0.0.1:8080/appeal?t="
        if kind == "legal":
            t.check(host not in body and "appeal.hotline.test" in body
                    and "Ask my parent" not in body and "/.shelter/ask" not in body
                    and report not in body and "mailto:help@isp.test" not in body,
                    "legal: never the site, the authority's appeal route, no report to the ISP")
        else:
            t.check(host in body and report in body,
                    f"{who}: names the site and how to report a mistake")
    status, _, body = curl(port, "adult.test", *NAV)
    t.check("Test ISP &lt;&amp;&gt; &quot;quoted&quot;" in body and ORG not in body,
            "the organisation's name is escaped in the page", body[:600])


def check_languages(t, d, port):
    for accept, lang, direction, words in [
        ("fr-CA,fr;q=0.9,en;q=0.5", "fr", "ltr", "Ce site est bloqué"),
        ("es", "es", "ltr", "Este sitio está bloqueado"),
        ("ar,en;q=0.1", "ar", "rtl", "هذا الموقع محظور"),
        ("de-DE, xx", "en", "ltr", "This site is blocked"),
    ]:
        status, headers, body = curl(port, "adult.test", *NAV, "-H", f"Accept-Language: {accept}")
        t.check(f'<html lang="{lang}" dir="{direction}">' in body and words in body
                and headers.get("content-language") == lang,
                f"Accept-Language {accept!r}: {lang}, {direction}", body[:300])


def check_security_headers(t, d, port):
    status, headers, body = curl(port, "adult.test", *NAV)
    csp = headers.get("content-security-policy", "")
    t.check("default-src 'none'" in csp and "frame-ancestors 'none'" in csp
            and "style-src 'sha256-" in csp and "script" not in csp and "unsafe" not in csp,
            "a strict Content-Security-Policy: no script, the stylesheet by its hash", csp)
    t.check(headers.get("referrer-policy") == "no-referrer"
            and headers.get("x-content-type-options") == "nosniff"
            and headers.get("x-frame-options") == "DENY"
            and headers.get("cache-control") == "no-store",
            "Referrer-Policy, X-Content-Type-Options, X-Frame-Options, Cache-Control", headers)
    t.check("<script" not in body and "http" not in re.sub(r'href="[^"]*"', "", body.split("<main>")[0]),
            "no script and no external resource in the page")
    t.check(len(body.encode()) < 30 * 1024, f"the page is under 30 KB ({len(body.encode())} bytes)")


def check_navigation(t, d, port):
    for what, extra, page in [
        ("Sec-Fetch-Dest: document", ["-H", "Sec-Fetch-Dest: document"], True),
        ("Sec-Fetch-Mode: navigate", ["-H", "Sec-Fetch-Mode: navigate"], True),
        ("Accept: text/html without Fetch Metadata", ["-H", "Accept: text/html,*/*"], True),
        ("an image (Sec-Fetch-Dest: image)", ["-H", "Sec-Fetch-Dest: image",
                                               "-H", "Accept: text/html"], False),
        ("a script", ["-H", "Sec-Fetch-Dest: script"], False),
        ("an API call (Accept: application/json)", ["-H", "Accept: application/json"], False),
    ]:
        status, headers, body = curl(port, "adult.test", *extra)
        got_page = body.startswith("<!DOCTYPE html>")
        t.check(status == 403 and got_page == page and (page or body == "blocked\n"),
                f"{what}: {'the page' if page else 'a tiny 403'}", body[:120])


def check_hostile(t, d, port):
    status, _, body = curl(port, "<script>alert(1)</script>", *NAV)
    t.check(status == 400 and "<script>" not in body, "a Host that is not a name: 400, nothing reflected",
            body)
    status, _, body = curl(port, "adult.test", *NAV, path="/%3Cscript%3Ealert(1)%3C/script%3E?q=<x>")
    t.check(status == 403 and "script" not in body and "&lt;x" not in body,
            "a hostile path or query is never shown", body[:200])
    status, _, body = curl(port, "ADULT.Test.", *NAV)
    t.check(status == 403 and "adult.test" in body, "the Host is normalised (case, trailing dot)")
    status, _, body = curl(port, "www.example.test", *NAV)
    t.check(status == 200 and "not blocked" in body, "a site that is not blocked: says so (200)")
    status, _, body = curl(port, "adult.test", "-X", "POST", "-d", "a=b")
    t.check(status == 405, "POST to the block page: 405")


def check_decided_again(t, d, port):
    # The child's address sees the child page, the same request from another address the
    # general one: the page follows the requester, not a parameter.
    _, _, child = curl(port, "adult.test", *NAV, source="127.0.0.2")
    _, _, other = curl(port, "adult.test", *NAV, source="127.0.0.5")
    t.check('class="child"' in child and 'class="general"' in other,
            "the decision is made again for each requester")


FRAMING = [
    ("Content-Length with Transfer-Encoding",
     b"POST / HTTP/1.1\r\nHost: adult.test\r\nContent-Length: 4\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("differing duplicate Content-Length",
     b"POST / HTTP/1.1\r\nHost: adult.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
    ("a Transfer-Encoding not ending in chunked",
     b"POST / HTTP/1.1\r\nHost: adult.test\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
    ("chunked in HTTP/1.0",
     b"POST / HTTP/1.0\r\nHost: adult.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: adult.test\r\nX-A: 1\r\n folded\r\n\r\n"),
    ("white space before a colon", b"GET / HTTP/1.1\r\nHost : adult.test\r\n\r\n"),
    ("no Host in HTTP/1.1", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"),
    ("two Hosts", b"GET / HTTP/1.1\r\nHost: adult.test\r\nHost: evil.test\r\n\r\n"),
    ("bare LF line ends", b"GET / HTTP/1.1\nHost: adult.test\n\n"),
]


def check_framing(t, d, port):
    for what, data in FRAMING:
        got, closed = raw(port, data)
        t.check(got.startswith(b"HTTP/1.1 400") and closed, f"{what}: 400 and the connection closed",
                got[:200])
    got, closed = raw(port, b"GET / HTTP/2.0\r\nHost: adult.test\r\n\r\n")
    t.check(got.startswith(b"HTTP/1.1 505") and closed, "HTTP/2.0 over text: 505", got[:100])
    big = b"GET / HTTP/1.1\r\nHost: adult.test\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    got, closed = raw(port, big)
    t.check(got.startswith(b"HTTP/1.1 431") and closed, "a head over 8 KiB: 431", got[:100])
    body = b"a=" + b"b" * (70 * 1024)
    got, closed = raw(port, b"POST / HTTP/1.1\r\nHost: adult.test\r\nContent-Length: "
                      + str(len(body)).encode() + b"\r\n\r\n" + body)
    t.check(got.startswith(b"HTTP/1.1 413") and closed, "a body over 64 KiB: 413", got[:100])


def check_connections(t, d, port):
    # Keep-alive and pipelining: three requests in one write, three answers in order.
    req = b"GET / HTTP/1.1\r\nHost: adult.test\r\nSec-Fetch-Dest: image\r\n\r\n"
    got, closed = raw(port, req * 3, read_timeout=1.0)
    t.check(got.count(b"HTTP/1.1 403") == 3 and not closed, "three pipelined requests, three answers",
            got[:300])
    # The cap on requests per connection (5 here): the fifth answer closes the connection.
    got, closed = raw(port, req * 7, read_timeout=1.5)
    t.check(got.count(b"HTTP/1.1 403") == 5 and b"Connection: close" in got and closed,
            "max-requests-per-connection: the connection closes after 5", got.count(b"HTTP/1.1"))
    # Header deadline (1 s): a slow client that never finishes its head is cut off.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: adu")
        start = time.monotonic()
        s.settimeout(5)
        closed = s.recv(100) == b""
        t.check(closed and 0.8 < time.monotonic() - start < 3,
                "an unfinished head is closed at the header deadline (1 s)")
    # Idle deadline (2 s) between requests on a kept-alive connection.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(req)
        s.settimeout(5)
        first = s.recv(65536)
        start = time.monotonic()
        closed = s.recv(100) == b""
        t.check(first.startswith(b"HTTP/1.1 403") and closed and 1.5 < time.monotonic() - start < 4,
                "an idle kept-alive connection is closed at the idle deadline (2 s)")
    # Per-client cap (4): the fifth connection from one address is closed at once.
    held = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(4)]
    try:
        time.sleep(0.2)
        got, closed = raw(port, req, read_timeout=1.0)
        t.check(got == b"" and closed, "max-connections-per-client: the fifth is closed at once")
        with socket.create_connection(("127.0.0.1", port), timeout=3,
                                      source_address=("127.0.0.6", 0)) as other:
            other.sendall(req)
            other.settimeout(2)
            t.check(other.recv(100).startswith(b"HTTP/1.1 403"),
                    "another client address is still served")
    finally:
        for s in held:
            s.close()


def check_metrics(t, d, port):
    _, _, body = http_get(d.admin_port, "/metrics")
    m = parse_metrics(body)
    t.check((metric(m, "shelter_web_requests_total") or 0) > 10
            and (metric(m, "shelter_web_bad_requests_total") or 0) >= len(FRAMING)
            and (metric(m, "shelter_web_connections_refused_total") or 0) >= 1,
            "web metrics count requests, refusals and refused connections")


def body(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        port = free_port(("127.0.0.1",))
        with t.shelterd(config(up, port), {"households.yaml": HOUSEHOLDS}) as d:
            t.check(d.wait_for(f"block page on 127.0.0.1:{port}", 0, 1) is not None,
                    "the ready line names the block page listener")
            t.run_cases([("pages", check_pages), ("languages", check_languages),
                         ("security headers", check_security_headers),
                         ("navigation", check_navigation), ("hostile input", check_hostile),
                         ("decided again", check_decided_again), ("framing", check_framing),
                         ("connections", check_connections), ("metrics", check_metrics)],
                        d, port)


if __name__ == "__main__":
    Suite("web").main(body)
