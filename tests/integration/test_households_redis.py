#!/usr/bin/env python3
"""The admin API's households with the Redis store: the checks of test_households.py on node A
of two shelterd nodes sharing one redis-server, then what only a fleet has: a change made on A
in force on B within a second (measured), the keys written as docs/redis-schema.md says
(document, bindings hash, index, version), a household written by hand (no index entry) still
shown, concurrent patches of one household both kept, and Redis down: 503, nothing half-done."""
import json
import os
import threading
import time

import subprocess

from clients import ADMIN_TOKEN, api, shelterctl_path
from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, wait_until
from redis_server import RedisServer
from harness import free_port
from test_households import (CASES, FORWARDED, JONES, LISTS, SELF_TEST, SMITH, answer,
                             in_force)
from test_portal import Browser, first_access, post_form, sign_in

PREFIX = "shelter:v1:"


def seed(redis):
    redis.pipe([
        ["SET", "shelter:schema", "1"],
        ["SET", PREFIX + "household:jones", json.dumps({"profile": "15-17"})],
        ["HSET", PREFIX + "bindings", f"addr:{JONES}/32", "jones"],
        ["ZADD", PREFIX + "households", "0", "jones"],
        # Written by hand without its index entry: shown by id, not listed.
        ["SET", PREFIX + "household:manual", json.dumps({"profile": "15-17"})],
    ])


def config(up, redis, portal_port, keys):
    return base_config(
        up.addr, lists=LISTS, subscribers={"store": "redis", "default-profile": "adult"},
        redis={"servers": [f"127.0.0.1:{redis.port}"], "lookup-timeout": "1s",
               "connect-timeout": "300ms", "command-timeout": "1s"},
        admin={"token-file": "{dir}/admin.tokens", "self-test": SELF_TEST},
        portal={"listen": [f"127.0.0.1:{portal_port}"]},
        web={"token-keys-file": keys},
        **{"list-updates": {"state-directory": "{dir}/state"}})


FILES = {"admin.tokens": f"operator {ADMIN_TOKEN}\n"}
# One signing key for the fleet: a session made on one node is good on every node.
KEYS = "fleet " + "5a" * 32 + "\n"


def check_keys(t, redis):
    doc = json.loads(redis.cli("GET", PREFIX + "household:smith"))
    t.check(doc.get("addresses") == [f"{SMITH}/32"] and "id" not in doc,
            "the document holds the household's fields (bindings too)", doc)
    t.equal(redis.cli("HGET", PREFIX + "bindings", f"addr:{SMITH}/32").strip(), "smith",
            "the bindings hash names smith for its address")
    index = redis.cli("ZRANGE", PREFIX + "households", "0", "-1").split()
    t.check("smith" in index and "page-1" in index and "page-0" not in index,
            "the index lists the households written (page-0 was deleted)", index)
    t.check(int(redis.cli("GET", PREFIX + "version")) >= 10, "the version counts the edits",
            redis.cli("GET", PREFIX + "version"))
    t.equal(redis.cli("HGET", PREFIX + "bindings", "addr:127.0.0.9/32").strip(), "",
            "the removed laptop's address is gone from the bindings hash")


def check_fleet(t, a, b):
    body = {"id": "fleet", "profile": "9-12", "addresses": ["127.0.0.30/32"]}
    in_force(t, b, "social.test", "127.0.0.30", [FORWARDED], "before: B gives the default")
    start = time.monotonic()
    status, _, resp = api(a, "POST", "/v1/households", body)
    t.check(status == 201, "created on A", resp)
    ok = wait_until(lambda: answer(b, "social.test", "127.0.0.30") == [BLOCK_V4], 1.0)
    took = time.monotonic() - start
    t.check(ok, f"in force on B within 1 s (took {took * 1000:.0f} ms)")
    print(f"  fleet: a change on A in force on B after {took * 1000:.0f} ms", flush=True)
    status, r, resp = api(b, "GET", "/v1/households/fleet")
    t.check(status == 200 and r["profile"] == "9-12", "B's admin API shows it", resp)


def check_hand_written(t, a):
    status, r, resp = api(a, "GET", "/v1/households/manual")
    t.check(status == 200 and r["profile"] == "15-17",
            "a household written by hand without an index entry is shown by id", resp)
    status, r, resp = api(a, "PATCH", "/v1/households/manual",
                          {"addresses": ["127.0.0.40/32"], "profile": "13-14"})
    t.check(status == 200 and r["household"]["profile"] == "13-14",
            "and can be patched (which indexes it)", resp)
    status, r, resp = api(a, "GET", "/v1/households?limit=500")
    t.check("manual" in [h["id"] for h in r["households"]], "listed from then on", resp)
    in_force(t, a, "social.test", "127.0.0.40", [FORWARDED], "its new binding is in force")


def check_concurrent(t, a):
    api(a, "POST", "/v1/households", {"id": "race", "profile": "adult"})
    results = []

    def patch(i):
        results.append(api(a, "PATCH", "/v1/households/race",
                           {"devices": {f"d{i}": {"profile": "under-9"}}})[0])
    threads = [threading.Thread(target=patch, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    status, r, resp = api(a, "GET", "/v1/households/race")
    t.check(results == [200] * 8 and sorted(r.get("devices", {})) == [f"d{i}" for i in range(8)],
            "8 concurrent patches: every device kept", (results, resp))


def check_portal(t, a, b, redis, ports):
    """Accounts live in Redis: a parent who set a password through node A signs in on node B,
    and a change made there is in force on A."""
    status, r, resp = api(a, "POST", "/v1/households/smith/access-code")
    t.check(status == 200, "a code issued on A", resp)
    pa, pb = Browser(ports[0]), Browser(ports[1])
    resp = first_access(pa, "smith", r["code"], "correct horse battery")
    t.check(resp.status == 303, "first access on A", resp)
    stored = json.loads(redis.cli("GET", PREFIX + "account:smith"))
    t.check(stored.get("password", "").startswith("$scrypt$") and "access-code" not in stored,
            "the account is in Redis: a scrypt hash, the code used up", stored)
    t.check(pb.request("/").status == 303, "B has no session yet")
    pb.cookies = dict(pa.cookies)
    t.check(pb.request("/").status == 200, "A's session is good on B (shared keys)")
    resp = sign_in(Browser(ports[1]), "smith", "correct horse battery")
    t.check(resp.status == 303, "the password set on A signs in on B", resp)
    status, doc, _ = api(a, "GET", "/v1/households/smith")
    api(a, "PUT", "/v1/households/smith/devices/tablet", {"addresses": ["127.0.0.50/32"]})
    in_force(t, a, "social.test", "127.0.0.50", [BLOCK_V4] if doc.get("profile") == "9-12"
             else [FORWARDED], "the tablet has the household's profile on A")
    resp = post_form(pb, "/profile", {"device": "tablet", "profile": "9-12"})
    loc = resp.headers.get("location", "")
    t.check(resp.status == 303 and loc.startswith("/?notice=saved&s="),
            "a parent's change on B: 'active everywhere after N s' once both nodes applied it",
            resp)
    # The page said both nodes filter with it: A answers with it at once.
    t.equal(answer(a, "social.test", "127.0.0.50"), [BLOCK_V4], "in force on A when B said so")
    nodes = redis.cli("HGETALL", PREFIX + "nodes").splitlines()
    t.check(len(nodes) == 4 and nodes[1].split()[0] == nodes[3].split()[0],
            "both nodes report the version they applied", nodes)
    print(f"  portal: {loc}", flush=True)


def check_down(t, a, redis):
    redis.kill()
    status, r, resp = api(a, "POST", "/v1/households", {"id": "while-down"})
    t.check(status == 503 and "redis" in r["error"], "Redis down: 503 saying so", resp)
    status, r, resp = api(a, "GET", "/v1/households/smith")
    t.equal(status, 503, "reads too: 503")


def check_self_test_fleet(t, a, b):
    """shelterctl self-test --node, once per node: each node's signed report, in turn."""
    env = {k: v for k, v in os.environ.items() if k not in ("SHELTER_ADMIN", "SHELTER_ADMIN_TOKEN")}
    env["SHELTER_ADMIN_TOKEN"] = ADMIN_TOKEN

    def run(*nodes, json_out=False):
        cmd = [shelterctl_path(t), "self-test"]
        for port in nodes:
            cmd += ["--node", f"http://127.0.0.1:{port}"]
        cmd += ["--json"] if json_out else []
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env,
                           stdin=subprocess.DEVNULL)
        p.shown = f"$ {' '.join(cmd[1:])}\n[rc={p.returncode}]\n{p.stdout}{p.stderr}"
        return p

    # B has not read jones's household yet (no query from jones reached it): the self-test reads
    # it from the store, as jones's first query would, rather than give the default profile.
    status, preview, resp = api(b, "GET", f"/v1/explain?client={JONES}&site=adult.test")
    t.check(status == 200 and preview["verdict"] == "block" and preview["household_found"],
            "explain on B, which has not read jones yet: the household read from Redis", resp)
    p = run(a.admin_port, b.admin_port)
    t.check(p.returncode == 0 and p.stdout.count("PASSED") == 2
            and p.stdout.index(f":{a.admin_port}") < p.stdout.index(f":{b.admin_port}"),
            "self-test --node A --node B: both nodes' reports, in the order given, both pass",
            p.shown)
    p = run(a.admin_port, b.admin_port, json_out=True)
    reports = json.loads(p.stdout) if p.returncode == 0 else []
    t.check(len(reports) == 2 and all(r["passed"] and r["signature"] for r in reports),
            "--json: an array of the two nodes' signed reports", p.shown)
    for i, report in enumerate(reports):
        status, r, resp = api(b, "POST", "/v1/self-test/verify", report)
        t.check(status == 200 and r["valid"] is True,
                f"report {i + 1} verifies on node B (one key for the fleet)", resp)
    closed = free_port(("127.0.0.1",))
    p = run(closed, a.admin_port)
    t.check(p.returncode == 3 and "cannot connect" in p.stderr and "PASSED" in p.stdout,
            "a node that cannot be reached: said, the next node still tested, exit 3", p.shown)


def main(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up, RedisServer() as redis:
        seed(redis)
        ports = [free_port(("127.0.0.1",)), free_port(("127.0.0.1",))]
        keys = os.path.join(redis.dir, "token.keys")
        with open(keys, "w") as f:
            f.write(KEYS)
        with t.shelterd(config(up, redis, ports[0], keys), files=FILES) as a, \
                t.shelterd(config(up, redis, ports[1], keys), files=FILES) as b:
            t.run_cases(CASES, a)
            t.run_cases([("redis keys", check_keys)], redis)
            t.run_cases([("fleet", check_fleet)], a, b)
            t.run_cases([("self-test, every node", check_self_test_fleet)], a, b)
            t.run_cases([("hand-written", check_hand_written), ("concurrent", check_concurrent)],
                        a)
            t.run_cases([("portal", check_portal)], a, b, redis, ports)
            t.run_cases([("redis down", check_down)], a, redis)


if __name__ == "__main__":
    Suite("households-redis").main(main)
