#!/usr/bin/env python3
"""Admin HTTP: /healthz, /metrics (names, and counters that move by exactly what was sent),
404 elsewhere; and no per-query logging."""
import time

import dnswire as w
from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, dig, http_get, metric, parse_metrics, udp_exchange

FORWARDED = ["f1.example.test", "f2.example.test", "f3.example.test"]
BLOCKED = [("adult.test", "adult"), ("sub.adult.test", "adult"), ("malware.test", "malware")]
REFUSED_NAME, SERVFAIL_NAME = "refused.example.test", "drop.example.test"
QUERIED = FORWARDED + [n for n, _ in BLOCKED] + [REFUSED_NAME, SERVFAIL_NAME]
LISTS = [
    {"id": "kids", "format": "domains", "path": "{dir}/kids.txt", "category": "adult"},
    {"id": "malware-feed", "format": "domains", "entries": ["malware.test"],
     "category": "malware"},
]
REQUIRED = ["shelter_dns_queries_total", "shelter_dns_responses_total",
            "shelter_cache_hits_total", "shelter_cache_misses_total",
            "shelter_upstream_latency_seconds_bucket", "shelter_blocks_total",
            "shelter_list_entries"]


def scrape(t, d):
    status, headers, body = http_get(d.admin_port, "/metrics")
    t.check(status == 200 and headers.get("content-type", "").startswith("text/plain"),
            "GET /metrics -> 200 text/plain", f"{status} {headers}\n{body[:500]}")
    return body, parse_metrics(body)


def send_traffic(t, d):
    """3 forwarded, 2 cache hits, 3 blocked, 1 refused, 1 servfail, 1 formerr."""
    for name in FORWARDED + FORWARDED[:2] + [n for n, _ in BLOCKED]:
        dig(d.port, name)
    r = dig(d.port, REFUSED_NAME, "A", "-b", "127.0.0.2")
    t.equal(r.status, "REFUSED", "traffic: query from 127.0.0.2 refused", r)
    r = dig(d.port, SERVFAIL_NAME)
    t.equal(r.status, "SERVFAIL", "traffic: silent upstream -> SERVFAIL", r)
    bad = b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01"
    raw = udp_exchange(d.port, bad, timeout=0.5)
    t.check(raw and w.parse(raw).rcode == 1, "traffic: pointer loop -> FORMERR", raw)
    time.sleep(0.2)  # let counters and logs settle


def check_admin(t, d, up):
    status, _, body = http_get(d.admin_port, "/healthz")
    t.check(status == 200 and body.strip() == "ok", "GET /healthz -> 200 ok", f"{status} {body!r}")
    status, _, _ = http_get(d.admin_port, "/no-such-page")
    t.equal(status, 404, "GET /no-such-page -> 404")
    _, before = scrape(t, d)
    send_traffic(t, d)
    text, after = scrape(t, d)
    for name in REQUIRED:
        t.check(f"\n{name}" in "\n" + text, f"/metrics has {name}")

    def delta(name, **labels):
        return (metric(after, name, **labels) or 0) - (metric(before, name, **labels) or 0)

    q = delta("shelter_dns_queries_total")
    t.check(10 <= q <= 11, "shelter_dns_queries_total moved by 10 (11 with the FORMERR)", q)
    for outcome, n in (("forwarded", 3), ("cache_hit", 2), ("blocked", 3), ("refused", 1),
                       ("servfail", 1), ("formerr", 1)):
        t.equal(delta("shelter_dns_responses_total", outcome=outcome), n,
                f'shelter_dns_responses_total{{outcome="{outcome}"}} delta')
    t.equal(delta("shelter_cache_hits_total"), 2, "shelter_cache_hits_total delta")
    misses = delta("shelter_cache_misses_total")
    t.check(3 <= misses <= 4, "shelter_cache_misses_total moved by 3 (4 with the SERVFAIL)", misses)
    lat = delta("shelter_upstream_latency_seconds_bucket", le="+Inf")
    t.check(lat >= 3, 'shelter_upstream_latency_seconds_bucket{le="+Inf"} moved by >= 3', lat)
    for category, n in (("adult", 2), ("malware", 1)):
        t.equal(delta("shelter_blocks_total", category=category), n,
                f'shelter_blocks_total{{category="{category}"}} delta')
    for list_id, n in (("kids", 3), ("malware-feed", 1)):
        t.equal(metric(after, "shelter_list_entries", list=list_id), n,
                f'shelter_list_entries{{list="{list_id}"}}')
    log = d.log().lower()
    logged = [n for n in QUERIED if n in log]
    t.check(not logged, "no queried name in stderr (no per-query logs)",
            f"found {logged}\n{d.log_tail()}")


def body(t):
    with FakeUpstream(default=Rule(a=("198.51.100.99",))) as up:
        up.add(SERVFAIL_NAME, drop=True)
        cfg = base_config(up.addr, dns={"allow-clients": ["127.0.0.1/32", "::1/128"]},
                          lists=LISTS)
        with t.shelterd(cfg, {"kids.txt": "adult.test\nporn.test\nexplicit.test\n"}) as d:
            t.run_cases([("admin", check_admin)], d, up)


if __name__ == "__main__":
    Suite("admin").main(body)
