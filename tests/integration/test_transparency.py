#!/usr/bin/env python3
"""The transparency report end to end, through real shelterd nodes.

Embedded store: blocked names from three lists (one legal) and a paused household's lookups
(parental-controls) are dug, and a listed page is asked for twice through the filtering proxy; appeals are filed through the web front's form and decided
uphold / overturn / referred (a legal list's, at once) through the admin API, with the test
clock moved between filing and deciding; a child's "Ask my parent" request is answered and
another left waiting. Then the admin API's JSON, its CSV, shelterctl report (text, --json,
--csv) and the public /transparency page all give exactly the figures the admin API's own
case lists and the digs imply; bad periods get 400; no site, URL or household name appears in
any output. After a restart the day's block counts come back from transparency.json. The
page's note says blocks are counted, not logged; with the query log on (docs/query-log.md) it
says instead what the log keeps and for how long.

Redis: two nodes sharing one redis-server; blocks dug on each add up in either node's report
and in the day's hash (shelter:v1:blocks:<day>); counts made while Redis is down are kept and
recorded once it is back, once (never twice).

shelterctl comes from $SHELTERCTL (ctest sets it), else beside shelterd in the build tree."""
import csv
import io
import json
import os
import re
import shutil
import tempfile
import time
import urllib.request
from html import unescape

from clients import ADMIN_TOKEN, api, ctl, ctl_json, http
from fake_upstream import FakeUpstream, Rule
from harness import (BLOCK_V4, Suite, base_config, dig, free_port, http_get, metric,
                     parse_metrics, wait_until)
from redis_server import RedisServer
from test_appeals import advance_clock
from test_openapi import with_test_clock

FORWARDED = "198.51.100.44"
KIDS, PAUSED = "127.0.0.2", "127.0.0.3"
NAV = ["Sec-Fetch-Dest: document", "Sec-Fetch-Mode: navigate"]
LISTS = [
    {"id": "parental", "format": "domains", "category": "adult",
     "entries": ["adult.test", "mistake.test", "upheld.test", "waiting.test", "webmaster.test"]},
    {"id": "threats", "format": "domains", "category": "malware", "entries": ["evil.test"]},
    {"id": "pages", "format": "urls", "category": "adult",
     "entries": ["http://pages.test/bad.html"]},
    {"id": "hotline", "format": "domains", "category": "csam", "legal": True,
     "authority": "Test Hotline", "appeal": "https://appeal.hotline.test/",
     "entries": ["csam.test"]},
]
HOUSEHOLDS = f"""households:
  family-kids:
    profile: under-9
    addresses: [{KIDS}/32]
  family-paused:
    profile: adult
    paused-until: "2099-01-01T00:00:00Z"
    addresses: [{PAUSED}/32]
"""
# What must never appear in any output of the report.
SECRETS = ["adult.test", "mistake.test", "upheld.test", "waiting.test", "webmaster.test",
           "evil.test", "csam.test", "open.test", "pages.test", "bad.html", "family-kids",
           "family-paused", ".test"]
_source = [40]


def fresh_source():
    _source[0] += 1
    return f"127.0.0.{_source[0]}"


class Ports:
    def __init__(self):
        self.web, self.pub = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
        self.proxy = free_port(("127.0.0.1",))


def blocked_dig(t, d, name, source, times):
    for _ in range(times):
        r = dig(d.port, name, "A", "-b", source)
        t.check(r.data("A") == [BLOCK_V4], f"{name} from {source} is blocked", r)


def report(d, query=""):
    status, body, r = api(d, "GET", "/v1/transparency" + query)
    return status, body, r


def api_csv(d, query=""):
    return http(d.admin_port, "/v1/transparency.csv" + query,
                headers=[f"Authorization: Bearer {ADMIN_TOKEN}"])


def csv_figures(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], {(s, li, c, m): v for s, li, c, m, v in rows[1:]}


def blocks_of(body):
    return {(s["list"], s["category"]): s["blocks"] for s in body["blocks"]["sources"]}


# --- appeals and requests through the web front ------------------------------------------


def file_appeal(t, w, site):
    source = fresh_source()
    form = http(w.pub, f"/appeal?site={site}", source=source)
    r = http(w.pub, "/appeal", "POST", source=source,
             data={"url": site, "reporter": "webmaster", "why": "a harmless site", "contact": "",
                   "csrf": form.field("csrf") or ""})
    m = re.fullmatch(r"/appeal/case\?id=([0-9A-Z]{8})&s=[0-9A-Z]{26}",
                     r.headers.get("location", ""))
    t.check(r.status == 303 and m, f"the appeal about {site} is taken through the web front", r)
    return m.group(1) if m else None


def decide(t, d, appeal_id, outcome):
    status, body, r = api(d, "POST", f"/v1/appeals/{appeal_id}/decision",
                          {"outcome": outcome, "reason": "reviewed", "by": "tester"})
    t.check(status == 200 and body and body.get("id") == appeal_id,
            f"appeal {appeal_id}: {outcome} through the admin API", r)


def ask(t, w, site, source):
    page = http(w.web, "/", host=site, headers=NAV, source=source)
    m = re.search(r'<form class="ask" method="post" action="/\.shelter/ask">\s*'
                  r'<input type="hidden" name="csrf" value="([^"]+)">', page.body)
    r = http(w.web, "/.shelter/ask", "POST", host=site, source=source,
             data={"csrf": m.group(1) if m else ""})
    m = re.fullmatch(r"/\.shelter/ask\?id=([0-9A-Z]{26})", r.headers.get("location", ""))
    t.check(r.status == 303 and m, f"the child asks for {site}", r)
    return m.group(1) if m else None


# --- the expected figures, from the admin API's own lists ---------------------------------


def nearest_rank(values, percent):
    if not values:
        return None
    values = sorted(values)
    rank = max(1, -(-percent * len(values) // 100))
    return values[rank - 1]


def expected_cases(d):
    _, a, _ = api(d, "GET", "/v1/appeals?status=all")
    _, q, _ = api(d, "GET", "/v1/requests?status=all")
    appeals, requests = a["appeals"], q["requests"]
    decided = [x["decided"] - x["created"] for x in appeals if x["status"] != "open"]
    answered = [x["answered"] - x["created"] for x in requests
                if x["status"] in ("allowed", "kept-blocked")]
    return {
        "appeals": {
            "received": len(appeals),
            "by_route": {r: sum(x["route"] == r for x in appeals)
                         for r in ("authority", "operator", "venue")},
            "upheld": sum(x["status"] == "upheld" for x in appeals),
            "overturned": sum(x["status"] == "overturned" for x in appeals),
            "referred": sum(x["status"] == "referred" for x in appeals),
            "open": sum(x["status"] == "open" for x in appeals),
            "time_to_decision": {"count": len(decided),
                                 "median_seconds": nearest_rank(decided, 50),
                                 "p90_seconds": nearest_rank(decided, 90)}},
        "requests": {
            "received": len(requests),
            "granted": sum(x["status"] == "allowed" for x in requests),
            "kept_blocked": sum(x["status"] == "kept-blocked" for x in requests),
            "expired": sum(x["status"] == "expired" for x in requests),
            "waiting": sum(x["status"] == "waiting" for x in requests),
            "time_to_answer": {"count": len(answered),
                               "median_seconds": nearest_rank(answered, 50),
                               "p90_seconds": nearest_rank(answered, 90)}},
    }


def without_shares(figures):
    return {k: v for k, v in figures.items() if k != "unresolved_share"}


# --- the embedded node --------------------------------------------------------------------

DNS_BLOCKS = {("parental", "adult"): 3, ("threats", "malware"): 2, ("hotline", "csam"): 1,
              ("parental-controls", "paused"): 2}
# The filtering proxy's page blocks (URL-level entries): counted per list too.
EXPECTED_BLOCKS = {**DNS_BLOCKS, ("pages", "adult"): 2}


def make_traffic(t, w, d):
    blocked_dig(t, d, "adult.test", "127.0.0.1", 3)
    blocked_dig(t, d, "evil.test", "127.0.0.1", 2)
    blocked_dig(t, d, "csam.test", "127.0.0.1", 1)
    blocked_dig(t, d, "open.test", PAUSED, 2)  # open, but the household is paused
    for _ in range(2):
        page = http(w.proxy, "/bad.html", host="pages.test", headers=NAV)
        t.check(page.status == 403, "a listed page through the filtering proxy is blocked", page)
    m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
    for (source, category), n in DNS_BLOCKS.items():
        t.equal(metric(m, "shelter_blocks_total", list=source, category=category), n,
                f'/metrics: shelter_blocks_total{{list="{source}",category="{category}"}}')
    # Appeals: filed through the web front, decided later by the test clock's minutes.
    upheld, overturned = file_appeal(t, w, "upheld.test"), file_appeal(t, w, "mistake.test")
    file_appeal(t, w, "webmaster.test")  # stays open
    file_appeal(t, w, "csam.test")  # a legal list's: referred to its authority at once
    granted, _ = ask(t, w, "adult.test", KIDS), ask(t, w, "waiting.test", KIDS)
    advance_clock(d, 120)
    p = ctl(t, d, "requests", "answer", granted or "none", "1h")
    t.check(p.returncode == 0, "the parent's answer (1h), 120 s later", p.shown)
    advance_clock(d, 480)
    decide(t, d, upheld, "uphold")
    advance_clock(d, 3000)
    decide(t, d, overturned, "overturn")


def check_report(t, w, d):
    status, body, r = report(d)
    t.check(status == 200 and body, "GET /v1/transparency: 200 with JSON", r)
    if not body:
        return None
    t.equal(body["period"]["days"], 30, "the default period is the last 30 days")
    c = body["completeness"]
    t.check(body["complete"] is False and c["blocks"] and c["appeals"] and not c["requests"],
            "30 days reach past cases.retention.request (7 days): the requests' figures say they "
            "are incomplete, the rest complete", c)
    now = advance_clock(d, 0)
    week = time.strftime("%Y-%m-%d", time.gmtime(now - 6 * 86400))
    status, recent, r = report(d, f"?from={week}")
    t.check(status == 200 and recent["complete"] is True and recent["period"]["days"] == 7
            and blocks_of(recent) == blocks_of(body),
            "the last 7 days: complete, with the same figures", r)
    t.equal(blocks_of(body), EXPECTED_BLOCKS,
            "blocks per list and category: exactly the digs (parental-controls for the pause)")
    t.equal(body["blocks"]["total"], sum(EXPECTED_BLOCKS.values()), "blocks total")
    legal = {s["list"]: s["legal"] for s in body["blocks"]["sources"]}
    t.check(legal.get("hotline") is True and legal.get("parental") is False,
            "the legal list is marked legal, the others not", legal)
    want = expected_cases(d)
    t.equal(without_shares(body["appeals"]), want["appeals"],
            "appeals: received, by route, upheld, overturned, referred, open, median and p90 "
            "time to decision, as the admin API's own list says")
    t.equal(without_shares(body["requests"]), want["requests"],
            "access requests: received, granted, kept blocked, expired, waiting and times")
    a = body["appeals"]
    t.check((a["received"], a["upheld"], a["overturned"], a["referred"], a["open"])
            == (4, 1, 1, 1, 1), "four appeals: one each upheld, overturned, referred, open", a)
    med, p90 = a["time_to_decision"]["median_seconds"], a["time_to_decision"]["p90_seconds"]
    t.check(600 <= med < 660 and 3600 <= p90 < 3660,
            f"time to decision: median {med} s (~600), p90 {p90} s (~3600)", a)
    t.equal(a["unresolved_share"], 0.25, "a quarter of the appeals is unresolved")
    q = body["requests"]
    t.check(q["received"] == 2 and q["granted"] == 1 and q["waiting"] == 1
            and 120 <= q["time_to_answer"]["median_seconds"] < 180
            and q["unresolved_share"] == 0.5,
            "two requests: one granted after ~120 s, one waiting (half unresolved)", q)
    return body


def check_csv(t, w, d, body):
    r = api_csv(d)
    t.check(r.status == 200 and r.headers.get("content-type", "").startswith("text/csv"),
            "GET /v1/transparency.csv: 200 text/csv", r)
    header, fig = csv_figures(r.body)
    t.equal(header, ["section", "list", "category", "measure", "value"], "the CSV header")
    raw = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{d.admin_port}/v1/transparency.csv",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}), timeout=5).read().decode()
    t.check(raw.count("\r\n") == len(raw.splitlines()) and raw.endswith("\r\n"),
            "CSV lines end in CRLF (RFC 4180)", raw[:300])
    for (source, category), n in EXPECTED_BLOCKS.items():
        t.equal(fig.get(("blocks", source, category, "blocks")), str(n),
                f"CSV: blocks,{source},{category}")
    t.equal(fig.get(("blocks", "hotline", "", "legal")), "true", "CSV: the hotline is legal")
    t.equal(fig.get(("blocks", "", "", "total")), str(body["blocks"]["total"]), "CSV: total")
    a, q = body["appeals"], body["requests"]
    for measure, value in [("received", a["received"]), ("upheld", a["upheld"]),
                           ("overturned", a["overturned"]), ("referred", a["referred"]),
                           ("open", a["open"]), ("received-authority", a["by_route"]["authority"]),
                           ("median-seconds-to-decision", a["time_to_decision"]["median_seconds"]),
                           ("p90-seconds-to-decision", a["time_to_decision"]["p90_seconds"])]:
        t.equal(fig.get(("appeals", "", "", measure)), str(value), f"CSV: appeals {measure}")
    for measure, value in [("received", q["received"]), ("granted", q["granted"]),
                           ("waiting", q["waiting"]),
                           ("median-seconds-to-answer", q["time_to_answer"]["median_seconds"])]:
        t.equal(fig.get(("requests", "", "", measure)), str(value), f"CSV: requests {measure}")
    return r.body


def table_rows(html):
    """{row heading: [cells]} of every table of the page."""
    rows = {}
    for head, cells in re.findall(r'<tr><th scope="row"><bdi>([^<]*)</bdi></th>(.*?)</tr>', html):
        rows.setdefault(unescape(head), []).append(
            [unescape(c) for c in re.findall(r"<td>([^<]*)</td>", cells)])
    return rows


def check_page(t, w, d, body):
    page = http(w.pub, "/transparency", headers=NAV)
    csp = page.headers.get("content-security-policy", "")
    t.check(page.status == 200 and page.h1() and "default-src 'none'" in csp,
            "GET /transparency on the public listener: 200, with the pages' strict CSP", page)
    rows = table_rows(page.body)
    t.equal(rows.get("parental"), [["adult content", "3"]], "page: parental / adult content: 3")
    t.equal(rows.get("threats"), [["harmful software", "2"]], "page: threats / malware: 2")
    t.equal(rows.get("pages"), [["adult content", "2"]], "page: the proxy's page blocks: 2")
    t.equal(rows.get("hotline (legal list)"), [["child sexual abuse material", "1"]],
            "page: the legal list, marked, with its count")
    t.equal(rows.get("A household's own settings"), [["internet paused", "2"]],
            "page: the pause, in plain words")
    t.equal(rows.get("All blocks"), [["", str(body["blocks"]["total"])]], "page: all blocks")
    a = body["appeals"]
    t.equal(rows.get("Block kept after review"), [[str(a["upheld"])]], "page: appeals upheld")
    t.equal(rows.get("Block lifted after review"), [[str(a["overturned"])]],
            "page: appeals overturned")
    t.equal(rows.get("Share still waiting"), [["25%"], ["50%"]],
            "page: the unresolved shares of appeals and requests")
    t.check(rows.get("Median time to a decision") == [["10 min"]]
            or rows.get("Median time to a decision") == [["11 min"]],
            "page: the median time to a decision in minutes", rows.get("Median time to a decision"))
    t.check('<form method="get" action="/transparency"' in page.body
            and 'name="from"' in page.body and 'name="to"' in page.body,
            "page: a plain GET form for the period", page)
    t.check('href="/transparency.csv?from=' in page.body, "page: links its CSV", page)
    t.check("blocks are counted, not logged" in page.body and "keeps a log" not in page.body,
            "page, no query log: its note says blocks are counted, not logged", page)
    t.check("only the requests of the last 7 days" in page.body and "Incomplete" not in page.body,
            "page, default period: says the requests cover their 7 days kept, not 'Incomplete'",
            page)
    old = http(w.pub, "/transparency?from=2020-01-01&to=2020-01-05", headers=NAV)
    t.check(old.status == 200 and "Incomplete" in old.body,
            "page over a period older than what is kept: 'Incomplete'", old)
    fr = http(w.pub, "/transparency", headers=NAV + ["Accept-Language: ar"])
    t.check(fr.status == 200 and 'dir="rtl"' in fr.body and 'lang="ar"' in fr.body
            and "تقرير الشفافية" in fr.body, "page: in Arabic, right to left", fr)
    pub_csv = http(w.pub, "/transparency.csv")
    t.check(pub_csv.status == 200 and pub_csv.body == api_csv(d).body,
            "GET /transparency.csv on the public listener: the API's CSV", pub_csv)
    check = http(w.pub, "/check")
    t.check('href="/transparency"' in check.body, "the check page links the report", check)
    return page.body


def check_shelterctl(t, w, d, body, csv_text):
    got, p = ctl_json(t, d, "report")
    t.check(p.returncode == 0 and got and blocks_of(got) == blocks_of(body)
            and got["appeals"] == body["appeals"],
            "shelterctl report --json: the API's report", p.shown)
    p = ctl(t, d, "report", "--csv")
    t.check(p.returncode == 0 and p.stdout == csv_text, "shelterctl report --csv: the API's CSV",
            p.shown)
    p = ctl(t, d, "report", "--from", "2020-01-01", "--to", "2020-01-05")
    t.check(p.returncode == 0 and "INCOMPLETE" in p.stdout and "2020-01-01" in p.stdout,
            "shelterctl report over an old period says it is incomplete", p.shown)
    p = ctl(t, d, "report")
    t.check(p.returncode == 0 and re.search(r"parental\s+adult\s+3", p.stdout)
            and re.search(r"hotline\s+csam\s+yes\s+1", p.stdout) and "overturned" in p.stdout,
            "shelterctl report: a table of lists and the case figures", p.shown)
    p = ctl(t, d, "report", "--from", "2026-02-30")
    t.check(p.returncode == 1 and "400" in p.stderr and "from is not a date" in p.stderr,
            "shelterctl report with a bad date: exit 1, the server's 400 reason", p.shown)
    p = ctl(t, d, "report", "--csv", "--json")
    t.check(p.returncode == 2, "shelterctl report --csv --json: a usage error", p.shown)
    p = ctl(t, d, "help", "report")
    t.check(p.returncode == 0 and "never a site" in p.stdout, "shelterctl help report", p.shown)


def check_bad_periods(t, w, d):
    now = advance_clock(d, 0)
    today = time.strftime("%Y-%m-%d", time.gmtime(now))
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(now + 86400))
    long_ago = time.strftime("%Y-%m-%d", time.gmtime(now - 400 * 86400))
    for query, says in [("?from=2026-13-01", "from is not a date"),
                        ("?to=yesterday", "to is not a date"),
                        (f"?from={today}&to=2020-01-01", "before from"),
                        (f"?to={tomorrow}", "after today"),
                        (f"?from={long_ago}&to={today}", "at most 366 days")]:
        status, body, r = report(d, query)
        t.check(status == 400 and body and says in body.get("error", ""),
                f"/v1/transparency{query}: 400 '{says}'", r)
        r = api_csv(d, query)
        t.check(r.status == 400, f"/v1/transparency.csv{query}: 400", r)
        page = http(w.pub, "/transparency" + query, headers=NAV)
        t.check(page.status == 400 and 'aria-invalid="true"' in page.body
                and "<table>" not in page.body,
                f"/transparency{query}: 400, the form says what is wrong", page)
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(now - 86400))
    status, body, r = report(d, f"?from={yesterday}&to={yesterday}")
    t.check(status == 200 and body["blocks"]["total"] == 0 and body["appeals"]["received"] == 0
            and body["period"]["days"] == 1,
            "a period of one day without traffic: all zeros", r)


def check_nothing_private(t, outputs):
    for what, text in outputs.items():
        leaked = [s for s in SECRETS if s in text]
        t.check(not leaked, f"{what}: no site, URL or household appears", leaked)


def embedded_config(up, w, state):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"file": "{dir}/households.yaml"},
        blocking={"appeal-url": f"http://127.0.0.1:{w.pub}/appeal"},
        web={"block-listen": [f"127.0.0.1:{w.web}"], "public-listen": [f"127.0.0.1:{w.pub}"],
             "organisation": "Test ISP", "check-rate": "1000/minute"},
        proxy={"address-ipv4": ["127.0.0.1"], "http-listen": [f"127.0.0.1:{w.proxy}"],
               "private-origins": ["127.0.0.0/8"], "resolvers": [up.addr]},
        admin={"token-file": "{dir}/admin.tokens"},
        **{"list-updates": {"state-directory": state}})


FILES = {"households.yaml": HOUSEHOLDS, "admin.tokens": f"tester {ADMIN_TOKEN}\n"}


def run_embedded(t, up, state):
    w = Ports()
    with with_test_clock(t.shelterd(embedded_config(up, w, state), FILES)) as d:
        with t.case("traffic"):
            make_traffic(t, w, d)
        with t.case("report"):
            body = check_report(t, w, d)
        if not body:
            return
        outputs = {"JSON": json.dumps(body, ensure_ascii=False)}
        with t.case("csv"):
            outputs["CSV"] = check_csv(t, w, d, body)
        with t.case("page"):
            outputs["page"] = check_page(t, w, d, body)
        with t.case("shelterctl"):
            check_shelterctl(t, w, d, body, outputs["CSV"])
        with t.case("bad periods"):
            check_bad_periods(t, w, d)
        check_nothing_private(t, outputs)
        offset = advance_clock(d, 0) - int(time.time())
    with t.case("restart"):
        path = os.path.join(state, "transparency.json")
        t.check(os.path.exists(path), "transparency.json is in the state directory")
        w = Ports()
        with with_test_clock(t.shelterd(embedded_config(up, w, state), FILES)) as d:
            advance_clock(d, offset)  # the same day as before the restart
            status, again, r = report(d)
            t.check(status == 200 and again and blocks_of(again) == EXPECTED_BLOCKS,
                    "after a restart the block counts come back from transparency.json", r)
    with t.case("query log on"):
        check_query_log_note(t, up)


def check_query_log_note(t, up):
    w = Ports()
    cfg = embedded_config(up, w, "{dir}/state")
    cfg["logging"] = {"query-log": {"enabled": True, "directory": "{dir}/queries",
                                    "retention": "7d", "key-rotation": "1h"}}
    with t.shelterd(cfg, FILES):
        page = http(w.pub, "/transparency", headers=NAV)
        note = page.body.partition('<p class="note">')[2].partition("</p>")[0]
        t.check("Test ISP keeps a log of the names looked up on this network, for 7 days." in note
                and "a code that changes every hour" in note
                and "names on legal lists are never written in it" in note,
                "the note says who keeps the log, for how long, and what it leaves out", note)
        t.check("counted, not logged" not in page.body, "and no longer that nothing is logged",
                note)
        es = http(w.pub, "/transparency", headers=NAV + ["Accept-Language: es"])
        t.check("durante 7 días" in es.body and "cada hora" in es.body
                and "no se registran" not in es.body, "in Spanish", es)


# --- two nodes on one Redis ---------------------------------------------------------------

PASSWORD = "s3cret-for-transparency"


def redis_config(up, redis, w, shared):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"store": "redis"},
        redis={"servers": [f"127.0.0.1:{redis.port}"], "password": PASSWORD,
               "lookup-timeout": "1s", "connect-timeout": "300ms", "command-timeout": "1s"},
        web={"block-listen": [f"127.0.0.1:{w.web}"], "public-listen": [f"127.0.0.1:{w.pub}"]},
        admin={"token-file": os.path.join(shared, "admin.tokens")})


def seed(redis):
    redis.pipe([["SET", "shelter:schema", "1"]])


def day_hash(redis, day):
    out = redis.cli("HGETALL", f"shelter:v1:blocks:{day}").splitlines()
    return {tuple(out[i].split("\t")): int(out[i + 1]) for i in range(0, len(out) - 1, 2)}


def check_fleet(t, redis, a, b):
    blocked_dig(t, a, "adult.test", "127.0.0.1", 2)
    blocked_dig(t, b, "adult.test", "127.0.0.1", 3)
    blocked_dig(t, b, "evil.test", "127.0.0.1", 1)
    want = {("parental", "adult"): 5, ("threats", "malware"): 1}

    def both():
        return [blocks_of(report(d)[1] or {"blocks": {"sources": []}}) for d in (a, b)]

    took = wait_until(lambda: both() == [want, want], 5.0, step=0.2)
    t.check(took is not None, f"each node's report adds up both nodes' blocks "
            f"({'never' if took is None else f'{took:.1f} s'})", both())
    day = report(a)[1]["period"]["to"]
    took = wait_until(lambda: day_hash(redis, day) == want, 5.0, step=0.2)
    t.check(took is not None, f"the day's hash shelter:v1:blocks:{day} holds the sum",
            day_hash(redis, day))
    ttl = int(redis.cli("TTL", f"shelter:v1:blocks:{day}").strip() or -2)
    t.check(365 * 86400 < ttl <= 366 * 86400,
            "the day's hash expires after cases.retention.closed-appeal (365 days)", ttl)


def check_outage(t, redis, a, b):
    redis.kill()
    blocked_dig(t, a, "evil.test", "127.0.0.1", 2)
    time.sleep(2.5)  # flushes fail meanwhile (every second under --test-clock)
    status, _, r = report(a)
    t.check(status == 503, "while Redis is down the report is 503 (its days cannot be read)", r)
    redis.start()  # empty: the counts before the outage are gone with it
    seed(redis)
    want = {("threats", "malware"): 2}
    day = time.strftime("%Y-%m-%d", time.gmtime(advance_clock(a, 0)))
    took = wait_until(lambda: day_hash(redis, day) == want, 15.0, step=0.3)
    t.check(took is not None, "the counts made during the outage are recorded once Redis is back",
            day_hash(redis, day))
    time.sleep(2.5)
    t.equal(day_hash(redis, day), want, "...and only once (a kept batch is not added twice)")


def run_fleet(t, up):
    shared = tempfile.mkdtemp(prefix="shelter-transparency-fleet-")
    redis = RedisServer(password=PASSWORD).start()
    try:
        with open(os.path.join(shared, "admin.tokens"), "w") as f:
            f.write(f"tester {ADMIN_TOKEN}\n")
        seed(redis)
        wa, wb = Ports(), Ports()
        node_a = with_test_clock(t.shelterd(redis_config(up, redis, wa, shared)))
        node_b = with_test_clock(t.shelterd(redis_config(up, redis, wb, shared)))
        with node_a as a, node_b as b:
            with t.case("fleet"):
                check_fleet(t, redis, a, b)
            with t.case("redis outage"):
                check_outage(t, redis, a, b)
    finally:
        redis.stop()
        shutil.rmtree(shared, ignore_errors=True)


def body(t):
    state = tempfile.mkdtemp(prefix="shelter-transparency-state-")
    try:
        with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
            run_embedded(t, up, state)
            run_fleet(t, up)
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    Suite("transparency").main(body)
