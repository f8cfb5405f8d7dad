#!/usr/bin/env python3
"""Fail-safe list updates, through the real shelterd, dig and curl.

For a legal (CSAM-class) list and a parental list, by SIGHUP and by the list file check, each
way of breaking a list file on disk (emptied, an HTML error page, binary junk, half a file, a
60 % shrink, a rename in the middle of a write) is refused: dig shows the old entries still
blocking, the refusal is logged and counted, and /readyz says so. An operator's acceptance
takes a shrink on purpose; a restart with a broken file starts with the last good list; a
stale legal list turns /readyz unready; a legal list with no good version stops shelterd from
starting; shelter-compile refuses the same files and writes nothing; an upstream outage is
logged at its start and end."""
import json
import os
import random
import re
import shutil
import tempfile
import time

from fake_upstream import FakeUpstream, Rule
from harness import (BLOCK_V4, Shelterd, Suite, base_config, dig, http_get, metric,
                     parse_metrics, run, wait_until)

FORWARDED = "198.51.100.99"
ENTRIES = 200
LISTS = {
    "csam": {"legal": True, "category": "csam", "authority": "Test Hotline"},
    "kids": {"legal": False, "category": "adult"},
}


def names(list_id, n=ENTRIES):
    return [f"e{i}.{list_id}.test" for i in range(n)]


def good_text(list_id):
    return "# a list\n" + "\n".join(names(list_id)) + "\n"


def html_page():
    return ("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
            "<body><h1>502 Bad Gateway</h1></body></html>\n")


def junk():
    rnd = random.Random(7)
    return bytes(rnd.randrange(1, 256) for _ in range(4096)).decode("latin-1")


# (name, what the file becomes, the result expected)
BREAKAGES = [
    ("empty file", lambda lid: "", "refused-empty"),
    ("HTML error page", lambda lid: html_page(), "refused-format"),
    ("binary junk", lambda lid: junk(), "refused-format"),
    ("half a file", lambda lid: good_text(lid)[:len(good_text(lid)) // 2], "refused-shrink"),
    ("60% shrink", lambda lid: "\n".join(names(lid, ENTRIES * 4 // 10)) + "\n", "refused-shrink"),
]


def config(up, work, check_interval, **over):
    lists = []
    for lid, spec in LISTS.items():
        lists.append(dict({"id": lid, "format": "domains", "path": f"{work}/{lid}.txt"}, **spec))
    cfg = base_config(up.addr, lists=lists,
                      **{"list-updates": {"state-directory": f"{work}/state",
                                          "check-interval": check_interval}})
    cfg.update(over)
    return cfg


def write(path, text, mode="w"):
    with open(path, mode, encoding="latin-1") as f:
        f.write(text)


def metrics(d):
    _, _, body = http_get(d.admin_port, "/metrics")
    return parse_metrics(body)


def readyz(d):
    status, _, body = http_get(d.admin_port, "/readyz")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"raw": body}


def list_state(ready, lid):
    return next((entry for entry in ready.get("lists", []) if entry["id"] == lid), {})


def blocked(d, name):
    return dig(d.port, name).data("A") == [BLOCK_V4]


def refusal_line(lid, result):
    return rf"list '{lid}': {result}: "


class Trigger:
    """Makes shelterd notice a changed list file: SIGHUP, or waiting for the file check."""

    def __init__(self, kind):
        self.kind = kind

    def fire(self, d, mark):
        if self.kind == "sighup":
            d.hup()
            return d.wait_for(r"reload: (ok|partial|failed)", mark, timeout=5)
        return d.wait_for(r"^.*lists: (swapped in|partial)", mark, timeout=5)


def check_breakages(t, d, work, trigger):
    for lid in LISTS:
        path = f"{work}/{lid}.txt"
        old = names(lid)
        for what, make, result in BREAKAGES:
            key = f"{lid}, {trigger.kind}, {what}"
            before = metric(metrics(d), "shelter_list_reloads_total", list=lid, result=result) or 0
            mark = d.mark()
            write(path, make(lid))
            summary = trigger.fire(d, mark)
            line = d.wait_for(refusal_line(lid, result), mark, timeout=2)
            t.check(line is not None and summary is not None and "partial" in summary,
                    f"{key}: refused ({result}) and logged", d.log_tail(6))
            t.check(all(blocked(d, n) for n in (old[0], old[ENTRIES // 2], old[-1])),
                    f"{key}: dig shows the old entries still blocking")
            m = metrics(d)
            t.check((metric(m, "shelter_list_reloads_total", list=lid, result=result) or 0)
                    == before + 1, f"{key}: counted in shelter_list_reloads_total")
            logged = re.search(r"with (\d+) entries", summary or "")
            t.check(logged and int(logged.group(1)) == metric(m, "shelter_list_entries"),
                    f"{key}: the log's total and the metrics agree", summary)
            t.check(metric(m, "shelter_list_serving_last_good", list=lid) == 1
                    and metric(m, "shelter_list_entries", list=lid) == ENTRIES,
                    f"{key}: metrics say its last good version ({ENTRIES} entries) serves")
            status, ready = readyz(d)
            state = list_state(ready, lid)
            t.check(status == 200 and ready.get("status") == "degraded"
                    and state.get("serving_last_good") and state.get("last_result") == result,
                    f"{key}: /readyz says degraded, naming the list and why", ready)
            mark = d.mark()
            write(path, good_text(lid))
            summary = trigger.fire(d, mark)
            t.check(summary is not None and "partial" not in summary
                    and readyz(d)[1].get("status") == "ready",
                    f"{key}: the good file back is taken and the node is ready", d.log_tail(4))


def check_rename_mid_write(t, d, work, trigger):
    """A writer renames its file into place before it has finished writing it."""
    for lid in LISTS:
        key = f"{lid}, {trigger.kind}"
        path, temp = f"{work}/{lid}.txt", f"{work}/{lid}.txt.part"
        # A few more entries than before, so that going back to the good file is no shrink.
        text = good_text(lid) + "".join(f"more{i}.{lid}.test\n" for i in range(10))
        with open(temp, "w") as f:
            f.write(text[:len(text) // 3])
            f.flush()
            mark = d.mark()
            os.rename(temp, path)
            trigger.fire(d, mark)
            line = d.wait_for(refusal_line(lid, "refused-shrink"), mark, timeout=2)
            t.check(line is not None, f"{key}: a file renamed in mid-write is refused", d.log_tail(4))
            t.check(blocked(d, names(lid)[-1]), f"{key}: its old entries still block")
            mark = d.mark()
            f.write(text[len(text) // 3:])
        time.sleep(0.05)
        summary = trigger.fire(d, mark)
        t.check(summary is not None and "partial" not in summary and blocked(d, f"more9.{lid}.test"),
                f"{key}: once the write ends, the whole new version is taken", d.log_tail(4))
        write(path, good_text(lid))
        trigger.fire(d, d.mark())


def check_override(t, d, work):
    for lid in LISTS:
        path = f"{work}/{lid}.txt"
        write(path, "\n".join(names(lid, 80)) + "\n")
        mark = d.mark()
        d.hup()
        t.check(d.wait_for(refusal_line(lid, "refused-shrink"), mark, timeout=5) is not None,
                f"{lid}: a 60% shrink is refused before it is accepted")
        r = run([d.binary, "--config", d.config_path, "--accept-list", lid,
                 "--reason", "authority withdrew 120 entries"], timeout=10)
        t.check(r.rc == 0 and "accepted" in r.out, f"{lid}: shelterd --accept-list records it",
                f"{r.out}{r.err}")
        mark = d.mark()
        d.hup()
        line = d.wait_for(rf"list '{lid}': taken by the operator's acceptance", mark, timeout=5)
        t.check(line is not None and "(uid" in line,
                f"{lid}: the reload says who accepted it", d.log_tail(4))
        t.check(not blocked(d, names(lid)[150]) and blocked(d, names(lid)[10]),
                f"{lid}: after the acceptance the dropped entries resolve, the kept still block")
        t.check(metric(metrics(d), "shelter_list_reloads_total", list=lid,
                       result="accepted-override") == 1, f"{lid}: counted as accepted-override")
        with open(f"{work}/state/audit.log") as f:
            audit = f.read()
        t.check(f"list '{lid}'" in audit and "authority withdrew" in audit,
                f"{lid}: the state directory's audit log keeps who, when and why", audit)
        t.check(not os.path.exists(f"{work}/state/accept/{lid}"),
                f"{lid}: the acceptance was used once")
        write(path, "\n".join(names(lid, 20)) + "\n")
        mark = d.mark()
        d.hup()
        t.check(d.wait_for(refusal_line(lid, "refused-shrink"), mark, timeout=5) is not None,
                f"{lid}: the next shrink is refused again (the acceptance was one-shot)")
        r = run([d.binary, "--config", d.config_path, "--accept-list", lid], timeout=10)
        write(path, html_page())
        mark = d.mark()
        d.hup()
        t.check(d.wait_for(refusal_line(lid, "refused-format"), mark, timeout=5) is not None,
                f"{lid}: an acceptance for one version does not cover another file")
        r = run([d.binary, "--config", d.config_path, "--accept-list", lid], timeout=10)
        t.check(r.rc == 1 and "cannot be accepted" in r.err,
                f"{lid}: an HTML page can never be accepted", r.err)
        write(path, good_text(lid))
        d.hup()
        d.wait_for("reload: ok", mark, timeout=5)


def check_legal_lines_unquoted(t, d, work):
    """A legal list's malformed line is named by number in the log, never quoted."""
    write(f"{work}/csam.txt", good_text("csam") + "secret..page/x\n")
    mark = d.mark()
    d.hup()
    d.wait_for("reload: ok", mark, timeout=5)
    line = d.wait_for(r"csam.txt:\d+: malformed entry \(legal lists are not quoted\)", mark, 2)
    t.check(line is not None and "secret" not in d.log(),
            "a legal list's malformed line is reported by number, its text never logged",
            d.log_tail(4))
    write(f"{work}/kids.txt", good_text("kids") + "shown..page\n")
    mark = d.mark()
    d.hup()
    t.check(d.wait_for(r"kids.txt:\d+: .*shown\.\.page", mark, 5) is not None,
            "an ordinary list's malformed line is quoted, to help fix it", d.log_tail(4))
    write(f"{work}/csam.txt", good_text("csam"))
    write(f"{work}/kids.txt", good_text("kids"))
    d.hup()
    d.wait_for("reload: ok", d.mark(), timeout=5)


def check_restart(t, up, work, binary):
    write(f"{work}/csam.txt", "")
    write(f"{work}/kids.txt", html_page())
    d = Shelterd(binary, config(up, work, "0s"))
    with d:
        t.check(d.wait_for(refusal_line("csam", "refused-empty"), 0, 1) is not None
                and d.wait_for(refusal_line("kids", "refused-format"), 0, 1) is not None,
                "restart with broken files: both refused at start")
        t.check(blocked(d, names("csam")[5]) and blocked(d, names("kids")[5]),
                "restart with broken files: starts with the last good lists from the state dir")
        t.check(readyz(d)[0] == 200, "restart: ready (degraded) with every legal list in force")
    write(f"{work}/csam.txt", good_text("csam"))
    write(f"{work}/kids.txt", good_text("kids"))


def check_no_good_version(t, up, binary):
    work = tempfile.mkdtemp(prefix="shelter-ls-")
    try:
        write(f"{work}/csam.txt", "")
        write(f"{work}/kids.txt", good_text("kids"))
        d = Shelterd(binary, config(up, work, "0s"))
        r = run([binary, "--config", d.config_path], timeout=10)
        t.check(r.rc == 1 and "legal list 'csam'" in r.err and "not started" in r.err,
                "a legal list with no good version anywhere: shelterd does not start", r.err)
        d.stop()
        shutil.rmtree(d.dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_stale(t, up, binary):
    work = tempfile.mkdtemp(prefix="shelter-ls-")
    try:
        for lid in LISTS:
            write(f"{work}/{lid}.txt", good_text(lid))
        past = time.time() - 3 * 3600
        os.utime(f"{work}/csam.txt", (past, past))
        cfg = config(up, work, "0s")
        cfg["lists"][0]["max-age"] = "1h"
        with Shelterd(binary, cfg) as d:
            line = d.wait_for(r"legal list 'csam': stale", 0, 4)
            status, ready = readyz(d)
            t.check(line is not None and status == 503 and ready.get("status") == "unready"
                    and any("stale" in p for p in ready.get("problems", [])),
                    "a stale legal list: logged, and /readyz answers 503 unready", ready)
            m = metrics(d)
            t.check(metric(m, "shelter_list_stale", list="csam") == 1
                    and metric(m, "shelter_ready") == 0
                    and metric(m, "shelter_list_stale_total", list="csam") == 1,
                    "a stale legal list: shelter_list_stale, shelter_ready 0, counted")
            t.check(blocked(d, names("csam")[1]), "a stale legal list still blocks")
            mark = d.mark()
            write(f"{work}/csam.txt", good_text("csam") + "fresh.csam.test\n")
            d.hup()
            d.wait_for("reload: ok", mark, 5)
            t.check(d.wait_for(r"legal list 'csam': fresh again", mark, 3) is not None
                    and readyz(d)[0] == 200, "a fresh version makes the node ready again")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_compile(t, up, binary, compile_binary):
    work = tempfile.mkdtemp(prefix="shelter-ls-")
    try:
        for lid in LISTS:
            write(f"{work}/{lid}.txt", good_text(lid))
        d = Shelterd(binary, config(up, work, "0s"))
        cfg_path, out = d.config_path, f"{work}/lists.snap"
        r = run([compile_binary, "--config", cfg_path, "--output", "/dev/null"], timeout=20)
        t.check(r.rc == 1 and "not a regular file" in r.err and os.path.exists("/dev/null")
                and not os.path.isfile("/dev/null"),
                "shelter-compile --output /dev/null is refused and /dev/null stays a device", r.err)
        r = run([compile_binary, "--config", cfg_path, "--output", out], timeout=20)
        t.check(r.rc == 0 and os.path.isfile(out), "shelter-compile writes a first snapshot", r.err)
        before = open(out, "rb").read()
        for what, make, result in BREAKAGES:
            write(f"{work}/csam.txt", make("csam"))
            r = run([compile_binary, "--config", cfg_path, "--output", out], timeout=20)
            t.check(r.rc == 1 and result in r.err and "nothing written" in r.err
                    and open(out, "rb").read() == before,
                    f"shelter-compile: {what} of the legal list refused ({result}), nothing written",
                    r.err)
        write(f"{work}/csam.txt", "\n".join(names("csam", 80)) + "\n")
        r = run([compile_binary, "--config", cfg_path, "--output", out,
                 "--accept-shrink", "csam", "--reason", "withdrawn entries"], timeout=20)
        t.check(r.rc == 0 and "accepted: list 'csam'" in r.err and "withdrawn" in r.err
                and open(out, "rb").read() != before,
                "shelter-compile --accept-shrink takes the shrink, says by whom, and writes", r.err)
        d.stop()
        shutil.rmtree(d.dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_snapshot_mode(t, up, binary, compile_binary):
    work = tempfile.mkdtemp(prefix="shelter-ls-")
    try:
        for lid in LISTS:
            write(f"{work}/{lid}.txt", good_text(lid))
        snap = f"{work}/lists.snap"
        cfg = config(up, work, "0s", snapshot={"path": snap, "check-interval": "200ms"})
        cfg_path = f"{work}/compile.yaml"
        d = Shelterd(binary, cfg)
        shutil.copy(d.config_path, cfg_path)
        d.stop()
        shutil.rmtree(d.dir, ignore_errors=True)
        r = run([compile_binary, "--config", cfg_path, "--output", snap], timeout=20)
        t.check(r.rc == 0, "snapshot mode: compiled", r.err)
        with Shelterd(binary, cfg) as d:
            mark = d.mark()
            write(f"{snap}.tmp", junk())
            os.rename(f"{snap}.tmp", snap)
            line = d.wait_for("snapshot: new file rejected", mark, 5)
            m = metrics(d)
            t.check(line is not None and blocked(d, names("csam")[3])
                    and (metric(m, "shelter_list_reloads_total", list="csam",
                                result="refused-snapshot") or 0) >= 1
                    and (metric(m, "shelter_reloads_total", result="failed") or 0) >= 1,
                    "snapshot mode: a junk snapshot is refused, counted, and the lists still block",
                    d.log_tail(4))
        with Shelterd(binary, cfg) as d:
            t.check(blocked(d, names("csam")[3]) and blocked(d, names("kids")[3]),
                    "snapshot mode: a restart with a junk snapshot starts with the last good one",
                    d.log_tail(5))
            status, ready = readyz(d)
            t.check(status == 200 and ready.get("status") == "degraded",
                    "snapshot mode: /readyz says degraded (last good snapshot)", ready)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_upstream_outage(t, up, work, binary):
    with Shelterd(binary, config(up, work, "0s")) as d:
        t.check(dig(d.port, "before.outage.test").data("A") == [FORWARDED], "upstream answers")
        up.default = Rule(drop=True)
        mark = d.mark()
        for i in range(4):
            dig(d.port, f"q{i}.outage.test", "A", "+tries=1", "+time=2")
        line = d.wait_for("upstream: outage: no upstream resolver answers", mark, 3)
        status, ready = readyz(d)
        t.check(line is not None and status == 200 and ready.get("status") == "degraded"
                and ready.get("upstreams", {}).get("up") == 0
                and metric(metrics(d), "shelter_upstreams_up") == 0,
                "an upstream outage: logged at its start, /readyz degraded, upstreams_up 0",
                d.log_tail(5))
        up.default = Rule(a=(FORWARDED,))
        wait_until(lambda: dig(d.port, f"after{time.time()}.outage.test").data("A")
                   == [FORWARDED], 5, 0.3)
        t.check(d.wait_for(r"upstream: outage over after \d+ s", mark, 3) is not None
                and metric(metrics(d), "shelter_upstreams_up") == 1,
                "the outage's end is logged with its length", d.log_tail(5))


def body(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        work = tempfile.mkdtemp(prefix="shelter-ls-")
        try:
            for lid in LISTS:
                write(f"{work}/{lid}.txt", good_text(lid))
            for kind, interval in (("sighup", "0s"), ("file check", "150ms")):
                trigger = Trigger(kind)
                with t.shelterd(config(up, work, interval)) as d:
                    d.binary = t.args.shelterd
                    t.run_cases([(f"breakages by {kind}", check_breakages),
                                 (f"rename in mid-write by {kind}", check_rename_mid_write)],
                                d, work, trigger)
                    if kind == "sighup":
                        with t.case("operator override"):
                            check_override(t, d, work)
                        with t.case("legal lines never quoted"):
                            check_legal_lines_unquoted(t, d, work)
            with t.case("restart with broken files"):
                check_restart(t, up, work, t.args.shelterd)
            with t.case("upstream outage"):
                check_upstream_outage(t, up, work, t.args.shelterd)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with t.case("no good version"):
            check_no_good_version(t, up, t.args.shelterd)
        with t.case("stale legal list"):
            check_stale(t, up, t.args.shelterd)
        with t.case("shelter-compile"):
            check_compile(t, up, t.args.shelterd, t.args.shelter_compile)
        with t.case("snapshot mode"):
            check_snapshot_mode(t, up, t.args.shelterd, t.args.shelter_compile)


if __name__ == "__main__":
    Suite("list-safety").main(body)
