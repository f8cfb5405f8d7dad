#!/usr/bin/env python3
"""The optional query log (logging.query-log, docs/query-log.md), through the real shelterd and
dig: off by default, it writes no file anywhere; on, every answer becomes one JSON line in the
period's file with the subscriber as a keyed-hash pseudonym (no client address and no household
id in clear), one pseudonym for all queries of one client or one household, a legal (CSAM) list's
name never written, files past the retention deleted at start and others left alone; its
counters on /metrics; and the configuration refused, naming key and line, when the retention is
missing or too long."""
import datetime
import json
import os
import subprocess

from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, dig, http_get, metric, parse_metrics, wait_until

FORWARDED = "198.51.100.44"
STRANGER, HOME_A, HOME_B = "127.0.0.3", "127.0.0.2", "127.0.0.4"
HOUSEHOLD = "smith-household-77"
LISTS = [
    {"id": "adult-sites", "format": "domains", "category": "adult", "entries": ["adult.test"]},
    {"id": "hotline", "format": "domains", "category": "csam", "legal": True,
     "authority": "Test Hotline", "entries": ["csam-only.test"]},
]
HOUSEHOLDS = f"""households:
  {HOUSEHOLD}:
    profile: 15-17
    addresses: ["{HOME_A}/32", "{HOME_B}/32"]
"""
FILES = {"households.yaml": HOUSEHOLDS}


def config(up, query_log=None):
    over = {"lists": LISTS,
            "subscribers": {"default-profile": "adult", "file": "{dir}/households.yaml"}}
    if query_log is not None:
        over["logging"] = {"query-log": query_log}
    return base_config(up.addr, **over)


def period_file(day):
    return "queries-" + day.strftime("%Y%m%d") + "T000000Z.jsonl"


def all_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def check_off(t, up):
    with t.shelterd(config(up), files=FILES) as d:
        before = set(all_files(d.dir))
        for name, source in (("fine.test", STRANGER), ("adult.test", HOME_A)):
            dig(d.port, name, "A", "-b", source)
        _, _, body = http_get(d.admin_port, "/metrics")
        made = sorted(set(all_files(d.dir)) - before)
        t.check(made == [], "off by default: no file is made in shelterd's directory", made)
        stray = [f for f in os.listdir("/tmp") if f.startswith("queries-")]
        t.check(stray == [], "nor a queries-* file in /tmp", stray)
        t.check("shelter_query_log" not in body, "no shelter_query_log_* series on /metrics")
        t.check(d.wait_for("query log", 0, 0.1) is None, "and nothing said about a query log")


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def check_on(t, up):
    today = datetime.datetime.now(datetime.timezone.utc)
    old = period_file(today - datetime.timedelta(days=30))
    recent = period_file(today - datetime.timedelta(days=2))
    files = {**FILES, f"qlog/{old}": "{}\n", f"qlog/{recent}": "{}\n",
             "qlog/operator-notes.txt": "mine\n"}
    qlog = {"enabled": True, "directory": "{dir}/qlog", "key-rotation": "24h",
            "retention": "7d"}
    with t.shelterd(config(up, qlog), files=files) as d:
        t.check(d.wait_for(r"query log: on.*1 file\(s\) past the retention deleted", 0, 1),
                "start: says the log is on and that one file past the retention went", d.log_tail())
        names = sorted(os.listdir(d.path("qlog")))
        t.check(old not in names, f"{old} (30 days old) deleted at start", names)
        t.check(recent in names and "operator-notes.txt" in names,
                "a file within the retention and a file not the log's are left", names)
        # Distinct names (and for the withheld two, distinct types) tell the lines apart: they
        # come in the order the workers flush, not the order asked.
        asked = [("fine.test", "A", STRANGER), ("other.test", "A", STRANGER),
                 ("adult.test", "A", HOME_A), ("home.test", "A", HOME_B),
                 ("csam-only.test", "TXT", STRANGER), ("www.csam-only.test", "MX", HOME_A)]
        for name, qtype, source in asked:
            dig(d.port, name, qtype, "-b", source)
        path = d.path("qlog/" + period_file(today))
        t.check(wait_until(lambda: len(read_lines(path)) >= len(asked), 3.0),
                f"one line per query in {period_file(today)} within a flush", read_lines(path))
        lines = read_lines(path)
        text = open(path).read() if os.path.exists(path) else ""
        t.equal(len(lines), len(asked), "exactly one line per query", text)
        for key in ("time", "subscriber", "qname", "qtype", "verdict", "rcode"):
            t.check(all(key in line for line in lines), f"every line has {key}", text)
        for secret in (STRANGER, HOME_A, HOME_B, HOUSEHOLD, "127.0.0"):
            t.check(secret not in text, f"{secret} is nowhere in the file", text)
        t.check("csam-only" not in text, "the legal list's name is nowhere in the file", text)
        line = {}
        for entry in lines:
            line[entry["qname"] or entry["qtype"]] = entry
        t.equal(sorted(line), sorted(["fine.test", "other.test", "adult.test", "home.test", "TXT",
                                      "MX"]), "each query's line, the withheld by type only")
        if len(line) != len(asked):
            return
        p = {k: v["subscriber"] for k, v in line.items()}
        t.check(p["fine.test"] == p["other.test"] and len(p["fine.test"]) == 16,
                "one client's two queries: one pseudonym", p)
        t.check(p["adult.test"] == p["home.test"] != p["fine.test"],
                "the household's two addresses: one pseudonym, not the stranger's", p)
        t.check(p["TXT"] == p["fine.test"] and p["MX"] == p["adult.test"],
                "the withheld lines keep their pseudonyms", p)
        fine = line["fine.test"]
        t.check(fine["verdict"] == "answered" and fine["rcode"] == "NOERROR"
                and fine["qtype"] == "A" and "list" not in fine, "an answered query", fine)
        adult = line["adult.test"]
        t.check(adult["verdict"] == "blocked" and adult["list"] == "adult-sites"
                and adult["category"] == "adult", "a block names its list and category", adult)
        for entry in (line["TXT"], line["MX"]):
            t.check(entry["qname"] is None and entry["withheld"] == "legal-list"
                    and entry["verdict"] == "blocked" and entry["list"] == "hotline"
                    and entry["category"] == "csam", "a legal list's block: name withheld", entry)
        mark = d.mark()
        d.write_config(config(up, {**qlog, "retention": "3d"}))
        d.hup()
        t.check(d.wait_for(r"logging\.query-log changed; it takes effect after a restart", mark,
                           5), "a reload that changes the log says it waits for a restart",
                d.log_tail())
        t.check(os.stat(path).st_mode & 0o777 == 0o640, "the file is not world-readable",
                oct(os.stat(path).st_mode))
        m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
        t.check((metric(m, "shelter_query_log_lines_total") or 0) >= len(asked)
                and metric(m, "shelter_query_log_dropped_total") == 0
                and metric(m, "shelter_query_log_write_errors_total") == 0,
                "/metrics: lines written, none dropped, no write errors",
                {k: v for k, v in m.items() if "query_log" in k[0]})


def check_refused(t, up):
    cases = [({"enabled": True, "directory": "/tmp/x"}, "logging.query-log.retention: is missing"),
             ({"enabled": True, "retention": "7d"}, "logging.query-log.directory: is missing"),
             ({"enabled": True, "directory": "/tmp/x", "retention": "365d"},
              "logging.query-log.retention: 365d is out of range"),
             ({"enabled": "sometimes"}, "logging.query-log.enabled")]
    for qlog, want in cases:
        from harness import Shelterd
        s = Shelterd(t.args.shelterd, config(up, qlog), files=FILES)
        try:
            r = subprocess.run([t.args.shelterd, "--check-config", "--config", s.config_path],
                               capture_output=True, text=True, timeout=10)
        finally:
            s.__exit__()
        t.check(r.returncode != 0 and want in r.stderr and "(line " in r.stderr,
                f"{qlog}: refused, naming the key and its line", r.stderr)


def main(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        t.run_cases([("off", check_off), ("on", check_on), ("refused", check_refused)], up)


if __name__ == "__main__":
    Suite("query log").main(main)
