#!/usr/bin/env python3
"""Summarises scripts/bench-proxy.sh's TSV (round, test, peer, metric, value) as a markdown table:
median [min-max] over the rounds; MiB/s as a share of direct and shelterd's CPU over each peer's,
both computed within each round, then summarised the same way."""
import statistics
import sys
from collections import defaultdict

data = defaultdict(dict)   # (test, peer, metric) -> {round: value}
for line in open(sys.argv[1]):
    rnd, test, peer, metric, value = line.rstrip("\n").split("\t")
    data[(test, peer, metric)][rnd] = float(value)

TESTS = [  # test, what, CPU metric, CPU unit, goal
    ("keepalive", "allowed 1 KB, keep-alive", "cpu_us", "µs/request", "≤ 36 µs"),
    ("close", "allowed 1 KB, a new connection per request", "cpu_us", "µs/request", "≤ 100 µs"),
    ("blocked-url", "blocked URL (URL list entry)", "cpu_us", "µs/request", "≤ 20 µs"),
    ("blocked-domain", "blocked domain (domain list entry)", "cpu_us", "µs/request", ""),
    ("mb1", "1 MiB bodies, keep-alive", "cpu_ms_per_mb", "ms/MiB", "≤ 0.4 ms"),
    ("mb100", "100 MiB bodies (curl)", "cpu_ms_per_mb", "ms/MiB", "≤ 0.4 ms"),
    ("tls100", "TLS 100 MiB, spliced", "cpu_ms_per_mb", "ms/MiB", "≥ 80 % of direct"),
    ("sni-reject", "blocked SNI, rejected", "cpu_us", "µs/reject", "≤ 30 µs"),
]
PEERS = ["direct", "shelterd", "shelterd-sni", "squid", "squid-regex", "e2guardian"]


def summary(values, fmt="{:.2f}"):
    if not values:
        return "n/a"
    v = sorted(values)
    return f"{fmt.format(statistics.median(v))} [{fmt.format(v[0])}-{fmt.format(v[-1])}]"


def ratios(a, b):  # per round a / b
    return [a[r] / b[r] for r in a if r in b and b[r]]


print("| test | proxy | req/s or MiB/s | CPU | share of direct | shelterd CPU / this |")
print("|---|---|---|---|---|---|")
for test, what, metric, unit, goal in TESTS:
    for peer in PEERS:
        cpu = data.get((test, peer, metric), {})
        thr = data.get((test, peer, "mbps" if metric == "cpu_ms_per_mb" else "rps"), {})
        if not cpu and not thr:
            continue
        tunit = "MiB/s" if metric == "cpu_ms_per_mb" else ("/s" if test == "sni-reject" else "req/s")
        share = ""
        if metric == "cpu_ms_per_mb" and peer != "direct":
            d = data.get((test, "direct", "mbps"), {})
            share = summary([x * 100 for x in ratios(thr, d)], "{:.0f}") + " %" if d else ""
        vs = ""
        me = "shelterd-sni" if test == "tls100" and (test, "shelterd-sni", metric) in data else "shelterd"
        if peer in ("squid", "squid-regex", "e2guardian") and (test, me, metric) in data:
            vs = summary(ratios(data[(test, me, metric)], cpu))
        cpu_text = summary(list(cpu.values())) + " " + unit if cpu else ""
        if peer == "direct" and cpu:
            cpu_text += " (origin nginx)"
        print(f"| {what} ({goal or 'no goal'}) | {peer} | {summary(list(thr.values()), '{:.0f}')} {tunit} "
              f"| {cpu_text} | {share} | {vs} |")

print()
print("| proxy | RSS with the lists loaded | RSS after the runs | goal |")
print("|---|---|---|---|")
for peer in PEERS:
    a = data.get(("rss", peer, "rss_mib_loaded"), {})
    b = data.get(("rss", peer, "rss_mib_after"), {})
    if a or b:
        print(f"| {peer} | {summary(list(a.values()), '{:.1f}')} MiB | {summary(list(b.values()), '{:.1f}')} MiB | ≤ 30 MiB |")
