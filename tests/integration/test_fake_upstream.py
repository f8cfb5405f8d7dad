#!/usr/bin/env python3
"""Self-test of the harness: the fake upstream and the dig/kdig parsers, no shelterd needed.

If this fails, the other integration tests' verdicts on shelterd cannot be trusted.
"""
import time

import dnswire as w
from fake_upstream import FakeUpstream, Rule
from harness import Suite, dig, tcp_connect, tcp_frame, tcp_read_message, udp_exchange

EDE_TEXT = "blocked by list iwf; appeal http://127.0.0.1:8080/appeal"


def zone(up):
    up.add("www.example.test", a=["198.51.100.1"], aaaa=["2001:db8::1"], ttl=300)
    up.add("nodata.example.test", a=["198.51.100.5"], soa_min=42)
    up.add("tc.example.test", a=["198.51.100.3"], tc=True)
    up.add("big.example.test", big=True)
    up.add("drop.example.test", drop=True)
    up.add("slow.example.test", a=["198.51.100.6"], delay_ms=300)
    up.add("spoof.example.test", a=["198.51.100.4"], spoof=True)
    up.add("alias.example.test", cname="www.example.test")
    up.add("ede.example.test", a=["198.51.100.2"], ede=(16, EDE_TEXT))


def body(t):
    with FakeUpstream() as up:
        zone(up)
        p = up.port
        for tool in ("dig", "kdig"):
            r = dig(p, "www.example.test", "A", tool=tool)
            t.check(r.status == "NOERROR" and r.data("A") == ["198.51.100.1"]
                    and r.ttls() == [300], f"{tool} parses an A answer and its TTL", r)
            r = dig(p, "ede.example.test", "A", "+edns", tool=tool)
            t.equal(r.ede, [(16, EDE_TEXT)], f"{tool} EDE line parsed", r)
        r = dig(p, "nx.example.test")
        t.check(r.status == "NXDOMAIN" and [a.type for a in r.authority] == ["SOA"]
                and r.authority[0].data.endswith(" 60"), "NXDOMAIN with SOA minimum 60", r)
        r = dig(p, "nodata.example.test", "AAAA")
        t.check(r.status == "NOERROR" and not r.answer and r.authority[0].data.endswith(" 42"),
                "NODATA with SOA minimum 42", r)
        r = dig(p, "alias.example.test")
        t.equal([(a.type, a.data) for a in r.answer],
                [("CNAME", "www.example.test."), ("A", "198.51.100.1")], "CNAME chased", r)
        r = dig(p, "tc.example.test", "A", "+ignore")
        t.check("tc" in r.flags and not r.answer, "tc rule sets TC over UDP", r)
        r = dig(p, "tc.example.test")
        t.check(r.retried_tcp and r.transport == "TCP" and r.data("A") == ["198.51.100.3"],
                "tc rule answers over TCP", r)
        counts = [up.count("tc.example.test", "A", tr) for tr in ("udp", "tcp")]
        t.equal(counts, [2, 1], "per-transport counters")
        r = dig(p, "big.example.test", "TXT")
        t.check(r.retried_tcp and len(r.data("TXT")) == 10, "big answer: TC, then full over TCP", r)
        r = dig(p, "drop.example.test", "A", "+time=1")
        t.check(r.status is None and r.run.elapsed >= 0.9, "drop rule never answers", r)
        r = dig(p, "slow.example.test")
        t.check(r.data("A") == ["198.51.100.6"] and r.run.elapsed >= 0.3, "delay rule", r)
        r = dig(p, "spoof.example.test")
        t.check(r.data("A") == ["198.51.100.4"], "dig skips the spoofed replies", r)
        raw = udp_exchange(p, w.make_query("spoof.example.test", mid=0x1234), timeout=0.5)
        t.check(raw and w.parse(raw).id == 0x1234 ^ 0x5A5A, "first spoof reply has a wrong ID")
        r = dig(p, "MiXeD.Example.TEST", "A", "+noedns")
        t.check(r.question == ["MiXeD.Example.TEST."] and not r.has_opt,
                "question case echoed, no OPT without EDNS", r)
        with tcp_connect(p) as s:
            ids = [0x100 + i for i in range(3)]
            s.sendall(b"".join(tcp_frame(w.make_query("www.example.test", mid=i)) for i in ids))
            got = sorted(w.parse(tcp_read_message(s)).id for _ in ids)
            t.equal(got, ids, "pipelined TCP queries to the fake upstream all answered")
        up.default = Rule(a=("198.51.100.99",))
        r = dig(p, "anything.test")
        t.check(r.data("A") == ["198.51.100.99"], "default rule can be replaced", r)
    t0 = time.monotonic()
    r = dig(p, "www.example.test", "A", "+time=1")
    t.check(r.status is None and time.monotonic() - t0 < 3, "stopped upstream is gone", r)


if __name__ == "__main__":
    Suite("fake upstream self-test").main(body)
