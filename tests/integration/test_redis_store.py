#!/usr/bin/env python3
"""Households in Redis, shared by two shelterd nodes (docs/redis-schema.md): a private
redis-server with a password (AUTH), bindings and household documents read by both nodes, a
change published once and in force on both within a second (measured), binding changes, Redis
killed mid-run (service goes on from the cache and the default profile; legal lists still
apply) and restarted (the nodes reconnect, resubscribe and read everything again), and a change
whose message a node missed."""
import json
import socket
import threading
import time

import dnswire as w

from fake_upstream import FakeUpstream
from harness import (BLOCK_V4, Suite, base_config, dig, http_get, metric, parse_metrics,
                     wait_until)
from redis_server import RedisServer

FORWARDED = "198.51.100.7"
PASSWORD = "s3cret-for-tests"
SMITH, JONES, LATER, RARE, CROWD = "127.0.0.2", "127.0.0.3", "127.0.0.9", "127.0.0.6", "127.0.0.7"
PREFIX = "shelter:v1:"

LISTS = [
    {"id": "adult", "category": "adult", "entries": ["adult.test"]},
    {"id": "sexed", "category": "sex-education", "entries": ["sexed.test"]},
    {"id": "bets", "category": "gambling", "entries": ["casino.test"]},
    {"id": "social", "category": "social-media", "entries": ["social.test"]},
    {"id": "iwf", "category": "csam", "legal": True, "authority": "Hotline",
     "entries": ["csam.test"]},
]
NAMES = ["adult.test", "sexed.test", "casino.test", "social.test", "csam.test"]


def seed(redis):
    redis.pipe([
        ["SET", "shelter:schema", "1"],
        ["SET", PREFIX + "household:smith",
         json.dumps({"profile": "9-12", "devices": {"tablet": {"profile": "under-9"}}})],
        ["SET", PREFIX + "household:jones", json.dumps({"profile": "adult"})],
        ["SET", PREFIX + "household:rare", json.dumps({"profile": "adult"})],
        ["SET", PREFIX + "household:crowd", json.dumps({"profile": "adult"})],
        ["HSET", PREFIX + "bindings", f"addr:{SMITH}/32", "smith", f"addr:{JONES}/32", "jones",
         "mac:02:00:5e:10:00:01", "smith/tablet", f"addr:{RARE}/32", "rare",
         f"addr:{CROWD}/32", "crowd"],
    ])


def config(up, redis):
    return base_config(up.addr, lists=LISTS, subscribers={
        "default-profile": "public-wifi", "store": "redis",
        "trust": {"mac-from": ["127.0.0.1/32"]},
    }, redis={"servers": [f"127.0.0.1:{redis.port}"], "password": PASSWORD,
              "lookup-timeout": "1s", "connect-timeout": "300ms", "command-timeout": "1s"})


def answer(d, name, source, *opts):
    r = dig(d.port, name, "A", "-b", source, *opts)
    return r.data("A") or [r.status]


def check_reads(t, nodes):
    for label, d in nodes:
        t.equal(answer(d, "social.test", SMITH), [BLOCK_V4], f"{label}: smith by address (9-12)")
        # Node B reads jones first over TCP: the fetch path of the TCP listener.
        tcp = ("+tcp",) if label == "node B" else ()
        t.equal(answer(d, "adult.test", JONES, *tcp), [FORWARDED],
                f"{label}: jones (adult preset){' over TCP' if tcp else ''}")
        t.equal(answer(d, "sexed.test", "127.0.0.1", "+ednsopt=65001:02005e100001"),
                [BLOCK_V4], f"{label}: smith's tablet by MAC (under-9)")
        t.equal(answer(d, "casino.test", LATER), [BLOCK_V4],
                f"{label}: an unbound client gets the default (public-wifi)")


def check_propagation(t, redis, nodes):
    redis.pipe([["MULTI"],
                ["SET", PREFIX + "household:smith", json.dumps({"profile": "adult"})],
                ["PUBLISH", PREFIX + "changes", "household smith"], ["EXEC"]])
    for label, d in nodes:
        took = wait_until(lambda: answer(d, "social.test", SMITH) == [FORWARDED], 3.0)
        t.check(took is not None and took < 1.0,
                f"{label}: a profile change is in force within 1 s (took "
                f"{'never' if took is None else f'{took * 1000:.0f} ms'})")
    redis.pipe([["MULTI"], ["HSET", PREFIX + "bindings", f"addr:{LATER}/32", "jones"],
                ["PUBLISH", PREFIX + "changes", f"binding addr:{LATER}/32"], ["EXEC"]])
    for label, d in nodes:
        took = wait_until(lambda: answer(d, "casino.test", LATER) == [FORWARDED], 3.0)
        t.check(took is not None and took < 1.0, f"{label}: a new binding is in force within 1 s")
    redis.pipe([["MULTI"], ["HDEL", PREFIX + "bindings", f"addr:{LATER}/32"],
                ["PUBLISH", PREFIX + "changes", f"binding addr:{LATER}/32"], ["EXEC"]])
    for label, d in nodes:
        took = wait_until(lambda: answer(d, "casino.test", LATER) == [BLOCK_V4], 3.0)
        t.check(took is not None, f"{label}: a deleted binding is gone")


def check_reads_coalesced(t, redis, nodes):
    """Redis slow, and a burst of queries from one household that is not in memory: they wait
    for one read per worker thread instead of sending one each."""
    d = nodes[0][1]

    def reads():
        m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
        return (metric(m, "shelter_redis_households_fetched_total") +
                metric(m, "shelter_redis_fetch_failures_total"))

    before = reads()
    sleeper = threading.Thread(target=redis.cli, args=("DEBUG", "SLEEP", "0.2"))
    sleeper.start()
    time.sleep(0.05)  # redis-cli has started and Redis sleeps
    sockets = []
    for i in range(16):  # a burst, microseconds apart, each from its own source port
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((CROWD, 0))
        s.settimeout(2.0)
        s.sendto(w.make_query("casino.test", mid=i + 1), ("127.0.0.1", d.port))
        sockets.append(s)
    answered = 0
    for s in sockets:
        try:
            reply = w.parse(s.recv(4096))
            answered += any(rr.rdata == bytes([198, 51, 100, 7]) for rr in reply.answer)
        except (socket.timeout, w.WireError):
            pass
        s.close()
    sleeper.join()
    t.check(answered == 16, "a burst of 16 queries from a household not in memory, Redis slow: "
            f"all answered with its profile ({answered})")
    t.check(reads() - before <= 2,
            f"...after one read per worker thread, not one per query ({reads() - before:.0f})")


def check_redis_down(t, redis, nodes):
    redis.kill()
    d = nodes[0][1]
    started = time.monotonic()
    t.equal(answer(d, "social.test", SMITH), [FORWARDED],
            "Redis down: a cached household keeps its profile")
    t.equal(answer(d, "csam.test", SMITH), [BLOCK_V4], "Redis down: legal lists still apply")
    t.equal(answer(d, "casino.test", LATER), [BLOCK_V4], "Redis down: unbound -> default")
    t.equal(answer(d, "casino.test", RARE), [BLOCK_V4],
            "Redis down: a household not in memory gets the default at once")
    t.check(time.monotonic() - started < 1.5, "Redis down: answers stay fast",
            f"{time.monotonic() - started:.2f}s for three queries")
    _, _, body = http_get(d.admin_port, "/metrics")
    took = wait_until(lambda: metric(parse_metrics(http_get(d.admin_port, "/metrics")[2]),
                                     "shelter_redis_subscribed") == 0, 3.0)
    t.check(took is not None, "Redis down: shelter_redis_subscribed drops to 0", body[-600:])


def node_metric(d, name, **labels):
    return metric(parse_metrics(http_get(d.admin_port, "/metrics")[2]), name, **labels)


def check_redis_back(t, redis, nodes):
    redis.start()  # the same data: the append-only file survived the kill
    for label, d in nodes:
        took = wait_until(lambda: node_metric(d, "shelter_redis_subscribed") == 1 and
                          node_metric(d, "shelter_redis_binding_reloads_total") >= 2, 10.0)
        t.check(took is not None, f"{label}: reconnected, resubscribed, bindings read again",
                d.log_tail(6))
        t.equal(answer(d, "social.test", SMITH), [FORWARDED], f"{label}: smith as before")


def check_missed_messages(t, redis, nodes):
    # A change whose message a node missed (it was away): written without PUBLISH, then every
    # connection is cut. On resubscribing, the nodes drop their caches and read again.
    redis.cli("SET", PREFIX + "household:smith", json.dumps({"profile": "9-12"}))
    redis.cli("CLIENT", "KILL", "TYPE", "pubsub")
    redis.cli("CLIENT", "KILL", "TYPE", "normal")
    for label, d in nodes:
        took = wait_until(lambda: answer(d, "social.test", SMITH) == [BLOCK_V4], 10.0)
        t.check(took is not None,
                f"{label}: after a reconnection the cache is dropped and households read again "
                f"({'never' if took is None else f'{took:.2f} s'})", d.log_tail(8))
    m = parse_metrics(http_get(nodes[0][1].admin_port, "/metrics")[2])
    t.check(metric(m, "shelter_redis_binding_reloads_total") >= 3 and
            metric(m, "shelter_redis_households_fetched_total") >= 2 and
            metric(m, "shelter_redis_fetch_failures_total") >= 1 and
            metric(m, "shelter_household_lookups_total", result="hit") >= 1 and
            metric(m, "shelter_household_lookups_total", result="fallback") >= 1 and
            metric(m, "shelter_redis_invalidations_total") >= 3,
            "the store's metrics count reads, failures, reconnections and invalidations",
            "\n".join(l for l in http_get(nodes[0][1].admin_port, "/metrics")[2].splitlines()
                      if "redis" in l or "household" in l))


def check_schema_version(t, redis, nodes):
    redis.pipe([["MULTI"], ["SET", "shelter:schema", "2"],
                ["PUBLISH", PREFIX + "changes", "all"], ["EXEC"]])
    for label, d in nodes:
        took = wait_until(lambda: answer(d, "social.test", SMITH) == [FORWARDED], 5.0)
        t.check(took is not None and "schema version '2'" in d.log(),
                f"{label}: data of an unknown schema version is refused whole (default profile)",
                d.log_tail(4))


def body(t):
    up = FakeUpstream().start()
    for name in NAMES:
        up.add(name, a=(FORWARDED,), ttl=300)
    redis = RedisServer(password=PASSWORD, persist=True).start()
    try:
        seed(redis)
        cfg = config(up, redis)
        with t.shelterd(cfg) as a, t.shelterd(cfg) as b:
            nodes = [("node A", a), ("node B", b)]
            for label, d in nodes:
                t.check(d.wait_for("redis: 5 bindings read", 0, 5.0) is not None,
                        f"{label}: bindings read from Redis at start", d.log_tail(5))
            check_reads(t, nodes)
            check_propagation(t, redis, nodes)
            check_reads_coalesced(t, redis, nodes)
            check_redis_down(t, redis, nodes)
            check_redis_back(t, redis, nodes)
            check_missed_messages(t, redis, nodes)
            check_schema_version(t, redis, nodes)
        with t.shelterd(merge_password(cfg, "wrong")) as d:
            t.check(d.wait_for("WRONGPASS|invalid password|NOAUTH|AUTH", 0, 5.0) is not None,
                    "a wrong password is reported", d.log_tail(5))
            t.equal(answer(d, "social.test", SMITH), [FORWARDED],
                    "without Redis every client gets the default profile (public-wifi)")
    finally:
        redis.stop()
        up.stop()


def merge_password(cfg, password):
    out = json.loads(json.dumps(cfg))
    out["redis"]["password"] = password
    return out


if __name__ == "__main__":
    Suite("redis store").main(body)
