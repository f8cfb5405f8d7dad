#!/usr/bin/env python3
"""Appeals and "Ask my parent" across a fleet: two shelterd nodes sharing one private
redis-server (subscribers.store: redis, docs/redis-schema.md "Cases") and one
web.token-keys-file. An appeal filed on node A and overturned through node B's admin API is in
force on both nodes within 2 s; a child's request made on node A and answered on node B lets
that household (only) through on node A within 2 s; a legal list's appeal is referred and
cannot be overturned from either node; an appeal sent from a household's device records the
household in its Redis record, node B shows it and lists the household's appeals, and a record
written before the field existed still reads. Along the way: node A's signed links and case
pages are read by node B.

shelterctl comes from $SHELTERCTL (ctest sets it), else beside shelterd in the build tree."""
import json
import os
import shutil
import tempfile
import time
import urllib.parse

from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, http_get, metric, parse_metrics
from redis_server import RedisServer
from test_appeals import (ADMIN_TOKEN, FORWARDED, LEGAL_URL, LISTS, ORG, Ports, answer, api,
                          appeal_form, ask, ask_csrf, block_page, blocked, case_link, case_page,
                          ctl, ctl_json, http, report_token, request_id, resolves, submit_appeal)

PASSWORD = "s3cret-for-appeal-tests"
PREFIX = "shelter:v1:"
KIDS, OTHERS = "127.0.0.2", "127.0.0.4"
# Two keys: the first signs, both verify (a rotation in progress).
TOKEN_KEYS = ("# id secret (hex)\n"
              "k2 " + "5a" * 32 + "\n"
              "k1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n")


def seed(redis):
    redis.pipe([
        ["SET", "shelter:schema", "1"],
        ["SET", PREFIX + "household:kids", json.dumps({"profile": "under-9"})],
        ["SET", PREFIX + "household:others", json.dumps({"profile": "under-9"})],
        ["HSET", PREFIX + "bindings", f"addr:{KIDS}/32", "kids", f"addr:{OTHERS}/32", "others"],
    ])


def config(up, redis, w, shared):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"store": "redis"},
        redis={"servers": [f"127.0.0.1:{redis.port}"], "password": PASSWORD,
               "lookup-timeout": "1s", "connect-timeout": "300ms", "command-timeout": "1s"},
        blocking={"appeal-url": f"http://127.0.0.1:{w.pub}/appeal"},
        web={"block-listen": [f"127.0.0.1:{w.web}"], "public-listen": [f"127.0.0.1:{w.pub}"],
             "organisation": ORG, "token-keys-file": os.path.join(shared, "token.keys")},
        cases={"referral-command": ["{dir}/refer.sh", "{dir}/referral.json"]},
        admin={"token-file": os.path.join(shared, "admin.tokens")})


def both_resolve(nodes, name, source="127.0.0.1"):
    """{node: seconds from now until name resolved there from source}, None past 2 s."""
    start = time.monotonic()
    took = {}
    for label, d, _ in nodes:
        left = max(0.0, 2.0 - (time.monotonic() - start)) + 0.01
        took[label] = (None if resolves(d, name, source, timeout=left) is None
                       else time.monotonic() - start)
    return took


def fmt(took):
    return ", ".join(f"{k}: {'never' if v is None else f'{v * 1000:.0f} ms'}"
                     for k, v in took.items())


def check_appeal_overturned(t, nodes):
    (_, a, wa), (_, b, wb) = nodes
    for label, d, _ in nodes:
        t.equal(answer(d, "mistake.test"), [BLOCK_V4], f"{label}: mistake.test is blocked")
    token = report_token(block_page(wa, "mistake.test"))
    t.check(token, "node A's block page has a signed report link")
    r = blocked(wb, token)
    t.check(r.status == 403 and "mistake.test" in r.body,
            "node B reads node A's token (the same web.token-keys-file)", r)
    source = "127.0.0.21"
    form = appeal_form(wa, f"?t={token}", source)
    t.check(form.field("url") == "mistake.test", "node A's appeal form is pre-filled", form)
    r = submit_appeal(wa, form, source, reporter="parent", why="A school's site")
    appeal_id, secret = case_link(r)
    t.check(r.status == 303 and appeal_id, "an appeal filed on node A", r)
    if not appeal_id:
        return
    status = case_page(wb, appeal_id, secret)
    t.check(status.status == 200 and "Waiting for review" in status.body,
            "node B shows node A's case page", status)
    p = ctl(t, b, "appeals", "list")
    t.check(p.returncode == 0 and appeal_id in p.stdout, "shelterctl on node B lists it", p.shown)
    reloads = {label: binding_reloads(d) for label, d, _ in nodes}
    p = ctl(t, b, "appeals", "decide", appeal_id, "overturn", "--reason", "listed by mistake")
    t.check(p.returncode == 0, "overturned through node B's admin API", p.shown)
    took = both_resolve(nodes, "mistake.test")
    t.check(all(v is not None for v in took.values()),
            f"the site resolves on both nodes within 2 s ({fmt(took)})")
    time.sleep(0.3)
    after = {label: binding_reloads(d) for label, d, _ in nodes}
    t.check(after == reloads,
            "the 'overrides' message makes the nodes read grants and allows, not every binding "
            "again (docs/redis-schema.md)",
            f"shelter_redis_binding_reloads_total before {reloads}, after {after}\n"
            f"node A's log:\n{a.log_tail(4)}")
    took = both_resolve(nodes, "mistake.test", KIDS)
    t.check(all(v is not None for v in took.values()), "...for a child's household as well")
    r = http(wa.pub, "/check.json?site=mistake.test")
    t.check('"verdict":"allowed"' in r.body, "node A's check.json says 'allowed'", r)
    status = case_page(wa, appeal_id, secret)
    t.check("Reviewed: the block was removed" in status.body,
            "node A's case page says the block was removed", status)
    again = ctl(t, a, "appeals", "decide", appeal_id, "uphold", "--reason", "second thoughts")
    t.check(again.returncode == 1 and "409" in again.stderr,
            "deciding it again on node A: 409", again.shown)


def check_ask_answered(t, nodes):
    (_, a, wa), (_, b, wb) = nodes
    page = block_page(wa, "adult.test", KIDS)
    csrf = ask_csrf(page)
    t.check(csrf and 'class="child"' in page.body,
            "node A shows the child's page with the ask form", page)
    r = ask(wa, "adult.test", KIDS, csrf)
    rid = request_id(r)
    t.check(r.status == 303 and rid, "the child asks on node A", r)
    if not rid:
        return
    listed, p = ctl_json(t, b, "requests", "list", "--household", "kids")
    t.check(rid in [q.get("id") for q in (listed or {}).get("requests", [])],
            "node B lists the request", p.shown)
    p = ctl(t, b, "requests", "answer", rid, "15m")
    t.check(p.returncode == 0, "answered on node B (15m)", p.shown)
    took = both_resolve(nodes, "adult.test", KIDS)
    t.check(all(v is not None for v in took.values()),
            f"the household resolves the site on both nodes within 2 s ({fmt(took)})")
    for label, d, _ in nodes:
        t.equal(answer(d, "adult.test", OTHERS), [BLOCK_V4],
                f"{label}: another household is still blocked")
    status = http(wb.web, f"/.shelter/ask?id={rid}", host="adult.test", source=KIDS)
    t.check(status.status == 200 and status.h1() == "You can use this site now",
            "node B's status page: 'You can use this site now'", status)


def check_appeal_legal(t, nodes):
    (_, a, wa), (_, b, wb) = nodes
    source = "127.0.0.23"
    form = appeal_form(wa, "?site=" + urllib.parse.quote(LEGAL_URL), source)
    r = submit_appeal(wa, form, source, url=LEGAL_URL, reporter="webmaster", why="my photo")
    appeal_id, _ = case_link(r)
    t.check(r.status == 303 and appeal_id, "a legal list's appeal filed on node A",
            f"{r}\nnode A's log:\n{a.log_tail(6)}")
    if not appeal_id:
        return
    _, full, r = api(b, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("status") == "referred" and full.get("route") == "authority",
            "node B sees it referred to the authority", r)
    path = a.path("referral.json")
    took = wait_file(path)
    t.check(took is not None, "node A's referral command got it", a.log_tail(4))
    for label, d, _ in nodes:
        p = ctl(t, d, "appeals", "decide", appeal_id, "overturn", "--reason", "fine")
        t.check(p.returncode == 1 and ("409" in p.stderr or "400" in p.stderr),
                f"an overturn through {label}: refused", p.shown)
    for label, _, w in nodes:
        r = http(w.pub, "/check.json?site=legalpages.test")
        t.check('"verdict":"restricted"' in r.body, f"{label}: still restricted", r)


def check_appeal_household(t, nodes, redis):
    (_, a, wa), (_, b, wb) = nodes
    form = appeal_form(wa, "?site=upheld.test", KIDS)
    r = submit_appeal(wa, form, KIDS, reporter="child", why="for school")
    appeal_id, _ = case_link(r)
    t.check(r.status == 303 and appeal_id, "a child of kids appeals on node A", r)
    if not appeal_id:
        return
    text = redis.cli("GET", PREFIX + "appeal:" + appeal_id)
    stored = json.loads(text) if text.strip() else {}
    t.check(stored.get("household") == "kids", "the Redis record holds the household", text)
    _, full, r = api(b, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("household") == "kids", "node B shows it", r)
    _, listed, r = api(b, "GET", "/v1/appeals?status=all&household=kids")
    t.check(listed and [x["id"] for x in listed["appeals"]] == [appeal_id],
            "node B lists kids's appeals: this one only", r)
    _, listed, r = api(b, "GET", "/v1/appeals?status=all&household=others")
    t.check(listed is not None and listed["appeals"] == [], "...and none of others", r)
    old = dict(stored, id="OLDREC01")
    del old["household"]
    redis.pipe([["SET", PREFIX + "appeal:OLDREC01", json.dumps(old)],
                ["ZADD", PREFIX + "appeals", str(old["created"]), "OLDREC01"]])
    status, full, r = api(b, "GET", "/v1/appeals/OLDREC01")
    t.check(status == 200 and full.get("household") == "",
            "a record written before the field reads, with no household", r)
    _, listed, r = api(a, "GET", "/v1/appeals?status=all")
    t.check(listed and "OLDREC01" in [x["id"] for x in listed["appeals"]],
            "...and is listed", r)


def binding_reloads(d):
    return metric(parse_metrics(http_get(d.admin_port, "/metrics")[2]),
                  "shelter_redis_binding_reloads_total")


def wait_file(path, timeout=5.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if os.path.exists(path):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def body(t):
    shared = tempfile.mkdtemp(prefix="shelter-appeals-fleet-")
    up = FakeUpstream(default=Rule(a=(FORWARDED,))).start()
    redis = RedisServer(password=PASSWORD).start()
    try:
        for name, text in (("token.keys", TOKEN_KEYS), ("admin.tokens", f"tester {ADMIN_TOKEN}\n")):
            with open(os.path.join(shared, name), "w") as f:
                f.write(text)
        seed(redis)
        wa, wb = Ports(), Ports()
        files = {"refer.sh": "#!/bin/sh\ncat > \"$1.part\" && mv \"$1.part\" \"$1\"\n"}
        node_a, node_b = t.shelterd(config(up, redis, wa, shared), files), \
            t.shelterd(config(up, redis, wb, shared), files)
        for n in (node_a, node_b):
            os.chmod(n.d.path("refer.sh"), 0o755)
        with node_a as a, node_b as b:
            nodes = [("node A", a, wa), ("node B", b, wb)]
            for label, d, _ in nodes:
                t.check(d.wait_for("redis: 2 bindings read", 0, 5.0) is not None,
                        f"{label}: bindings read from Redis", d.log_tail(5))
            t.run_cases([("appeal across nodes", check_appeal_overturned),
                         ("ask across nodes", check_ask_answered),
                         ("legal appeal", check_appeal_legal)], nodes)
            t.run_cases([("appeal's household", check_appeal_household)], nodes, redis)
    finally:
        redis.stop()
        up.stop()
        shutil.rmtree(shared, ignore_errors=True)


if __name__ == "__main__":
    Suite("appeals redis").main(body)
