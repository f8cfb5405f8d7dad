#!/usr/bin/env python3
"""Steered names through the real shelterd: the real answer with the proxy's addresses (CNAME
chain and TTL kept; NXDOMAIN and NODATA as they are), served from the cache too; HTTPS records
without ECH and address hints; adblock URL rules not steered unless the list says so; cover
names answered exactly like a listed host; nothing listening on UDP/443 at the proxy address;
and the per-list steering counts of `--check-config` and `shelter-compile`."""
import ipaddress
import socket
import struct

from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, dig, run

FORWARDED_V4, FORWARDED_V6 = "198.51.100.7", "2001:db8::7"
# A loopback address that nothing binds: the UDP/443 check sends to it.
PROXY_V4, PROXY_V6 = "127.0.0.44", "2001:db8::44"
TTL = 123

FILES = {
    "pages.csv": ("url,category,id\nhttp://listed.test/page/1,adult,1\n"
                  "http://gone.test/page,adult,2\nhttp://v4only.test/page,adult,3\n"
                  "http://chain.test/page,adult,4\n"),
    "filters.txt": "[Adblock Plus 2.0]\n||adtarget.test/ads/^\n||steered-ads.test/ads/^\n",
    "steered.txt": "[Adblock Plus 2.0]\n||steered-ads.test/ads/^\n",
}
LISTS = [
    {"id": "pages", "format": "urls", "path": "{dir}/pages.csv", "category": "adult"},
    {"id": "filters", "format": "adblock", "path": "{dir}/filters.txt", "category": "ads"},
    {"id": "filters-steered", "format": "adblock", "path": "{dir}/steered.txt", "category": "ads",
     "steer": True},
]


def param(key, value):
    return struct.pack("!HH", key, len(value)) + value


# What cloudflare.com's HTTPS record looks like: priority 1, target ".", alpn h3,h2, IPv4
# hints, an ECH config list, IPv6 hints.
ALPN = param(1, b"\x02h3\x02h2")
HTTPS_RDATA = (b"\x00\x01\x00" + ALPN
               + param(4, ipaddress.IPv4Address("104.16.132.229").packed
                       + ipaddress.IPv4Address("104.16.133.229").packed)
               + param(5, bytes.fromhex("0045fe0d0041" + "2b" * 60))
               + param(6, ipaddress.IPv6Address("2606:4700::6810:84e5").packed))


def upstream_rules(up):
    same = dict(a=(FORWARDED_V4,), aaaa=(FORWARDED_V6,), https=(HTTPS_RDATA,), ttl=TTL)
    for name in ("listed.test", "cover.test", "plain.test", "adtarget.test", "steered-ads.test",
                 "listed-twin.test", "cover-twin.test", "www.cover.test"):
        up.add(name, **same)
    up.add("v4only.test", a=(FORWARDED_V4,), ttl=TTL)
    up.add("chain.test", cname="edge.cdn.test", ttl=3600)
    up.add("edge.cdn.test", a=(FORWARDED_V4,), ttl=45)
    # gone.test: the default rule, NXDOMAIN.


def shape(r):
    """What an observer sees of an answer, names aside."""
    return (r.status, sorted(r.flags), [(x.type, x.ttl, x.data) for x in r.answer],
            [x.type for x in r.authority])


def check_addresses(t, d, up):
    r = dig(d.port, "listed.test", "A")
    t.check(r.status == "NOERROR" and r.data("A") == [PROXY_V4] and r.ttls("A") == [TTL],
            "listed host: the proxy address with the real answer's TTL", r)
    r = dig(d.port, "listed.test", "AAAA")
    t.check(r.status == "NOERROR" and r.data("AAAA") == [PROXY_V6] and r.ttls("AAAA") == [TTL],
            "listed host, AAAA: the proxy's IPv6 address", r)
    before = up.count("listed.test", "A")
    r = dig(d.port, "listed.test", "A")
    t.check(r.data("A") == [PROXY_V4] and up.count("listed.test", "A") == before
            and 0 < r.ttls("A")[0] <= TTL, "a second query is answered from the cache", r)
    r = dig(d.port, "chain.test", "A")
    t.check(r.status == "NOERROR" and [x.type for x in r.answer] == ["CNAME", "A"]
            and r.data("CNAME") == ["edge.cdn.test."] and r.data("A") == [PROXY_V4]
            and r.answer[1].name == "edge.cdn.test." and r.ttls("A") == [45],
            "CNAME chain kept; the addresses at its end are the proxy's, least TTL", r)
    r = dig(d.port, "gone.test", "A")
    t.check(r.status == "NXDOMAIN" and not r.answer and [x.type for x in r.authority] == ["SOA"],
            "a steered name that does not exist is NXDOMAIN, SOA and all", r)
    r = dig(d.port, "v4only.test", "AAAA")
    t.check(r.status == "NOERROR" and not r.answer and [x.type for x in r.authority] == ["SOA"],
            "a steered name without AAAA stays NODATA for AAAA", r)
    r = dig(d.port, "listed.test", "TXT")
    t.check(r.status == "NOERROR" and up.count("listed.test", "TXT") == 1,
            "other types of a steered name resolve upstream as they are", r)


def check_lists(t, d, up):
    r = dig(d.port, "adtarget.test", "A")
    t.check(r.data("A") == [FORWARDED_V4], "an adblock list's URL rules do not steer by default", r)
    r = dig(d.port, "steered-ads.test", "A")
    t.check(r.data("A") == [PROXY_V4], "they do with steer: true", r)


def check_https(t, d, up):
    r = dig(d.port, "listed.test", "HTTPS")
    text = " ".join(x.data for x in r.answer)
    t.check(r.status == "NOERROR" and len(r.answer) == 1 and r.ttls() == [TTL]
            and 'alpn="h3,h2"' in text and "ech=" not in text and "hint" not in text,
            "steered HTTPS record: alpn and TTL kept, ECH and address hints gone", r)
    r = dig(d.port, "plain.test", "HTTPS")
    text = " ".join(x.data for x in r.answer)
    t.check("ech=" in text and "ipv4hint=" in text and "ipv6hint=" in text,
            "a name that is not steered keeps its HTTPS record whole", r)


def check_cover(t, d, up):
    r = dig(d.port, "cover.test", "A")
    t.check(r.data("A") == [PROXY_V4] and r.ttls("A") == [TTL], "a cover name is steered", r)
    # Same records and TTL upstream, both asked fresh: nothing tells the two apart.
    for qtype in ("A", "AAAA", "HTTPS", "TXT"):
        a = dig(d.port, "listed-twin.test", qtype)
        b = dig(d.port, "cover-twin.test", qtype)
        t.check(shape(a) == shape(b) and (a.answer or qtype == "TXT"),
                f"{qtype}: a listed host and a cover host look the same", f"{a}\n---\n{b}")
    r = dig(d.port, "www.cover.test", "A")
    t.check(r.data("A") == [FORWARDED_V4], "cover names are exact: names below resolve", r)


def check_udp_443(t, d, up):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((PROXY_V4, 443))
    refused = False
    try:
        s.send(b"\xc0\x00\x00\x00\x01" + b"\x00" * 1195)  # a QUIC Initial's first bytes
        s.recv(2048)
    except ConnectionRefusedError:
        refused = True
    except socket.timeout:
        pass
    finally:
        s.close()
    t.check(refused, "UDP/443 at the proxy address: port unreachable (QUIC falls back to TCP)")


def check_counts(t, d, compiler):
    r = run([t.args.shelterd, "--config", d.config_path, "--check-config"], timeout=30)
    t.check(r.rc == 0 and "  pages: 5 names\n" in r.out
            and "  filters: 0 names (steer: false)\n" in r.out
            and "  filters-steered: 1 names\n" in r.out and "  total: 6 distinct names" in r.out,
            "--check-config prints the names each list steers", r.out + r.err)
    if compiler:
        r = run([compiler, "--config", d.config_path, "--output", d.path("lists.snap")], timeout=30)
        t.check(r.rc == 0 and "  pages: 5 names\n" in r.out and "total: 6 distinct names" in r.out,
                "shelter-compile prints them too", r.out + r.err)


def body(t):
    with FakeUpstream() as up:
        upstream_rules(up)
        files = dict(FILES)
        files["pages.csv"] += "http://listed-twin.test/x,adult,5\n"
        cfg = base_config(up.addr, lists=LISTS,
                          proxy={"address-ipv4": [PROXY_V4], "address-ipv6": [PROXY_V6],
                                 "cover-names": ["cover.test", "cover-twin.test"]})
        with t.shelterd(cfg, files) as d:
            t.run_cases([("addresses", check_addresses), ("lists", check_lists),
                         ("https", check_https), ("cover names", check_cover),
                         ("udp 443", check_udp_443)], d, up)
            with t.case("counts"):
                check_counts(t, d, t.args.shelter_compile)


if __name__ == "__main__":
    Suite("steering").main(body)
