#!/usr/bin/env python3
"""The list engine through the real shelterd and shelter-compile: every list format (adblock,
RPZ, IWF-style URL CSV, SquidGuard tree, allowlists), steering of names with URL-level entries
only to the proxy address, legal lists beating exceptions, and compiled snapshots: mapped at
start, swapped when the file is replaced (no query lost while it happens), a corrupt file
refused with the old lists kept, and `--explain`."""
import os
import shutil
import socket
import struct
import threading
import time

from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, dig, http_get, metric, parse_metrics, run

FORWARDED = "198.51.100.7"
PROXY_V4, PROXY_V6 = "192.0.2.44", "2001:db8::44"

FILES = {
    "ads.txt": ("[Adblock Plus 2.0]\n! Title: test\n||adblock.test^\n"
                "||tracker.test^$important\n@@||ok.tracker.test^\n"
                "||shared.test/bad/^\n##.banner\n||x.test^$third-party\n"),
    "zone.rpz": ("$TTL 300\n@ IN SOA localhost. root.localhost. ( 1 3600 600 86400 60 )\n"
                 "  IN NS localhost.\n"
                 "nx.test CNAME .\n*.wild.test CNAME .\nnodata.test CNAME *.\n"
                 "local.test A 192.0.2.55\nlocal.test AAAA 2001:db8::55\n"
                 "pass.adblock.test CNAME rpz-passthru.\n"),
    "iwf.csv": ("url,category,id\nhttp://host.test/abuse/1.jpg,csam,1001\n"
                "legalwhole.test,csam,1002\nhttps://folder.test/gallery/,csam,1003\n"
                "lifted.test,csam,1004\n"),
    "allow.txt": "adblock.test\nlegalwhole.test\n",
}
SQUID = {"adult/domains": "sq-adult.test\n", "adult/urls": "sqshared.test/adult/page.html\n",
         "gambling/domains": "sq-bet.test\n", "liste_blanche/domains": "sq-ignored.test\n"}
LISTS = [
    {"id": "iwf", "format": "urls", "path": "{dir}/iwf.csv", "category": "csam", "legal": True,
     "authority": "Hotline"},
    {"id": "ads", "format": "adblock", "path": "{dir}/ads.txt", "category": "ads"},
    {"id": "rpz", "format": "rpz", "path": "{dir}/zone.rpz", "category": "malware"},
    {"id": "ut1", "format": "squidguard", "path": "{dir}/ut1",
     "categories": {"adult": "adult", "gambling": "gambling"}},
    {"id": "allow", "format": "domains", "action": "allow", "path": "{dir}/allow.txt",
     "category": "allow"},
    {"id": "court-order", "format": "domains", "action": "allow", "legal": True,
     "authority": "A court", "entries": ["lifted.test"], "category": "override"},
]


def expect(t, d, name, status, addrs, what, qtype="A"):
    r = dig(d.port, name, qtype)
    t.check(r.status == status and r.data(qtype) == sorted(addrs), what, r)
    return r


def check_formats(t, d, up):
    expect(t, d, "adblock.test", "NOERROR", [FORWARDED], "adblock ||x^ lifted by the allowlist")
    expect(t, d, "www.tracker.test", "NOERROR", [BLOCK_V4], "adblock $important: blocked")
    expect(t, d, "ok.tracker.test", "NOERROR", [BLOCK_V4],
           "adblock $important beats a plain @@ exception")
    expect(t, d, "x.test", "NOERROR", [FORWARDED], "adblock browser-only rule skipped, not applied")
    expect(t, d, "nx.test", "NXDOMAIN", [], "RPZ CNAME . -> NXDOMAIN")
    expect(t, d, "a.wild.test", "NXDOMAIN", [], "RPZ *.name -> NXDOMAIN below")
    expect(t, d, "wild.test", "NOERROR", [FORWARDED], "RPZ *.name does not cover the name")
    expect(t, d, "nodata.test", "NOERROR", [], "RPZ CNAME *. -> NODATA")
    expect(t, d, "local.test", "NOERROR", ["192.0.2.55"], "RPZ local A data")
    expect(t, d, "local.test", "NOERROR", ["2001:db8::55"], "RPZ local AAAA data", "AAAA")
    expect(t, d, "sq-adult.test", "NOERROR", [BLOCK_V4], "squidguard adult folder")
    expect(t, d, "www.sq-bet.test", "NOERROR", [BLOCK_V4], "squidguard gambling folder")
    expect(t, d, "sq-ignored.test", "NOERROR", [FORWARDED], "unmapped squidguard folder unread")
    r = expect(t, d, "legalwhole.test", "NOERROR", [BLOCK_V4],
               "IWF bare host blocks the host; an ordinary allow cannot lift a legal list")
    t.check(16 in r.ede_codes(), "legal block carries EDE 16 (Censored)", r)
    t.check("court-order" in d.log() and "exceptions in a legal list" in d.log(),
            "a legal list of exceptions is announced at load", d.log_tail(10))
    expect(t, d, "lifted.test", "NOERROR", [FORWARDED],
           "an exception in a legal list (operator override) lifts the legal block")
    status, _, body = http_get(d.admin_port, "/metrics")
    t.check(status == 200 and metric(parse_metrics(body), "shelter_legal_overrides_total") == 1,
            "the override is counted, once per answer it changed", body[-400:])
    t.check("lifted.test" not in d.log(), "and the name is not logged (no browsing log)",
            d.log_tail(5))


def check_steering(t, d, up):
    for name in ("host.test", "folder.test", "sqshared.test"):
        expect(t, d, name, "NOERROR", [PROXY_V4], f"{name}: URL entries only -> proxy address")
        expect(t, d, name, "NOERROR", [PROXY_V6], f"{name}: AAAA -> proxy address", "AAAA")
    expect(t, d, "www.host.test", "NOERROR", [FORWARDED],
           "IWF page entry is for its host only: other hosts resolve")
    expect(t, d, "shared.test", "NOERROR", [FORWARDED],
           "an adblock list's URL rule does not steer (steer defaults to false for adblock)")
    r = dig(d.port, "host.test", "MX")
    t.check(r.status == "NOERROR" and up.count("host.test") >= 1,
            "steered names still resolve other types upstream", r)


def check_no_proxy(t, up, files):
    with t.shelterd(base_config(up.addr, lists=LISTS), files) as d:
        expect(t, d, "host.test", "NOERROR", [BLOCK_V4],
               "no proxy: a legal URL entry blocks the whole host (never fail open)")
        expect(t, d, "shared.test", "NOERROR", [FORWARDED],
               "no proxy: an ordinary URL entry does not take down the host")


def compile_snapshot(t, compiler, config, out):
    r = run([compiler, "--config", config, "--output", out], timeout=60)
    t.check(r.rc == 0 and os.path.exists(out), f"shelter-compile writes {os.path.basename(out)}",
            r.out + r.err)
    return r


class Hammer:
    """Sends A queries for one name back to back from a thread; counts lost and failed ones."""

    def __init__(self, port, name):
        self.port, self.name, self.sent, self.lost, self.failed = port, name, 0, 0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def query(self, qid):
        labels = b"".join(bytes([len(p)]) + p.encode() for p in self.name.split(".")) + b"\0"
        return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + struct.pack(">HH", 1, 1)

    def loop(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1.0)
        qid = 0
        while not self.stop.is_set():
            qid = (qid + 1) & 0xFFFF
            s.sendto(self.query(qid), ("127.0.0.1", self.port))
            self.sent += 1
            try:
                while True:
                    data, _ = s.recvfrom(4096)
                    if struct.unpack(">H", data[:2])[0] == qid:
                        break
                if data[3] & 0x0F != 0:
                    self.failed += 1
            except socket.timeout:
                self.lost += 1
        s.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def check_compile_and_explain(t, compiler, d):
    snap = d.path("lists.snap")
    r = compile_snapshot(t, compiler, d.config_path, snap)
    t.check("hosts" in r.out and "ut1" in r.out, "shelter-compile prints a per-list summary", r.out)
    r = run([compiler, "--config", d.config_path, "--explain", "http://host.test/abuse/1.jpg"])
    t.check(r.rc == 0 and "BLOCKED by list 'iwf'" in r.out and "iwf.csv:2" in r.out,
            "--explain names the list, rule and source line of a URL entry", r.out + r.err)
    r = run([compiler, "--snapshot", snap, "--explain", "ok.tracker.test"])
    t.check(r.rc == 0 and "exception" in r.out and "important" in r.out
            and "BLOCKED by list 'ads'" in r.out,
            "--explain against a snapshot shows the exception and the important block",
            r.out + r.err)
    r = run([compiler, "--snapshot", snap, "--explain", "host.test"])
    t.check("PARTIAL" in r.out, "--explain says a name has URL entries only", r.out)
    r = run([compiler, "--snapshot", snap, "--explain", "bad..name"])
    t.check(r.rc == 1 and "not a valid" in r.err, "--explain rejects a malformed name", r.err)


def replace_file(src, dst):
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def check_snapshot_swaps(t, compiler, up, raw):
    """raw: the running shelterd on raw lists, whose directory holds the list files."""
    snap, other = raw.path("lists.snap"), raw.path("other.snap")
    compile_snapshot(t, compiler, raw.config_path, snap)
    raw.write_file("ads.txt", FILES["ads.txt"] + "||swapped.test^\n")
    compile_snapshot(t, compiler, raw.config_path, other)
    raw.write_file("ads.txt", FILES["ads.txt"])
    live = os.path.join(os.path.dirname(snap), "live.snap")
    replace_file(snap, live)
    cfg = base_config(up.addr, snapshot={"path": live, "check-interval": "50ms"},
                      proxy={"address-ipv4": [PROXY_V4]})
    with t.shelterd(cfg, {}) as d:
        t.check("from snapshot" in d.log(), "shelterd loads the compiled snapshot", d.log_tail(5))
        expect(t, d, "www.tracker.test", "NOERROR", [BLOCK_V4], "snapshot: adblock entry blocks")
        expect(t, d, "host.test", "NOERROR", [PROXY_V4], "snapshot: URL-only host steered")
        expect(t, d, "swapped.test", "NOERROR", [FORWARDED], "before the swap: not listed")
        with Hammer(d.port, "www.tracker.test") as hammer:
            for i in range(6):
                mark = d.mark()
                replace_file(other if i % 2 == 0 else snap, live)
                line = d.wait_for("snapshot: swapped in", mark, timeout=5)
                t.check(line is not None, f"swap {i + 1}: the replaced file is swapped in",
                        d.log_tail(5))
            time.sleep(0.2)
        t.check(hammer.sent > 50 and hammer.lost == 0 and hammer.failed == 0,
                f"no query lost or failed during 6 swaps ({hammer.sent} sent)",
                f"lost {hammer.lost}, failed {hammer.failed}")
        replace_file(other, live)
        d.wait_for("snapshot: swapped in", d.mark(), timeout=5)
        expect(t, d, "swapped.test", "NOERROR", [BLOCK_V4], "after the swap: the new entry blocks")
        # An operator's `cp` onto the live file rewrites it in place: shelterd has its own copy
        # of the snapshot, so nothing changes under running lookups, and the finished file is
        # swapped in (possibly after refusing a half-written one).
        with Hammer(d.port, "www.tracker.test") as hammer:
            mark = d.mark()
            shutil.copyfile(snap, live)
            line = d.wait_for("snapshot: swapped in", mark, timeout=5)
            time.sleep(0.2)
        t.check(line is not None and d.alive(), "a file overwritten in place (cp) is swapped in",
                d.log_tail(5))
        t.check(hammer.lost == 0 and hammer.failed == 0,
                f"no query lost while it was rewritten ({hammer.sent} sent)",
                f"lost {hammer.lost}, failed {hammer.failed}")
        expect(t, d, "swapped.test", "NOERROR", [FORWARDED], "the rewritten file's lists answer")
        replace_file(other, live)
        d.wait_for("snapshot: swapped in", d.mark(), timeout=5)
        for what, data in (("corrupt", lambda b: b[:300] + bytes([b[300] ^ 1]) + b[301:]),
                           ("truncated", lambda b: b[: len(b) // 2]),
                           ("not a snapshot", lambda b: b"hello\n")):
            with open(other, "rb") as f:
                body = data(f.read())
            bad = raw.path("bad.snap")
            with open(bad, "wb") as f:
                f.write(body)
            mark = d.mark()
            replace_file(bad, live)
            line = d.wait_for("snapshot: new file rejected", mark, timeout=5)
            t.check(line is not None, f"{what} snapshot rejected with a reason", d.log_tail(3))
            expect(t, d, "swapped.test", "NOERROR", [BLOCK_V4], f"{what}: old lists kept")
            t.check(d.alive(), f"{what}: shelterd still running")


def body(t):
    compiler = t.args.shelter_compile
    files = dict(FILES)
    for rel, text in SQUID.items():
        files["ut1/" + rel] = text
    with FakeUpstream(default=Rule(a=(FORWARDED,), aaaa=("2001:db8::7",))) as up:
        cfg = base_config(up.addr, lists=LISTS,
                          proxy={"address-ipv4": [PROXY_V4], "address-ipv6": [PROXY_V6]})
        with t.shelterd(cfg, files) as d:
            t.run_cases([("formats", check_formats), ("steering", check_steering)], d, up)
            with t.case("compile and explain"):
                check_compile_and_explain(t, compiler, d)
            with t.case("snapshot swaps"):
                check_snapshot_swaps(t, compiler, up, d)
        with t.case("no proxy configured"):
            check_no_proxy(t, up, files)


if __name__ == "__main__":
    Suite("lists").main(body)
