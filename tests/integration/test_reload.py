#!/usr/bin/env python3
"""Reload and config checking: SIGHUP picks up list and config edits (`reload: ok`); a bad
config is refused (`reload: failed`) and the old behaviour kept; `--check-config` names the key
path and line of each error; --version and --help."""
import re

from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, dig, merge, run

FORWARDED = "198.51.100.99"
LIST = {"id": "kids", "format": "domains", "path": "{dir}/kids.txt", "category": "adult"}

# (what, config override, marker on the bad line, key path expected in the error or None,
#  the reload's verdict). A list that cannot be read is refused on its own: the rest of the
#  configuration applies and the list keeps its last good version ("reload: partial").
BAD = [
    ("unknown blocking mode", {"blocking": {"mode": "bogus"}}, "bogus", "blocking.mode",
     "reload: failed"),
    ("unparseable duration", {"upstream": {"timeout": "soon"}}, "soon", "upstream.timeout",
     "reload: failed"),
    ("bad CIDR", {"dns": {"allow-clients": ["127.0.0.0/33"]}}, "127.0.0.0/33",
     "dns.allow-clients", "reload: failed"),
    ("threads not a number", {"threads": "many"}, "many", "threads", "reload: failed"),
    ("list file missing", {"blocking": {"mode": "nxdomain"},
                           "lists": [dict(LIST, path="{dir}/missing.txt")]}, "missing.txt",
     None, "reload: partial"),
]
SYNTAX_ERROR = "bogus: a: b\n"  # "illegal map value" on this very line


def line_of(text, marker):
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def names_line(output, n):
    return re.search(rf"(?i)\bline\W{{0,3}}{n}\b|:{n}\b", output)


def reload(t, d, what, want="reload: ok"):
    mark = d.mark()
    d.hup()
    line = d.wait_for("reload: (ok|failed|partial)", mark, timeout=5)
    t.check(line and want in line, f"{what}: SIGHUP -> {want!r}", f"log line: {line}\n"
            + d.log_tail(10))


def expect(t, d, name, status, addr, what):
    r = dig(d.port, name)
    got = r.data("A")
    t.check(r.status == status and got == ([addr] if addr else []), what, r)


def check_reload(t, d, up, cfg):
    expect(t, d, "old.test", "NOERROR", BLOCK_V4, "before: old.test blocked")
    expect(t, d, "new.test", "NOERROR", FORWARDED, "before: new.test forwarded (and cached)")
    d.write_file("kids.txt", "new.test\n")
    reload(t, d, "list edited")
    expect(t, d, "new.test", "NOERROR", BLOCK_V4, "after: new.test blocked despite the cache")
    expect(t, d, "old.test", "NOERROR", FORWARDED, "after: old.test no longer blocked")
    d.write_config(merge(cfg, {"blocking": {"mode": "nxdomain"}}))
    reload(t, d, "mode changed to nxdomain")
    expect(t, d, "new.test", "NXDOMAIN", None, "after: new.test NXDOMAIN")


def check_bad_reloads(t, d, up, cfg):
    good = d.config_text
    bad = [(what, d.render(merge(cfg, over)), marker, key, want)
           for what, over, marker, key, want in BAD]
    bad.append(("YAML syntax error", good + SYNTAX_ERROR, "bogus:", None, "reload: failed"))
    for what, text, marker, key, want in bad:
        d.write_file("shelterd.yaml", text)
        reload(t, d, what, want)
        t.check(d.alive(), f"{what}: still running")
        expect(t, d, "new.test", "NXDOMAIN", None, f"{what}: old config still in force")
        expect(t, d, "www.example.test", "NOERROR", FORWARDED, f"{what}: still forwarding")
        r = run([d.binary, "--check-config", "--config", d.config_path], timeout=5)
        out, n = r.out + r.err, line_of(text, marker)
        t.check(r.rc == 1 and names_line(out, n) and (key is None or key in out)
                and (marker != "missing.txt" or marker in out),
                f"{what}: --check-config exits 1 naming {key or marker} and line {n}",
                f"rc={r.rc}\n{out}")
    d.write_file("shelterd.yaml", good)
    r = run([d.binary, "--check-config", "--config", d.config_path], timeout=5)
    t.check(r.rc == 0, "--check-config on the running (good) config exits 0 without binding",
            f"rc={r.rc}\n{r.out}{r.err}")


def check_cli(t, binary):
    r = run([binary, "--version"], timeout=5)
    t.check(r.rc == 0 and re.search(r"\d+\.\d+", r.out + r.err), "--version", r)
    r = run([binary, "--help"], timeout=5)
    t.check(r.rc == 0 and "--config" in r.out + r.err and "--check-config" in r.out + r.err,
            "--help mentions --config and --check-config", r)
    r = run([binary, "--check-config", "--config", "/nonexistent/shelterd.yaml"], timeout=5)
    t.check(r.rc == 1 and "/nonexistent/shelterd.yaml" in r.out + r.err,
            "--check-config with a missing file exits 1 naming it", r)


def body(t):
    with t.case("cli"):
        check_cli(t, t.args.shelterd)
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        cfg = base_config(up.addr, lists=[LIST])
        with t.shelterd(cfg, {"kids.txt": "# before\nold.test\n"}) as d:
            t.run_cases([("reload", check_reload), ("bad reloads", check_bad_reloads)],
                        d, up, cfg)


if __name__ == "__main__":
    Suite("reload").main(body)
