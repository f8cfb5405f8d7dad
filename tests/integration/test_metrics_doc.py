#!/usr/bin/env python3
"""docs/metrics.md against the real /metrics, and the Grafana dashboard against docs/metrics.md.

One shelterd with as many features on as one node can have at once (the web front, the
filtering proxy's HTTP and TLS listeners, the parents' portal, appeals, households in a private
redis-server, the query log), some queries of each kind through it; then: every family /metrics
exposes is documented with the same type, every documented family not marked conditional is
exposed, and every metric name in every panel expression of deploy/grafana/shelter.json is a
documented family (or a histogram's _bucket/_sum/_count)."""
import json
import os
import re

from clients import ADMIN_TOKEN, api
from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, dig, free_port, http_get, wait_until
from redis_server import RedisServer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DOC = os.path.join(ROOT, "docs", "metrics.md")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "shelter.json")
FORWARDED = "198.51.100.44"
LISTS = [
    {"id": "adult-sites", "format": "domains", "category": "adult", "entries": ["adult.test"]},
    {"id": "hotline", "format": "urls", "category": "csam", "legal": True,
     "authority": "Test Hotline", "entries": ["shared.test/abuse/1.jpg"]},
]
SUFFIXES = ("_bucket", "_sum", "_count")


def documented():
    """{family: (type, conditional)} from the tables of docs/metrics.md: rows whose first cell
    is a `shelter_...` name; the last cell says when it appears ("always" or a condition)."""
    out = {}
    for line in open(DOC):
        m = re.match(r"\|\s*`(shelter_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|(.*)\|\s*$", line)
        if m:
            cells = [c.strip() for c in m.group(3).split("|")]
            out[m.group(1)] = (m.group(2), cells[-1].lower() != "always")
    return out


def exposed(text):
    """{family: type} from the # TYPE lines of a scrape."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def family_of(name, doc):
    if name in doc:
        return name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in doc:
            return name[: -len(suffix)]
    return None


def config(up, redis, ports):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"store": "redis"},
        redis={"servers": [f"127.0.0.1:{redis.port}"], "connect-timeout": "300ms"},
        admin={"token-file": "{dir}/admin.tokens"},
        web={"block-listen": [f"127.0.0.1:{ports['web']}"]},
        proxy={"address-ipv4": ["127.0.0.1"], "http-listen": [f"127.0.0.1:{ports['http']}"],
               "tls-listen": [f"127.0.0.1:{ports['tls']}"], "resolvers": [up.addr]},
        portal={"listen": [f"127.0.0.1:{ports['portal']}"]},
        logging={"query-log": {"enabled": True, "directory": "{dir}/qlog", "retention": "1d"}},
        **{"list-updates": {"state-directory": "{dir}/state"}})


def check_doc(t, text):
    doc = documented()
    t.check(len(doc) > 40, f"docs/metrics.md documents {len(doc)} families", DOC)
    got = exposed(text)
    t.check(len(got) > 40, f"/metrics exposes {len(got)} families", text[:2000])
    for name, kind in sorted(got.items()):
        t.check(name in doc and doc[name][0] == kind,
                f"{name} ({kind}) is documented with its type",
                f"documented as {doc.get(name)}")
    for name, (kind, conditional) in sorted(doc.items()):
        if not conditional:
            t.check(name in got, f"{name}: documented as always there, and exposed")
    unseen = sorted(n for n, (_, c) in doc.items() if c and n not in got)
    print(f"documented conditional families not exposed by this node: {unseen}")


def expressions(node):
    """Every `expr` in a dashboard, however deep its panels and rows nest."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from expressions(v)
    elif isinstance(node, list):
        for v in node:
            yield from expressions(v)


def check_dashboard(t):
    dash = json.load(open(DASHBOARD))
    doc = documented()
    t.check(dash.get("schemaVersion", 0) >= 36, "Grafana 9+ schema (schemaVersion >= 36)",
            dash.get("schemaVersion"))
    inputs = dash.get("__inputs", [])
    t.check(any(i.get("type") == "datasource" and i.get("pluginId") == "prometheus"
                for i in inputs), "a Prometheus datasource as an import input", inputs)
    exprs = list(expressions(dash))
    t.check(len(exprs) >= 12, f"{len(exprs)} panel expressions")
    names = sorted({n for e in exprs for n in re.findall(r"\bshelter_[a-z0-9_]+", e)})
    for name in names:
        t.check(family_of(name, doc) is not None, f"dashboard's {name} is in docs/metrics.md")
    titles = [p.get("title", "") for p in dash.get("panels", [])]
    t.check(len(titles) >= 12 and all(titles), "every panel has a title", titles)


def exercise(t, d, up, ports):
    for name, qtype in (("adult.test", "A"), ("open.test", "A"), ("open.test", "A"),
                        ("shared.test", "A"), ("open.test", "AAAA")):
        dig(d.port, name, qtype)
    http_get(ports["web"], "/")
    http_get(ports["portal"], "/")
    status, _, resp = api(d, "POST", "/v1/households",
                          {"id": "smith", "profile": "15-17", "addresses": ["127.0.0.2/32"]})
    t.check(status == 201, "a household in Redis", resp)
    dig(d.port, "adult.test", "A", "-b", "127.0.0.2")


def main(t):
    with t.case("dashboard"):
        check_dashboard(t)
    ports = {k: free_port(("127.0.0.1",)) for k in ("web", "http", "tls", "portal")}
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up, RedisServer() as redis:
        files = {"admin.tokens": f"operator {ADMIN_TOKEN}\n"}
        with t.shelterd(config(up, redis, ports), files=files) as d:
            with t.case("scrape"):
                exercise(t, d, up, ports)
                text = ""

                def scraped():
                    nonlocal text
                    text = http_get(d.admin_port, "/metrics")[2]
                    # Case gauges come with the first case housekeeping, a second after start.
                    return "shelter_redis_subscribed 1" in text and "shelter_appeals_open" in text

                wait_until(scraped, 5.0)
                check_doc(t, text)


if __name__ == "__main__":
    Suite("metrics doc").main(main)
