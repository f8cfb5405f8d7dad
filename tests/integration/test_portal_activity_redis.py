#!/usr/bin/env python3
"""Household activity with the Redis store, on two shelterd nodes sharing one redis-server:
blocked queries answered by both nodes add up on either node's family page, exactly, and in the
keys docs/redis-schema.md names (shelter:v1:hblocks:<household>:<yyyy-Www>, a counter per
category, expiring after five weeks); a private MAC seen on node A is listed on node B
(shelter:v1:newdev:<household>, "<first> <last>", expiring after 30 days), attached to the tablet
there and in force on A; another household sees none of it."""
import datetime
import json
import os
import re

from clients import ADMIN_TOKEN, api
from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, free_port, wait_until
from redis_server import RedisServer
from test_portal import Browser, first_access, post_form
from test_portal_activity import (FORWARDED, JONES, JONES_CPE, JONES_MAC, LISTS, PRIVATE, TABLET,
                                  TRUSTED, WORDS, ask, new_devices, week_rows, with_mac)

PREFIX = "shelter:v1:"
KEYS = "fleet " + "5a" * 32 + "\n"
FILES = {"admin.tokens": f"operator {ADMIN_TOKEN}\n"}


def config(up, redis, portal, keys):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"store": "redis",
                     "trust": {"mac-from": [f"{TRUSTED}/32"], "cpe-id-from": [f"{TRUSTED}/32"]}},
        redis={"servers": [f"127.0.0.1:{redis.port}"], "lookup-timeout": "1s",
               "connect-timeout": "300ms", "command-timeout": "1s"},
        admin={"token-file": "{dir}/admin.tokens"},
        portal={"listen": [f"127.0.0.1:{portal}"]},
        web={"token-keys-file": keys},
        **{"list-updates": {"state-directory": "{dir}/state"}})


def this_week():
    year, week, _ = datetime.datetime.now(datetime.timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def setup(t, a):
    for body in ({"id": "smith", "profile": "15-17", "cpe-ids": ["cpe-smith"],
                  "devices": {"tablet": {"profile": "under-9", "addresses": [f"{TABLET}/32"]}}},
                 {"id": "jones", "profile": "15-17", "addresses": [f"{JONES}/32"],
                  "cpe-ids": ["cpe-jones"]}):
        status, _, resp = api(a, "POST", "/v1/households", body)
        t.check(status == 201, f"household {body['id']} created on A", resp)


def sign_in(t, a, port, household):
    status, r, resp = api(a, "POST", f"/v1/households/{household}/access-code")
    b = Browser(port)
    resp = first_access(b, household, r.get("code", ""), "correct horse battery")
    t.check(resp.status == 303, f"{household} signs in on node port {port}", resp)
    return b


def check_counts(t, a, b, redis, ports):
    smith_a, smith_b = sign_in(t, a, ports[0], "smith"), Browser(ports[1])
    smith_b.cookies = dict(smith_a.cookies)
    t.check(wait_until(lambda: ask(a, "social.test", TABLET) == [BLOCK_V4], 2.0) and
            wait_until(lambda: ask(b, "social.test", TABLET) == [BLOCK_V4], 2.0),
            "both nodes block social.test for the tablet (one query each counted)")
    for d, n in ((a, 1), (b, 2)):
        for _ in range(n):
            t.equal(ask(d, "social.test", TABLET), [BLOCK_V4], "social.test blocked")
    for _ in range(2):
        t.equal(ask(b, "adult.test", TABLET), [BLOCK_V4], "adult.test blocked on B")
    smith_a.request("/")  # A's page: A's counts are flushed before it reads
    rows = week_rows(smith_b.request("/").body)  # and B's before B reads
    t.equal(rows, {WORDS["social-media"]: (5, 0), WORDS["adult"]: (2, 0)},
            "B's page: both nodes' counts, added up exactly")
    t.equal(week_rows(smith_a.request("/").body), rows, "A's page says the same")
    key = f"{PREFIX}hblocks:smith:{this_week()}"
    counts = redis.cli("HGETALL", key).split()
    t.equal(dict(zip(counts[::2], counts[1::2])), {"social-media": "5", "adult": "2"},
            f"{key}: a counter per category")
    ttl = int(redis.cli("TTL", key))
    t.check(0 < ttl <= 5 * 7 * 86400, "the week's counters expire within five weeks", ttl)
    t.check(not any(redis.cli("KEYS", f"*{x}*").strip()
                    for x in ("social.test", "adult.test", TABLET)),
            "no key holds a name or an address")
    return smith_a, smith_b


def check_new_device(t, a, b, redis, ports, smith_a, smith_b):
    mac = PRIVATE[0]
    t.equal(ask(a, "social.test", TRUSTED, *with_mac(mac)), [FORWARDED],
            "a private MAC from smith's CPE on A gets the household's profile")
    smith_a.request("/")  # flushed by A
    home = smith_b.request("/")
    t.equal(new_devices(home.body), [mac], "B lists the MAC seen on A")
    value = redis.cli("HGET", f"{PREFIX}newdev:smith", mac).strip()
    t.check(re.fullmatch(r"\d+ \d+", value), f"{PREFIX}newdev:smith holds '<first> <last>'",
            value)
    ttl = int(redis.cli("TTL", f"{PREFIX}newdev:smith"))
    t.check(0 < ttl <= 30 * 86400, "the household's new devices expire within 30 days", ttl)
    jones = sign_in(t, a, ports[1], "jones")
    ask(b, "open.test", TRUSTED, *with_mac(JONES_MAC, JONES_CPE))
    t.equal(new_devices(jones.request("/").body), [JONES_MAC],
            "jones sees its own new device and none of smith's")
    r = post_form(jones, "/new-device", {"mac": mac, "action": "add", "name": "mine"})
    t.check(r.status == 404, "jones cannot bind it", r)
    r = post_form(smith_b, "/new-device", {"mac": mac, "action": "attach", "device": "tablet"},
                  home)
    t.check(r.status == 303 and "notice=saved&s=" in r.headers.get("location", ""),
            "attached to the tablet on B: 'active everywhere after N s'", r)
    t.equal(ask(a, "social.test", TRUSTED, *with_mac(mac)), [BLOCK_V4],
            "in force on A when B said so: the MAC gets the tablet's profile")
    t.check(redis.cli("HGET", f"{PREFIX}newdev:smith", mac).strip().endswith(" dismissed"),
            "the MAC is marked settled in Redis")
    t.equal(new_devices(smith_a.request("/").body), [], "no longer listed, on A either")
    status, h, resp = api(b, "GET", "/v1/households/smith")
    t.check(mac in json.dumps(h.get("devices", {}).get("tablet", {})),
            "the tablet has the MAC", resp)


def main(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up, RedisServer() as redis:
        redis.cli("SET", "shelter:schema", "1")
        ports = [free_port(("127.0.0.1",)), free_port(("127.0.0.1",))]
        keys = os.path.join(redis.dir, "token.keys")
        with open(keys, "w") as f:
            f.write(KEYS)
        with t.shelterd(config(up, redis, ports[0], keys), files=FILES) as a, \
                t.shelterd(config(up, redis, ports[1], keys), files=FILES) as b:
            with t.case("setup"):
                setup(t, a)
            with t.case("counts"):
                browsers = check_counts(t, a, b, redis, ports)
            with t.case("new device"):
                check_new_device(t, a, b, redis, ports, *browsers)


if __name__ == "__main__":
    Suite("portal-activity-redis").main(main)
