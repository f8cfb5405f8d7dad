#!/usr/bin/env python3
"""The Redis store in a fleet's set-up, through the real shelterd: a primary, a replica and a
Sentinel (shelterd asks the Sentinel for the primary, follows a failover, and can read from the
replica), and Redis over TLS with a test CA (a wrong CA is refused)."""
import json
import os
import tempfile
import time

from fake_upstream import FakeUpstream
from harness import BLOCK_V4, Suite, base_config, dig, wait_until
from redis_server import RedisServer, Sentinel, TestCertificates

FORWARDED = "198.51.100.7"
SMITH = "127.0.0.2"
PREFIX = "shelter:v1:"
LISTS = [{"id": "social", "category": "social-media", "entries": ["social.test"]}]


def set_profile(redis, profile, publish=True):
    cmds = [["SET", PREFIX + "household:smith", json.dumps({"profile": profile})]]
    if publish:
        cmds = [["MULTI"], *cmds, ["PUBLISH", PREFIX + "changes", "household smith"], ["EXEC"]]
    redis.pipe(cmds)


def try_set_profile(redis, profile):
    """set_profile, but False while a failover still cuts connections."""
    try:
        set_profile(redis, profile)
        return True
    except RuntimeError:
        return False


def seed(redis):
    set_profile(redis, "9-12", publish=False)
    redis.pipe([["HSET", PREFIX + "bindings", f"addr:{SMITH}/32", "smith"]])


def social(d):
    r = dig(d.port, "social.test", "A", "-b", SMITH)
    return r.data("A") or [r.status]


def config(up, redis_section, threads=2):
    return base_config(up.addr, lists=LISTS, redis=redis_section, threads=threads,
                       subscribers={"default-profile": "adult", "store": "redis"})


def sentinel_subscriptions(sentinel):
    """Connections on the sentinel in SUBSCRIBE mode (CLIENT LIST's sub= above 0)."""
    lines = sentinel.cli("CLIENT", "LIST").splitlines()
    return sum(1 for line in lines if " sub=" in line and " sub=0 " not in line)


def check_sentinel(t, up):
    primary = RedisServer().start()
    replica = RedisServer(extra=["--replicaof", "127.0.0.1", str(primary.port)]).start()
    sentinel = Sentinel(primary).start()
    try:
        seed(primary)
        wait_until(lambda: replica.cli("GET", PREFIX + "household:smith", check=False).strip(), 5)
        # Sentinel learns of replicas, and whether their link is up, from INFO every 10 s;
        # wait until it knows this one as healthy.
        wait_until(lambda: "master-link-status\nok" in sentinel.cli("SENTINEL", "REPLICAS",
                                                                      "shelter", check=False), 25)
        section = {"sentinel": {"servers": [f"127.0.0.1:{sentinel.port}"], "master-name": "shelter"},
                   "lookup-timeout": "500ms"}
        replica_section = dict(section, **{"prefer-replica": True})
        # Four workers: each has a Redis connection, and so do the directory (two), the writer
        # and the case store (two); every one of them follows +switch-master.
        with t.shelterd(config(up, section, threads=4)) as d, \
                t.shelterd(config(up, replica_section)) as r:
            t.check(d.wait_for("redis: 1 bindings read", 0, 10) is not None,
                    "Sentinel: shelterd found the primary and read the bindings", d.log_tail(6))
            t.check(f"connected to 127.0.0.1:{primary.port}" in d.log(),
                    "Sentinel: connected to the primary", d.log_tail(6))
            t.equal(social(d), [BLOCK_V4], "Sentinel: smith's profile (9-12) from the primary")
            t.check(r.wait_for(f"connected to 127.0.0.1:{replica.port}", 0, 10) is not None,
                    "prefer-replica: reads go to the replica", r.log_tail(6))
            t.equal(social(r), [BLOCK_V4], "prefer-replica: smith's profile read from the replica")
            t.equal(sentinel_subscriptions(sentinel), 2,
                    "one +switch-master subscription per shelterd on the sentinel, not one per "
                    "connection (4 + 5 and 2 + 5 before)")

            sentinel.cli("SENTINEL", "FAILOVER", "shelter")
            promoted = wait_until(lambda: "role:master" in replica.cli("INFO", "replication", check=False),
                                  15)
            t.check(promoted is not None, "the replica was promoted by Sentinel")
            # Writes go to the new primary; shelterd must have followed it to see the change.
            # Sentinel announces the new primary (+switch-master) only once it has finished the
            # failover, some seconds later; shelterd moves the moment it hears it.
            took = wait_until(lambda: try_set_profile(replica, "adult") and
                              social(d) == [FORWARDED], 30)
            t.check(took is not None,
                    f"after the failover shelterd follows the new primary "
                    f"({'never' if took is None else f'{took:.1f} s'})", d.log_tail(8))
            t.check("redis changes: connection" in d.log() and "the primary changed" in d.log(),
                    "the changes subscription moves to the new primary too", d.log_tail(8))
            # Every connection moved (a replica would still answer reads, so the log says it):
            # the four workers', the directory's two, the writer's, the case store's two.
            moved = wait_until(lambda: d.log().count(f"connected to 127.0.0.1:{replica.port}") >= 9,
                               10, step=0.1)
            t.check(moved is not None, "every connection of the 4-worker shelterd is on the new "
                    f"primary ({d.log().count(f'connected to 127.0.0.1:{replica.port}')} of 9)",
                    d.log_tail(12))
            t.equal(sentinel_subscriptions(sentinel), 2,
                    "still one subscription per shelterd after the failover")
    finally:
        sentinel.stop()
        replica.stop()
        primary.stop()


def check_tls(t, up):
    certs_dir = tempfile.mkdtemp(prefix="shelter-tls-")
    certs = TestCertificates(certs_dir)
    redis = RedisServer(tls=certs).start()
    try:
        seed(redis)
        section = {"servers": [f"127.0.0.1:{redis.port}"],
                   "tls": {"enabled": True, "ca-file": certs.ca, "server-name": "localhost"}}
        with t.shelterd(config(up, section)) as d:
            t.check(d.wait_for("redis: 1 bindings read", 0, 10) is not None,
                    "TLS: connected with the CA and read the bindings", d.log_tail(6))
            t.equal(social(d), [BLOCK_V4], "TLS: smith's profile read over TLS")
        wrong = dict(section, tls={"enabled": True, "ca-file": os.path.join(certs_dir, "server.crt"),
                                   "server-name": "localhost"})
        with t.shelterd(config(up, wrong)) as d:
            t.check(d.wait_for("certificate verify failed|verify", 0, 10) is not None,
                    "TLS: a server the CA does not vouch for is refused", d.log_tail(4))
            t.equal(social(d), [FORWARDED], "TLS refused: the default profile applies")
    finally:
        redis.stop()


def body(t):
    up = FakeUpstream().start()
    up.add("social.test", a=(FORWARDED,), ttl=300)
    try:
        check_sentinel(t, up)
        check_tls(t, up)
    finally:
        up.stop()


if __name__ == "__main__":
    Suite("redis fleet").main(body)
