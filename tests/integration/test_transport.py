#!/usr/bin/env python3
"""Transport: truncation and TCP fallback, pipelined and fragmented TCP, the TCP idle timeout,
upstream TC handled by retrying upstream over TCP, spoofed upstream replies ignored, and
dns.max-tcp-connections as one limit for the whole process (two worker threads)."""
import socket
import time

import dnswire as w
from fake_upstream import BIG_TXT, FakeUpstream
from harness import (Suite, base_config, dig, http_get, kdig, metric, parse_metrics, tcp_connect,
                     tcp_frame, tcp_read_message, udp_exchange, wait_until)

PIPELINED = [("slow.example.test", "198.51.100.40")] + [
    (f"p{i}.example.test", f"198.51.100.{30 + i}") for i in range(5)]
IDLE_TIMEOUT = 1.0
MAX_TCP = 4  # dns.max-tcp-connections with threads: 2
EXTRA_TCP = 12  # connections opened beyond it: enough that each worker gets MAX_TCP or more


def zone(up):
    up.add("big.example.test", big=True)
    up.add("medium.example.test", txt=BIG_TXT[:3])  # ~650 bytes: over 512, under 1232
    up.add("tc.example.test", a=["198.51.100.3"], tc=True)
    up.add("spoof.example.test", a=["198.51.100.77"], spoof=True)
    up.add("slow.example.test", a=["198.51.100.40"], delay_ms=150)  # under the 300 ms timeout
    for name, addr in PIPELINED[1:]:
        up.add(name, a=[addr])


def check_truncation(t, d, up):
    r = dig(d.port, "big.example.test", "TXT")
    t.check(r.retried_tcp and r.transport == "TCP" and len(r.data("TXT")) == len(BIG_TXT),
            "big answer: dig sees TC over UDP, retries over TCP and gets all 10 TXT", r)
    r = kdig(d.port, "big.example.test", "TXT", "+tcp")
    t.equal(len(r.data("TXT")), len(BIG_TXT), "kdig +tcp gets the big answer", r)
    # (name, dig options, truncated?)
    for name, opts, tc in (("medium.example.test", [], False),
                           ("medium.example.test", ["+noedns"], True),
                           ("medium.example.test", ["+bufsize=512"], True),
                           ("big.example.test", [], True),
                           ("big.example.test", ["+bufsize=4096"], True)):  # udp-payload-size 1232
        r = dig(d.port, name, "TXT", "+ignore", *opts)
        ok = r.status == "NOERROR" and r.question == [name + "."] and ("tc" in r.flags) == tc
        if not tc:
            ok = ok and len(r.data("TXT")) == 3
        t.check(ok, f"{name} over UDP {' '.join(opts) or '(EDNS 1232)'}: TC={int(tc)}", r)


def check_upstream_tc(t, d, up):
    r = dig(d.port, "tc.example.test")
    t.check(r.data("A") == ["198.51.100.3"] and r.transport == "UDP" and not r.retried_tcp,
            "upstream TC: client gets the full answer over UDP", r)
    udp, tcp = up.count("tc.example.test", "A", "udp"), up.count("tc.example.test", "A", "tcp")
    t.check(udp >= 1 and tcp == 1, "shelterd retried upstream over TCP",
            f"upstream saw udp={udp} tcp={tcp}")


def check_spoof(t, d, up):
    for i in range(2):
        r = dig(d.port, "spoof.example.test")
        t.check(r.status == "NOERROR" and r.data("A") == ["198.51.100.77"],
                f"spoofed upstream replies (wrong ID, wrong question) ignored ({i + 1})", r)


def check_upstream_ids(t, d, up):
    """Upstream query IDs are random: not the client's, not a counter."""
    names = [f"id{i}.example.test" for i in range(8)]
    for i, name in enumerate(names):
        udp_exchange(d.port, w.make_query(name, mid=0x1111 + i))
    asked = {q[0].lower(): q[4] for q in up.queries if q[0].lower() in names}
    ids = [asked.get(name) for name in names]
    steps = {(b - a) % 65536 for a, b in zip(ids, ids[1:]) if a is not None and b is not None}
    # A random 16-bit ID equals its client's now and then by chance (1 in 65,536 per query);
    # copying would make all eight equal.
    copied = sum(1 for i, mid in enumerate(ids) if mid == 0x1111 + i)
    t.check(None not in ids and len(set(ids)) == len(ids) and len(steps) > 1 and copied <= 1,
            "upstream query IDs are random (distinct, not sequential, not the client's)",
            f"client ids 0x1111.., upstream ids {[None if i is None else hex(i) for i in ids]}")


def check_source_ports(t, d, up):
    """With the default queries-per-socket (1), every upstream query has its own source port."""
    names = [f"port{i}.example.test" for i in range(8)]
    for i, name in enumerate(names):
        udp_exchange(d.port, w.make_query(name, mid=0x2222 + i))
    ports = [p for n, p in up.udp_ports if n.lower() in names]
    # Each query's socket is closed before the next opens, and the kernel picks every port at
    # random, so it may hand out a recent port again by chance: a reused socket would show as
    # the same port twice in a row, and chance repeats are rare.
    t.check(len(ports) == len(names) and all(a != b for a, b in zip(ports, ports[1:]))
            and len(set(ports)) >= len(ports) - 2,
            "a fresh source port for every upstream query", f"upstream saw ports {ports}")


def check_pipelining(t, d, up):
    queries = {0x3000 + i: name for i, (name, _) in enumerate(PIPELINED)}
    want = dict(PIPELINED)
    with tcp_connect(d.port) as s:
        s.sendall(b"".join(tcp_frame(w.make_query(n, mid=i)) for i, n in queries.items()))
        got, order = {}, []
        try:
            for _ in queries:
                m = w.parse(tcp_read_message(s))
                got[m.id] = m
                order.append(m.id)
        except (socket.timeout, EOFError, w.WireError) as e:
            t.check(False, f"read all {len(queries)} answers", f"{e!r} after {order}")
    for mid, name in queries.items():
        m = got.get(mid)
        addrs = [w.rdata_text(a) for a in m.answer] if m else None
        t.check(m and m.question[0][0] == name and addrs == [want[name]],
                f"pipelined {name} (id {mid:#x}) answered", f"got {m}")
    print(f"     (answer order: {[queries[i].split('.')[0] for i in order]})")


def check_fragmented(t, d, up):
    wire = w.make_query("p1.example.test", mid=0x4242)
    with tcp_connect(d.port) as s:
        for piece in (tcp_frame(wire)[:1], tcp_frame(wire)[1:2], wire[:7], wire[7:]):
            s.sendall(piece)
            time.sleep(0.05)
        m = w.parse(tcp_read_message(s))
    t.check(m.id == 0x4242 and [w.rdata_text(a) for a in m.answer] == ["198.51.100.31"],
            "query written in 4 TCP segments answered", f"got {m}")


def closed_after(s):
    """Seconds until the server closes s (EOF or reset), or None after 4 s."""
    t0 = time.monotonic()
    s.settimeout(4)
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return None
    except OSError:
        pass
    return time.monotonic() - t0


def check_idle_timeout(t, d, up):
    with tcp_connect(d.port) as s:
        took = closed_after(s)
    t.check(took is not None and IDLE_TIMEOUT * 0.7 <= took <= IDLE_TIMEOUT + 1.5,
            f"silent TCP client closed after tcp-idle-timeout {IDLE_TIMEOUT}s", f"took {took}")
    with tcp_connect(d.port) as s:
        s.sendall(tcp_frame(w.make_query("p2.example.test", mid=7)))
        m = w.parse(tcp_read_message(s))
        took = closed_after(s)
    t.check(m.id == 7 and took is not None and IDLE_TIMEOUT * 0.7 <= took <= IDLE_TIMEOUT + 1.5,
            "idle TCP client closed tcp-idle-timeout after its last answer", f"took {took}")


def tcp_open_gauge(d):
    status, _, text = http_get(d.admin_port, "/metrics")
    return metric(parse_metrics(text), "shelter_tcp_connections") if status == 200 else None


def served(s, mid):
    """True when s is answered, False when the server closed it, None when it stays silent."""
    try:
        s.sendall(tcp_frame(w.make_query("p1.example.test", mid=mid)))
        return w.parse(tcp_read_message(s)).id == mid
    except socket.timeout:
        return None
    except (EOFError, OSError):
        return False


def check_max_tcp(t, d, up):
    """Two workers, each with its own listening socket (SO_REUSEPORT spreads the connections
    between them): the cap counts the process's connections, so MAX_TCP are served, not up to
    MAX_TCP per worker (2 x MAX_TCP)."""
    conns = [tcp_connect(d.port, timeout=2) for _ in range(MAX_TCP + EXTRA_TCP)]
    try:
        results = [served(s, 0x5000 + i) for i, s in enumerate(conns)]
        t.check(results.count(True) == MAX_TCP and results.count(False) == EXTRA_TCP,
                f"{MAX_TCP + EXTRA_TCP} connections on 2 threads: exactly {MAX_TCP} served, "
                f"{EXTRA_TCP} closed", f"served={results.count(True)} "
                f"closed={results.count(False)} silent={results.count(None)}")
        t.equal(tcp_open_gauge(d), MAX_TCP, "shelter_tcp_connections counts the whole process")
        # A served connection closing frees its slot for the next client, on whichever worker.
        kept = [s for s, ok in zip(conns, results) if ok]
        kept[0].close()
        t.check(wait_until(lambda: tcp_open_gauge(d) == MAX_TCP - 1, 3, step=0.1) is not None,
                "a closed connection gives its slot back", f"gauge {tcp_open_gauge(d)}")
        with tcp_connect(d.port, timeout=2) as s:
            t.check(served(s, 0x6000) is True, "the next connection is served")
            with tcp_connect(d.port, timeout=2) as over:
                t.check(served(over, 0x6001) is False,
                        "and the one after it, over the cap again, is closed")
    finally:
        for s in conns:
            s.close()


def body(t):
    with FakeUpstream() as up:
        zone(up)
        cfg = base_config(up.addr, dns={"tcp-idle-timeout": "1s", "udp-payload-size": 1232})
        with t.shelterd(cfg) as d:
            t.run_cases([("truncation", check_truncation), ("upstream tc", check_upstream_tc),
                         ("spoof", check_spoof), ("upstream ids", check_upstream_ids),
                         ("source ports", check_source_ports),
                         ("pipelining", check_pipelining),
                         ("fragmented tcp", check_fragmented),
                         ("idle timeout", check_idle_timeout)], d, up)
        capped = base_config(up.addr, threads=2,
                             dns={"tcp-idle-timeout": "10s", "max-tcp-connections": MAX_TCP})
        with t.shelterd(capped) as d:
            t.run_cases([("max tcp connections", check_max_tcp)], d, up)
        # A socket may carry many queries when the operator allows it: at most 4 ports then.
        shared = base_config(up.addr, threads=1, upstream={"queries-per-socket": 256})
        with t.shelterd(shared) as d:
            names = [f"shared{i}.example.test" for i in range(16)]
            for i, name in enumerate(names):
                udp_exchange(d.port, w.make_query(name, mid=0x3333 + i))
            ports = [p for n, p in up.udp_ports if n.lower() in names]
            t.check(len(ports) == len(names) and len(set(ports)) <= 4,
                    "queries-per-socket 256: queries share at most 4 source ports",
                    f"upstream saw ports {ports}")


if __name__ == "__main__":
    Suite("transport").main(body)
