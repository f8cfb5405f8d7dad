#!/usr/bin/env python3
"""Failures: upstream silent or down -> SERVFAIL within timeout*attempts; malformed packets
get FORMERR (header readable) or are dropped, QR=1 is dropped, and shelterd keeps answering."""
import random
import struct
import time

import dnswire as w
from fake_upstream import FakeUpstream
from harness import (Suite, base_config, dig, free_port, tcp_connect, tcp_frame, udp_exchange)

TIMEOUT, ATTEMPTS = 0.3, 2
BUDGET = TIMEOUT * ATTEMPTS + 0.9  # dig start-up and scheduling margin


def header(qd=1, flags=w.RD, mid=0xBEEF):
    return struct.pack("!HHHHHH", mid, flags, qd, 0, 0, 0)


def question(name_wire=w.encode_name("www.example.test")):
    return name_wire + struct.pack("!HH", 1, 1)


rng = random.Random(8914)
# (what, datagram, expectation): "formerr" (FORMERR echoing the ID; NOTIMP when the opcode is
# not QUERY), "drop" (no reply), or "formerr-or-drop".
MALFORMED = [
    ("truncated header (5 bytes)", header()[:5], "formerr-or-drop"),
    ("random bytes", bytes(rng.randrange(256) for _ in range(40)), "formerr-or-drop"),
    ("QR=1 on a valid query", header(flags=w.QR | w.RD) + question(), "drop"),
    ("compression pointer loop", header() + question(b"\xc0\x0c"), "formerr"),
    ("pointer past the end", header() + question(b"\x03www\xc0\xff"), "formerr"),
    ("qdcount=2", header(qd=2) + question() + question(), "formerr"),
    ("question cut mid-label", header() + b"\x07exam", "formerr"),
    ("reserved label type 0x40", header() + question(b"\x41abc\x00"), "formerr"),
    ("name over 255 octets", header() + question((b"\x3f" + b"a" * 63) * 5 + b"\x00"),
     "formerr"),
    ("qdcount=0", header(qd=0), "formerr-or-drop"),
]


def check_upstream_silent(t, d, up):
    for name, opts in (("drop-udp.example.test", []), ("drop-tcp.example.test", ["+tcp"])):
        r = dig(d.port, name, "A", *opts, "+time=4")
        sent = up.count(name)
        t.check(r.status == "SERVFAIL" and TIMEOUT * 0.8 <= r.run.elapsed <= BUDGET,
                f"silent upstream {' '.join(opts)}: SERVFAIL after ~{TIMEOUT}s x {ATTEMPTS}", r)
        t.equal(sent, ATTEMPTS, f"silent upstream {' '.join(opts)}: one query per attempt")
    r = dig(d.port, "slow.example.test")
    t.check(r.data("A") == ["198.51.100.50"], "100 ms upstream delay is within the timeout", r)


def check_malformed(t, d, up):
    for what, data, expect in MALFORMED:
        raw = udp_exchange(d.port, data, timeout=0.5)
        try:
            reply = w.parse(raw) if raw else None
        except w.WireError as e:
            reply = f"unparseable reply {raw.hex()} ({e})"
        # A readable header with an opcode other than QUERY gets NOTIMP whatever follows it
        # (docs/dns-conformance.md, "opcode"); FORMERR otherwise.
        rcode = 4 if len(data) >= 12 and data[2] & 0x78 else 1
        formerr = (isinstance(reply, w.Message) and reply.flags & w.QR
                   and reply.rcode == rcode and reply.id == struct.unpack("!H", data[:2])[0])
        ok = {"drop": raw is None, "formerr": formerr,
              "formerr-or-drop": raw is None or formerr}[expect]
        t.check(ok, f"{what}: {expect}", f"sent {data.hex()}\ngot {reply}")
        t.check(d.alive(), f"{what}: shelterd still running", d.log_tail())
    for what, data in (("TCP frame of length 0", tcp_frame(b"")),
                       ("TCP frame of 3 garbage bytes", tcp_frame(b"\x01\x02\x03")),
                       ("TCP frame announcing 500 bytes, then close", b"\x01\xf4abc")):
        with tcp_connect(d.port) as s:
            s.sendall(data)
            time.sleep(0.1)
        t.check(d.alive(), f"{what}: shelterd still running", d.log_tail())
    r = dig(d.port, "www.example.test")
    t.check(r.data("A") == ["198.51.100.1"], "normal query answered after the garbage", r)


def body(t):
    with FakeUpstream() as up:
        up.add("www.example.test", a=["198.51.100.1"])
        up.add("drop-udp.example.test", drop=True)
        up.add("drop-tcp.example.test", drop=True)
        up.add("slow.example.test", a=["198.51.100.50"], delay_ms=100)
        cfg = base_config(up.addr, upstream={"timeout": f"{int(TIMEOUT * 1000)}ms",
                                             "attempts": ATTEMPTS})
        with t.shelterd(cfg) as d:
            t.run_cases([("upstream silent", check_upstream_silent),
                         ("malformed", check_malformed)], d, up)
    # An upstream address where nothing listens (ICMP port unreachable).
    dead = base_config(f"127.0.0.1:{free_port(('127.0.0.1',))}")
    with t.shelterd(dead) as d, t.case("upstream down"):
        r = dig(d.port, "www.example.test", "A", "+time=4")
        t.check(r.status == "SERVFAIL" and r.run.elapsed <= BUDGET,
                "nothing listening upstream: SERVFAIL within timeout x attempts", r)


if __name__ == "__main__":
    Suite("failure").main(body)
