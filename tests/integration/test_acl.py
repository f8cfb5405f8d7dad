#!/usr/bin/env python3
"""Access control: clients outside dns.allow-clients get REFUSED, over UDP and TCP, and their
queries never reach upstream; allowed source addresses (dig -b) are answered."""
from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, dig

ALLOW = ["127.0.0.2/32", "127.0.1.0/24", "::1/128"]
# (source address, server, extra dig options, allowed?)
CLIENTS = [
    ("127.0.0.1", "127.0.0.1", [], False),
    ("127.0.0.1", "127.0.0.1", ["+tcp"], False),
    ("127.0.0.3", "127.0.0.1", [], False),
    ("127.0.2.1", "127.0.0.1", [], False),
    ("127.0.0.2", "127.0.0.1", [], True),
    ("127.0.0.2", "127.0.0.1", ["+tcp"], True),
    ("127.0.1.77", "127.0.0.1", [], True),
    ("::1", "::1", [], True),
    ("::1", "::1", ["+tcp"], True),
]


def check_clients(t, d, up):
    for i, (src, server, opts, allowed) in enumerate(CLIENTS):
        name = f"c{i}.example.test"
        r = dig(d.port, name, "A", "-b", src, *opts, server=server)
        what = f"from {src} {' '.join(opts)}".rstrip()
        if allowed:
            t.check(r.status == "NOERROR" and r.data("A") == ["198.51.100.99"],
                    f"{what}: answered", r)
        else:
            t.check(r.status == "REFUSED" and not r.answer and up.count(name) == 0,
                    f"{what}: REFUSED, nothing sent upstream", f"upstream {up.count(name)}\n{r}")


def check_blocked_names(t, d, up):
    r = dig(d.port, "adult.test", "A", "-b", "127.0.0.1")
    t.check(r.status == "REFUSED" and not r.answer, "listed name from a refused client: REFUSED", r)
    r = dig(d.port, "adult.test", "A", "-b", "127.0.0.2")
    t.check(r.data("A") == [BLOCK_V4], "listed name from an allowed client: block page", r)


def body(t):
    with FakeUpstream(default=Rule(a=("198.51.100.99",))) as up:
        cfg = base_config(up.addr, dns={"allow-clients": ALLOW}, lists=[
            {"id": "kids", "format": "domains", "entries": ["adult.test"], "category": "adult"}])
        with t.shelterd(cfg) as d:
            t.run_cases([("clients", check_clients), ("blocked names", check_blocked_names)],
                        d, up)


if __name__ == "__main__":
    Suite("acl").main(body)
