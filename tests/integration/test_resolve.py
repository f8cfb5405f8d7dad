#!/usr/bin/env python3
"""Forwarding and caching: dig and kdig over UDP and TCP on both listeners, TTLs, negative
caching (RFC 2308), TTL caps, and a case-insensitive cache key that echoes the client's case.
Conformance: BADVERS for EDNS versions other than 0, AA never relayed, CHAOS answered here."""
import itertools
import re
import time

import dnswire as w
from fake_upstream import FakeUpstream
from harness import Suite, base_config, dig, udp_exchange

WWW_A, WWW_AAAA = "198.51.100.10", "2001:db8::10"


def zone(up):
    up.add("www.example.test", a=[WWW_A], aaaa=[WWW_AAAA], ttl=300)
    up.add("alias.example.test", cname="www.example.test", ttl=300)
    up.add("cache.example.test", a=["198.51.100.11"], ttl=300)
    up.add("short.example.test", a=["198.51.100.13"], ttl=1)
    up.add("nodata.example.test", a=["198.51.100.14"], soa_ttl=300, soa_min=60)
    up.add("nx.example.test", rcode="NXDOMAIN", soa_ttl=300, soa_min=60)
    up.add("shortneg.example.test", rcode="NXDOMAIN", soa_ttl=300, soa_min=1)
    up.add("mixed.example.test", a=["198.51.100.12"], ttl=300)
    # for the TTL-cap daemon
    up.add("lowttl.example.test", a=["198.51.100.20"], ttl=1)
    up.add("highttl.example.test", a=["198.51.100.21"], ttl=86400)
    up.add("bignx.example.test", rcode="NXDOMAIN", soa_ttl=600, soa_min=600)
    up.add("aa.example.test", a=["198.51.100.30"], ttl=300)


def check_listeners(t, d, up):
    """Every client, transport, listener and address family answers a forwarded query."""
    want = {"A": [WWW_A], "AAAA": [WWW_AAAA]}
    for tool, tcp, server, qtype in itertools.product(("dig", "kdig"), (False, True),
                                                      ("127.0.0.1", "::1"), ("A", "AAAA")):
        opts = ["+tcp"] if tcp else []
        r = dig(d.port, "www.example.test", qtype, *opts, server=server, tool=tool)
        t.check(r.status == "NOERROR" and r.data(qtype) == want[qtype] and "qr" in r.flags
                and "rd" in r.flags and r.transport == ("TCP" if tcp else "UDP"),
                f"{tool} {'tcp' if tcp else 'udp'} @{server} {qtype} -> {want[qtype]}", r)
    r = dig(d.port, "alias.example.test")
    t.equal([(a.type, a.data) for a in r.answer],
            [("CNAME", "www.example.test."), ("A", WWW_A)], "CNAME chain forwarded", r)


def check_cache(t, d, up):
    """Hits don't reach upstream; TTLs count down; short TTLs and negative TTLs expire."""
    first = dig(d.port, "cache.example.test")
    for name in ("short.example.test", "nx.example.test", "shortneg.example.test"):
        dig(d.port, name)
    dig(d.port, "nodata.example.test", "AAAA")
    again = dig(d.port, "cache.example.test")
    t.check(again.data("A") == ["198.51.100.11"] and up.count("cache.example.test") == 1,
            "second query served from cache (upstream saw 1)",
            f"upstream count {up.count('cache.example.test')}\n{again}")
    nx = dig(d.port, "nx.example.test")
    t.check(nx.status == "NXDOMAIN" and up.count("nx.example.test") == 1,
            "NXDOMAIN cached (upstream saw 1)", f"upstream {up.count('nx.example.test')}\n{nx}")
    soa = [a for a in nx.authority if a.type == "SOA"]
    t.check(soa and soa[0].ttl <= 60,
            "cached NXDOMAIN carries SOA with TTL <= SOA minimum 60 (RFC 2308 s.3, s.5)", nx)
    nodata = dig(d.port, "nodata.example.test", "AAAA")
    t.check(nodata.status == "NOERROR" and not nodata.answer
            and up.count("nodata.example.test", "AAAA") == 1 and
            any(a.type == "SOA" and a.ttl <= 60 for a in nodata.authority),
            "NODATA cached with SOA TTL <= 60 (upstream saw 1)",
            f"upstream {up.count('nodata.example.test', 'AAAA')}\n{nodata}")
    time.sleep(2.2)
    later = dig(d.port, "cache.example.test")
    ttl0, ttl1 = first.ttls(), later.ttls()
    t.check(len(ttl1) == 1 and len(ttl0) == 1 and ttl0[0] - 4 <= ttl1[0] < ttl0[0] <= 300,
            "TTL counts down in served answers after 2 s", f"first {ttl0}, later {ttl1}\n{later}")
    t.check(up.count("cache.example.test") == 1, "still cached after 2 s")
    r = dig(d.port, "short.example.test")
    t.check(r.data("A") == ["198.51.100.13"] and up.count("short.example.test") == 2,
            "TTL 1 answer expired: re-fetched after 2 s",
            f"upstream {up.count('short.example.test')}\n{r}")
    r = dig(d.port, "shortneg.example.test")
    t.check(r.status == "NXDOMAIN" and up.count("shortneg.example.test") == 2,
            "NXDOMAIN with SOA minimum 1 expired: re-fetched after 2 s",
            f"upstream {up.count('shortneg.example.test')}\n{r}")


def check_case(t, d, up):
    """0x20: one cache entry for every spelling, the question echoed as the client sent it."""
    for i, name in enumerate(("MiXeD.Example.TEST", "mixed.example.test", "MIXED.EXAMPLE.TEST")):
        raw = udp_exchange(d.port, w.make_query(name, "A", mid=0x2000 + i))
        msg = w.parse(raw) if raw else None
        t.check(msg and msg.id == 0x2000 + i and msg.question
                and msg.question[0][0] == name and msg.rcode == 0
                and [w.rdata_text(a) for a in msg.answer if a.type == 1] == ["198.51.100.12"],
                f"{name}: answered, question echoed byte for byte",
                f"got {msg}")
    t.equal(up.count("mixed.example.test"), 1, "three spellings, one upstream query")


def check_caps(t, d, up):
    low = dig(d.port, "lowttl.example.test")
    high = [dig(d.port, "highttl.example.test") for _ in range(2)]
    neg = [dig(d.port, "bignx.example.test") for _ in range(2)]
    t.check(low.ttls() and 4 <= low.ttls()[0] <= 5, "min-ttl 5 raises a TTL of 1", low)
    for i, r in enumerate(high):
        t.check(r.ttls() and 0 < r.ttls()[0] <= 100, f"max-ttl 100 caps 86400 (answer {i + 1})", r)
    for i, r in enumerate(neg):
        soa = [a.ttl for a in r.authority if a.type == "SOA"]
        t.check(r.status == "NXDOMAIN" and (i == 0 or soa and soa[0] <= 30),
                f"max-negative-ttl 30 caps SOA minimum 600 (answer {i + 1})", r)
    t.equal(up.count("bignx.example.test"), 1, "capped NXDOMAIN still cached")
    time.sleep(2.2)
    r = dig(d.port, "lowttl.example.test")
    t.check(r.data("A") == ["198.51.100.20"] and up.count("lowttl.example.test") == 1,
            "TTL 1 raised to 5: still cached after 2 s",
            f"upstream {up.count('lowttl.example.test')}\n{r}")


CHAOS_NAMES = ("version.bind", "version.server", "id.server", "hostname.bind", "authors.bind")


def chaos_answers(r):
    """(class, type, text) of the answer lines of a dig run."""
    return re.findall(r'^\S+\s+\d+\s+(\S+)\s+(\S+)\s+"([^"]*)"$', r.run.out, re.M)


def check_conformance(t, d, up):
    """BADVERS with our version-0 OPT; AA clear (the fake upstream sets it on every answer),
    relayed and cached; CHAOS queries REFUSED here and never forwarded."""
    for opts in ([], ["+tcp"]):
        r = dig(d.port, "www.example.test", "A", "+edns=1", "+noednsneg", *opts)
        t.check(r.status == "BADVERS" and r.has_opt and "EDNS: version: 0" in r.run.out
                and not r.answer, f"EDNS version 1 {' '.join(opts)}: BADVERS, our OPT at 0", r)
    for what in ("relayed", "cached"):
        r = dig(d.port, "aa.example.test")
        t.check(r.status == "NOERROR" and r.data("A") == ["198.51.100.30"]
                and "aa" not in r.flags and "ra" in r.flags, f"{what} answer: AA clear", r)
    t.equal(up.count("aa.example.test"), 1, "the second from the cache")
    before = sum(up.counts.values())
    for name in CHAOS_NAMES:
        for opts in ([], ["+tcp"]):
            r = dig(d.port, name, "TXT", "-c", "CH", *opts)
            t.check(r.status == "REFUSED" and not r.answer,
                    f"CH TXT {name} {' '.join(opts)}: REFUSED", r)
    t.equal(sum(up.counts.values()) - before, 0, "no CHAOS query reached the upstream")


def check_chaos_configured(t, d, up):
    before = sum(up.counts.values())
    for name, text in (("version.bind", "shelter 8 test"), ("version.server", "shelter 8 test"),
                       ("id.server", "resolver-a"), ("hostname.bind", "resolver-a")):
        r = dig(d.port, name, "TXT", "-c", "CH")
        t.check(r.status == "NOERROR" and "aa" not in r.flags
                and chaos_answers(r) == [("CH", "TXT", text)], f"CH TXT {name}: {text!r}", r)
    r = dig(d.port, "authors.bind", "TXT", "-c", "CH")
    t.check(r.status == "REFUSED" and not r.answer, "CH TXT authors.bind: REFUSED", r)
    t.equal(sum(up.counts.values()) - before, 0, "no CHAOS query reached the upstream")


def body(t):
    with FakeUpstream() as up:
        zone(up)
        cfg = base_config(up.addr, cache={"max-entries": 10000, "min-ttl": 0, "max-ttl": 86400,
                                          "max-negative-ttl": 3600})
        with t.shelterd(cfg) as d:
            t.run_cases([("listeners", check_listeners), ("cache", check_cache),
                         ("0x20", check_case), ("conformance", check_conformance)], d, up)
        chaos = base_config(up.addr)
        chaos["dns"]["chaos"] = {"version": "shelter 8 test", "id": "resolver-a"}
        with t.shelterd(chaos) as d, t.case("chaos configured"):
            check_chaos_configured(t, d, up)
        caps = base_config(up.addr, cache={"min-ttl": 5, "max-ttl": 100, "max-negative-ttl": 30})
        with t.shelterd(caps) as d, t.case("ttl caps"):
            check_caps(t, d, up)


if __name__ == "__main__":
    Suite("resolve").main(body)
