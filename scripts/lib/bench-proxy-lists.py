#!/usr/bin/env python3
"""The proxy benchmark's lists, the same entries for every peer (scripts/bench-proxy.sh).

Deterministic (fixed seed): 100,000 domains and 100,000 URLs, written as
  domains.txt        shelterd `format: domains`   one name a line
  urls.csv           shelterd `format: urls`      host/path (IWF-like CSV, one column)
  squid-domains.txt  squid `dstdomain -n`         .name (the name and everything below)
  squid-urls.txt     squid `url_regex`            ^http://host(:port)?/path([?#]|$), escaped
  e2g-sites.txt      e2guardian bannedsitelist    name
  e2g-urls.txt       e2guardian bannedurllist     host/path

Domains: blocked-0.example .. blocked-999.example, then random names (6-15 letters, 2-3
labels, five TLDs). URLs: 127.0.0.1/blocked/0.html .. /blocked/999.html (the benchmark's
origin host, so an allowed request there is a miss on a host that has URL rules, the IWF
shared-hosting case), then random pages on 20,000 random hosts that are not in the domain list.
Usage: bench-proxy-lists.py DIR [N_DOMAINS] [N_URLS]
"""
import os
import random
import re
import sys

out = sys.argv[1]
n_domains = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
n_urls = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
rng = random.Random(20261207)
letters = "abcdefghijklmnopqrstuvwxyz"
tlds = ["com", "net", "org", "info", "co.uk"]


def word(lo, hi):
    return "".join(rng.choice(letters) for _ in range(rng.randint(lo, hi)))


def name():
    labels = [word(6, 15)] + ([word(3, 8)] if rng.random() < 0.3 else [])
    return ".".join(labels[::-1]) + "." + rng.choice(tlds)


domains, seen = [], set()
for i in range(min(1000, n_domains)):
    domains.append(f"blocked-{i}.example")
while len(domains) < n_domains:
    d = name()
    # squid's dstdomain drops an entry that lies under another one: keep the sets disjoint.
    if d not in seen and not any(p in seen for p in [d.split(".", 1)[1]]):
        seen.add(d)
        domains.append(d)
seen.update(domains)

hosts = []
while len(hosts) < 20_000:
    h = "www." + name()
    if h not in seen and h.split(".", 1)[1] not in seen:
        seen.add(h)
        hosts.append(h)
urls = [f"127.0.0.1/blocked/{i}.html" for i in range(min(1000, n_urls))]
while len(urls) < n_urls:
    path = "/".join(word(3, 10) for _ in range(rng.randint(1, 3)))
    urls.append(f"{rng.choice(hosts)}/{path}/{rng.randint(1, 99999)}.{rng.choice(['html', 'jpg', 'php'])}")
urls = list(dict.fromkeys(urls))

os.makedirs(out, exist_ok=True)


def write(fname, lines):
    with open(os.path.join(out, fname), "w") as f:
        f.write("\n".join(lines) + "\n")


write("domains.txt", domains)
write("urls.csv", urls)
write("squid-domains.txt", ["." + d for d in domains])
write("squid-urls.txt", [
    "^http://" + re.escape(u.split("/", 1)[0]) + "(:[0-9]+)?/" + re.escape(u.split("/", 1)[1]) + "([?#]|$)"
    for u in urls])
write("e2g-sites.txt", domains)
write("e2g-urls.txt", urls)
print(f"lists: {len(domains)} domains, {len(urls)} URLs in {out}")
