#!/usr/bin/env python3
"""Appeals and "Ask my parent" through one shelterd with the embedded case store: a child's
request answered with shelterctl (the grant for that household only, ended by the test clock),
a parent's "keep blocked", asks refused (no or foreign CSRF token, cross-site, an address that
is no household's), an appeal from the block page's signed link (pre-filled, escaped, listed,
overturned: the site resolves for everyone and check.json says "allowed"), an upheld appeal
and a second decision refused, a webmaster's appeal without a token, a legal list's appeal
referred at once (the referral command gets the JSON; an overturn is refused), tampered and
expired tokens, CSRF and the rate limit on the appeal form, check.json (a legal list never
tells which URL), the admin API's bearer token, /metrics, and the cases surviving a restart.

shelterctl comes from $SHELTERCTL (ctest sets it), else beside shelterd in the build tree."""
import json
import os
import re
import shlex
import shutil
import stat
import tempfile
import time
import urllib.parse

from clients import ADMIN_TOKEN, api, ctl, ctl_json, http
from fake_upstream import FakeUpstream, Rule
from harness import (BLOCK_V4, Suite, base_config, dig, free_port, http_get, metric,
                     parse_metrics, wait_until)

FORWARDED = "198.51.100.44"
ORG = "Test ISP"
# Source addresses: three households, one removed mid-run, and one that is nobody's.
KIDS, TEEN, OTHER_KIDS = "127.0.0.2", "127.0.0.3", "127.0.0.4"
GONE, STRANGER = "127.0.0.6", "127.0.0.5"
NAV = ["Sec-Fetch-Dest: document", "Sec-Fetch-Mode: navigate"]
LEGAL_URL = "http://legalpages.test/abuse/1.jpg"
LISTS = [
    {"id": "parental", "format": "domains", "category": "adult",
     "entries": ["adult.test", "mistake.test", "upheld.test", "webmaster.test", "ratelimit.test",
                 "gone.test"]},
    {"id": "hotline", "format": "domains", "category": "csam", "legal": True,
     "authority": "Test Hotline", "appeal": "https://appeal.hotline.test/",
     "entries": ["csam.test"]},
    {"id": "hotline-urls", "format": "urls", "category": "csam", "legal": True,
     "authority": "Test Hotline", "appeal": "https://appeal.hotline.test/", "entries": [LEGAL_URL]},
]
HOUSEHOLD_KIDS = """  kids:
    profile: under-9
    addresses: [127.0.0.2/32]
  teen:
    profile: 15-17
    addresses: [127.0.0.3/32]
  others:
    profile: under-9
    addresses: [127.0.0.4/32]
"""
HOUSEHOLDS = "households:\n" + HOUSEHOLD_KIDS + """  gone:
    profile: under-9
    addresses: [127.0.0.6/32]
"""
# The referral command: writes what it reads to the file named by its argument.
REFER_SH = "#!/bin/sh\ncat > \"$1.part\" && mv \"$1.part\" \"$1\"\n"

_next_source = [20]


def fresh_source():
    """A loopback address of its own for one appeal, so web.appeal-rate (per address) holds."""
    _next_source[0] += 1
    return f"127.0.0.{_next_source[0]}"


def answer(d, name, source="127.0.0.1"):
    r = dig(d.port, name, "A", "-b", source)
    return r.data("A") or [r.status]


def resolves(d, name, source="127.0.0.1", timeout=2.0):
    """Seconds until name resolved (the forwarded address) from source, or None."""
    return wait_until(lambda: answer(d, name, source) == [FORWARDED], timeout, step=0.05)


def advance_clock(d, seconds):
    status, body, r = api(d, "POST", "/v1/test/clock", {"advance": seconds})
    if status != 200 or not body or "now" not in body:
        raise RuntimeError(f"the test clock did not move: {r}")
    return body["now"]


def start_of_minute(d):
    """Moves the test clock to one second past a minute. A decision token is issued at the
    minute its page was made (rounded down), so with web.token-lifetime 1m it holds only until
    the minute ends: starting there leaves the test 59 s."""
    now = advance_clock(d, 0)
    step = (61 - now % 60) % 60
    if step:
        advance_clock(d, step)


def daemon(t, cfg, files):
    """t.shelterd, started with --test-clock, with the referral script executable."""
    wrapped = t.shelterd(cfg, files)
    d = wrapped.d
    launcher = d.path("shelterd-test-clock")
    with open(launcher, "w") as f:
        f.write(f"#!/bin/sh\nexec {shlex.quote(os.path.abspath(d.binary))} --test-clock \"$@\"\n")
    os.chmod(launcher, 0o755)
    d.binary = launcher
    if os.path.exists(d.path("refer.sh")):
        os.chmod(d.path("refer.sh"), 0o755)
    return wrapped


# --- the pages ----------------------------------------------------------------------------


def blocked(w, token):
    """The public /blocked page for a token, as a browser navigates to it."""
    return http(w.pub, f"/blocked?t={token}", headers=NAV)


def block_page(w, site, source="127.0.0.1"):
    return http(w.web, "/", host=site, headers=NAV, source=source)


def report_token(page):
    m = re.search(r'href="http://127\.0\.0\.1:\d+/appeal\?t=([A-Za-z0-9_.\-]+)"', page.body)
    return m.group(1) if m else None


def ask_csrf(page):
    m = re.search(r'<form class="ask" method="post" action="/\.shelter/ask">\s*'
                  r'<input type="hidden" name="csrf" value="([^"]+)">', page.body)
    return m.group(1) if m else None


def ask(w, site, source, csrf, headers=()):
    data = {} if csrf is None else {"csrf": csrf}
    return http(w.web, "/.shelter/ask", "POST", host=site, data=data, headers=headers,
                source=source)


def request_id(resp):
    m = re.fullmatch(r"/\.shelter/ask\?id=([0-9A-Z]{26})", resp.headers.get("location", ""))
    return m.group(1) if m else None


def appeal_form(w, query="", source="127.0.0.1"):
    return http(w.pub, "/appeal" + query, source=source)


def submit_appeal(w, form, source, **fields):
    """POSTs the appeal form `form` (its csrf and t) with fields, from source."""
    data = {"url": fields.pop("url", form.field("url") or ""), "reporter": "other",
            "why": "It is a harmless site", "contact": ""}
    data.update(fields)
    if form.field("t") is not None and "t" not in fields:
        data["t"] = form.field("t")
    if "csrf" not in fields:
        data["csrf"] = form.field("csrf") or ""
    data = {k: v for k, v in data.items() if v is not None}
    return http(w.pub, "/appeal", "POST", data=data, source=source)


def case_link(resp):
    m = re.fullmatch(r"/appeal/case\?id=([0-9A-Z]{8})&s=([0-9A-Z]{26})",
                     resp.headers.get("location", ""))
    return (m.group(1), m.group(2)) if m else (None, None)


def file_appeal(t, w, what, query="", **fields):
    """Form, then submission, from an address of its own: (id, secret, form, answer)."""
    source = fresh_source()
    form = appeal_form(w, query, source)
    r = submit_appeal(w, form, source, **fields)
    appeal_id, secret = case_link(r)
    t.check(r.status == 303 and appeal_id, f"{what}: the appeal is taken (303 to its case page)",
            f"{form}\n---\n{r}")
    return appeal_id, secret, form, r


def case_page(w, appeal_id, secret):
    return http(w.pub, f"/appeal/case?id={appeal_id}&s={secret}")


def counts(d):
    _, appeals, _ = api(d, "GET", "/v1/appeals?status=all")
    _, requests, _ = api(d, "GET", "/v1/requests?status=all")
    return (len(appeals["appeals"]) if appeals else None,
            len(requests["requests"]) if requests else None)


# --- cases --------------------------------------------------------------------------------


def check_site_json(t, w, d):
    def get(site):
        r = http(w.pub, "/check.json?site=" + urllib.parse.quote(site, safe=""))
        try:
            return r, json.loads(r.body)
        except ValueError:
            return r, None

    r, j = get("open.test")
    t.check(r.status == 200 and j == {"site": "open.test", "verdict": "open"},
            "check.json: a site on no list is open", r)
    r, j = get("https://ADULT.test/some/page?q=1")
    t.check(r.status == 200 and j and j.get("verdict") == "blocked"
            and j.get("site") == "adult.test" and j.get("list") == "parental"
            and j.get("category") == "adult"
            and j.get("appeal", "").endswith("/appeal?site=adult.test"),
            "check.json: a listed site is blocked, with its list, category and appeal link", r)
    r, j = get("csam.test")
    t.check(r.status == 200 and j and j.get("verdict") == "restricted"
            and j.get("authority") == "Test Hotline" and "list" not in j and "category" not in j,
            "check.json: a legal list's site says only 'restricted' and the authority", r)
    answers = [get(s) for s in ("legalpages.test", LEGAL_URL, "http://legalpages.test/elsewhere",
                                "https://legalpages.test/abuse/")]
    bodies = {r.body for r, _ in answers}
    t.check(len(bodies) == 1 and answers[0][1] and answers[0][1].get("verdict") == "restricted"
            and "abuse" not in answers[0][0].body and "1.jpg" not in answers[0][0].body,
            "check.json: a legal URL, other URLs on its host and the host give one and the same "
            "answer ('restricted'), never the path", "\n".join(r.body for r, _ in answers))
    r, _ = get("not a site")
    t.check(r.status == 400, "check.json: something that is not a site: 400", r)


def check_admin_auth(t, w, d):
    status, _, r = api(d, "GET", "/v1/appeals", token=None)
    t.check(status == 401 and "bearer" in r.headers.get("www-authenticate", "").lower(),
            "admin API without a token: 401 with WWW-Authenticate", r)
    status, _, r = api(d, "GET", "/v1/requests", token="x" * 40)
    t.check(status == 401, "admin API with a wrong token: 401", r)
    p = ctl(t, d, "appeals", "list", token="y" * 40)
    t.check(p.returncode == 1 and "401" in p.stderr, "shelterctl with a wrong token: exit 1, 401",
            p.shown)
    status, _, r = api(d, "GET", "/v1/appeals")
    t.check(status == 200, "admin API with the token: 200", r)
    t.check(http_get(d.admin_port, "/metrics")[0] == 200, "/metrics needs no token")


def check_ask_answered(t, w, d):
    page = block_page(w, "adult.test", KIDS)
    csrf = ask_csrf(page)
    t.check(page.status == 403 and 'class="child"' in page.body and csrf
            and "Ask my parent" in page.body,
            "a child's block page has the 'Ask my parent' form with its CSRF token", page)
    r = ask(w, "adult.test", KIDS, csrf)
    rid = request_id(r)
    t.check(r.status == 303 and rid, "asking: 303 to the request's status page", r)
    if not rid:
        return
    again = ask(w, "adult.test", KIDS, csrf)
    t.check(request_id(again) == rid, "asking twice makes one request (the same id)", again)
    status = http(w.web, f"/.shelter/ask?id={rid}", host="adult.test", source=KIDS)
    t.check(status.status == 200 and status.h1() == "Your request has been sent",
            "the status page: 'Your request has been sent'", status)
    other = http(w.web, f"/.shelter/ask?id={rid}", host="adult.test", source=OTHER_KIDS)
    t.check(other.status == 404 and "adult.test" not in other.body,
            "another household cannot see the request (404)", other)
    listed, p = ctl_json(t, d, "requests", "list")
    mine = [q for q in (listed or {}).get("requests", []) if q.get("id") == rid]
    t.check(len(mine) == 1 and mine[0].get("site") == "adult.test"
            and mine[0].get("household") == "kids" and mine[0].get("status") == "waiting",
            "shelterctl requests list: the request, waiting, for household kids", p.shown)
    p = ctl(t, d, "requests", "answer", rid, "15m")
    t.check(p.returncode == 0, "shelterctl requests answer ID 15m: exit 0", p.shown)
    took = resolves(d, "adult.test", KIDS)
    t.check(took is not None, f"the household resolves the site now "
            f"({'never' if took is None else f'{took * 1000:.0f} ms'})", dig(d.port, "adult.test",
                                                                               "A", "-b", KIDS))
    t.equal(answer(d, "adult.test", OTHER_KIDS), [BLOCK_V4],
            "another household (same profile) is still blocked")
    t.equal(answer(d, "adult.test", "127.0.0.1"), [BLOCK_V4],
            "an unidentified client is still blocked")
    status = http(w.web, f"/.shelter/ask?id={rid}", host="adult.test", source=KIDS)
    t.check(status.status == 200 and status.h1() == "You can use this site now"
            and 'href="http://adult.test/"' in status.body,
            "the status page: 'You can use this site now', with a link to the site", status)
    again = ctl(t, d, "requests", "answer", rid, "1h")
    t.check(again.returncode == 1 and "409" in again.stderr,
            "answering the same request twice: exit 1 (409)", again.shown)
    advance_clock(d, 901)
    t.equal(answer(d, "adult.test", KIDS), [BLOCK_V4],
            "901 s later (test clock) the 15-minute grant has ended: blocked again")
    status = http(w.web, f"/.shelter/ask?id={rid}", host="adult.test", source=KIDS)
    t.check(status.status == 200 and status.h1() == "This request has ended",
            "the status page: 'This request has ended'", status)
    listed, p = ctl_json(t, d, "requests", "list", "--all")
    mine = [q for q in (listed or {}).get("requests", []) if q.get("id") == rid]
    t.check(mine and mine[0].get("status") == "expired",
            "shelterctl requests list --all: the request shows as expired", p.shown)


def check_ask_kept_blocked(t, w, d):
    page = block_page(w, "adult.test", TEEN)
    csrf = ask_csrf(page)
    t.check('class="teen"' in page.body and "Ask for access" in page.body and csrf,
            "a teen's block page has 'Ask for access'", page)
    rid = request_id(ask(w, "adult.test", TEEN, csrf))
    p = ctl(t, d, "requests", "answer", rid or "none", "keep-blocked", "--by", "Mum")
    t.check(rid and p.returncode == 0, "shelterctl requests answer ID keep-blocked: exit 0",
            p.shown)
    status = http(w.web, f"/.shelter/ask?id={rid}", host="adult.test", source=TEEN)
    t.check(status.status == 200 and status.h1() == "This site stays turned off",
            "the status page: 'This site stays turned off'", status)
    t.equal(answer(d, "adult.test", TEEN), [BLOCK_V4], "the site stays blocked for the teen")
    _, body, r = api(d, "GET", "/v1/requests?status=answered")
    mine = [q for q in (body or {}).get("requests", []) if q.get("id") == rid]
    t.check(mine and mine[0].get("status") == "kept-blocked"
            and mine[0].get("answer") == "keep-blocked"
            and "Mum" in mine[0].get("answered_by", ""),
            "the admin API lists it kept-blocked, answered by the given name", r)


def check_ask_refused(t, w, d):
    before = counts(d)
    kids_csrf = ask_csrf(block_page(w, "upheld.test", KIDS))
    others_csrf = ask_csrf(block_page(w, "upheld.test", OTHER_KIDS))
    for what, source, csrf, headers in [
        ("without a CSRF token", KIDS, None, ()),
        ("with an empty CSRF token", KIDS, "", ()),
        ("with Sec-Fetch-Site: cross-site", KIDS, kids_csrf, ("Sec-Fetch-Site: cross-site",)),
        ("with Sec-Fetch-Site: same-site", KIDS, kids_csrf, ("Sec-Fetch-Site: same-site",)),
        ("with another address's token", KIDS, others_csrf, ()),
        ("with a tampered token", KIDS, (kids_csrf or "x")[:-3] + "AAA", ()),
    ]:
        r = ask(w, "upheld.test", source, csrf, headers)
        t.check(r.status == 403 and "location" not in r.headers, f"an ask {what}: 403", r)
    t.equal(counts(d), before, "nothing was stored by the refused asks")
    r = ask(w, "upheld.test", KIDS, kids_csrf, ("Sec-Fetch-Site: same-origin",))
    t.check(r.status == 303 and request_id(r), "the same ask with Sec-Fetch-Site: same-origin: 303",
            r)


def check_ask_unidentified(t, w, d):
    page = block_page(w, "adult.test", STRANGER)
    t.check(page.status == 403 and 'class="ask"' not in page.body
            and "Ask my parent" not in page.body and ask_csrf(page) is None,
            "an address that is no household's: no 'Ask my parent' on its page", page)
    before = counts(d)
    r = ask(w, "adult.test", STRANGER, None)
    t.check(r.status == 403 and "location" not in r.headers,
            "...and a POST from it (no form token was ever issued to it): 403", r)
    # An address that was a household's when its page was shown, and is not any more: its
    # token is genuine, but there is nobody to ask.
    csrf = ask_csrf(block_page(w, "gone.test", GONE))
    t.check(csrf is not None, "a household's page had the ask form")
    mark = d.mark()
    d.write_file("households.yaml", "households:\n" + HOUSEHOLD_KIDS)
    d.hup()
    t.check(d.wait_for("reload: ok", mark, 5) is not None, "the household was removed (reload ok)",
            d.log_tail(4))
    r = ask(w, "gone.test", GONE, csrf)
    t.check(r.status == 303 and r.headers.get("location") == "/",
            "a POST with that token from the now unidentified address: 303 to /", r)
    t.equal(counts(d), before, "nothing was stored for the unidentified address")


def check_appeal_overturned(t, w, d):
    start_of_minute(d)
    page = block_page(w, "mistake.test")
    token = report_token(page)
    t.check(page.status == 403 and token, "the block page links 'Report a mistake' to "
            "<appeal-url>?t=<signed token>", page)
    source = fresh_source()
    form = appeal_form(w, f"?t={token}", source)
    t.check(form.status == 200 and form.field("url") == "mistake.test" and form.field("t") == token
            and form.field("csrf"), "the token pre-fills the appeal form's url (and rides along)",
            form)
    hostile_why = "<script>alert('why')</script> a school's <b>site</b> & more"
    hostile_url = "http://mistake.test/\"><script>alert(1)</script>?q='<img>"
    r = submit_appeal(w, form, source, url=hostile_url, reporter="parent", why=hostile_why,
                      contact="parent@example.test")
    appeal_id, secret = case_link(r)
    t.check(r.status == 303 and appeal_id, "the appeal is taken: 303 to /appeal/case?id=&s=", r)
    if not appeal_id:
        return None
    status = case_page(w, appeal_id, secret)
    t.check(status.status == 200 and f"Report {appeal_id}" in status.body
            and "Waiting for review" in status.body and "mistake.test" in status.body,
            "the case page: the id, the site, 'Waiting for review'", status)
    t.check("<script" not in status.body and "<img" not in status.body
            and "alert(" not in status.body,
            "the case page shows none of the hostile text unescaped", status)
    wrong = case_page(w, appeal_id, "A" * 26)
    t.check(wrong.status == 404 and "mistake.test" not in wrong.body,
            "the case page with a wrong secret: 404", wrong)
    p = ctl(t, d, "appeals", "list")
    t.check(p.returncode == 0 and appeal_id in p.stdout and "mistake.test" in p.stdout,
            "shelterctl appeals list shows it", p.shown)
    _, full, r = api(d, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("why") == hostile_why and full.get("url") == hostile_url
            and full.get("reporter") == "parent" and full.get("route") == "operator"
            and full.get("list") == "parental" and full.get("status") == "open"
            and full.get("contact") == "parent@example.test",
            "the admin API holds the appeal as given (why, url, reporter, route, list)", r)
    p = ctl(t, d, "appeals", "decide", appeal_id, "overturn", "--reason",
            "A school site, listed by mistake")
    t.check(p.returncode == 0, "shelterctl appeals decide ID overturn: exit 0", p.shown)
    for who, source in (("an unidentified client", "127.0.0.1"), ("a child", KIDS),
                        ("a teen", TEEN)):
        took = resolves(d, "mistake.test", source)
        t.check(took is not None, f"after the overturn the site resolves for {who}",
                dig(d.port, "mistake.test", "A", "-b", source))
    r = http(w.pub, "/check.json?site=mistake.test")
    t.check('"verdict":"allowed"' in r.body, "check.json says 'allowed'", r)
    status = case_page(w, appeal_id, secret)
    t.check("Reviewed: the block was removed" in status.body
            and "no longer blocked" in status.body
            and "A school site, listed by mistake" in status.body,
            "the case page says the block was removed, and why", status)
    again = ctl(t, d, "appeals", "decide", appeal_id, "uphold", "--reason", "second thoughts")
    t.check(again.returncode == 1 and "409" in again.stderr,
            "deciding the same appeal twice: exit 1 (409)", again.shown)
    return appeal_id, secret


def check_appeal_escaping(t, w, d):
    source = fresh_source()
    form = appeal_form(w, "?site=" + urllib.parse.quote('"><script>alert(1)</script>'), source)
    t.check(form.status == 200 and "<script>" not in form.body
            and "&quot;&gt;&lt;script&gt;" in form.body,
            "?site= with HTML metacharacters is pre-filled escaped", form)
    r = submit_appeal(w, form, source, url='http://x.test/"><script>alert(2)</script>',
                      why="<script>alert(3)</script>", reporter="nobody")
    t.check(r.status == 400 and "<script>" not in r.body and "&lt;script&gt;alert(3)" in r.body
            and "Choose who you are" in r.body,
            "a refused submission re-renders the form with errors, the input escaped", r)
    r = submit_appeal(w, form, source, url="", why="   ", reporter="other")
    t.check(r.status == 400 and "Enter the address of a site" in r.body
            and "Tell us why" in r.body, "an empty url and why: 400, an error for each", r)


def check_appeal_upheld(t, w, d):
    appeal_id, secret, _, _ = file_appeal(t, w, "upheld", "?site=upheld.test", reporter="child",
                                          why="I need it for homework")
    if not appeal_id:
        return
    p = ctl(t, d, "appeals", "decide", appeal_id, "uphold", "--reason", "Adult <content> & more",
            "--by", "Reviewer")
    t.check(p.returncode == 0, "shelterctl appeals decide ID uphold: exit 0", p.shown)
    status = case_page(w, appeal_id, secret)
    t.check("Reviewed: the block stays" in status.body
            and "Adult &lt;content&gt; &amp; more" in status.body
            and "<content>" not in status.body,
            "the case page: the block stays, the reason escaped", status)
    t.equal(answer(d, "upheld.test"), [BLOCK_V4], "an upheld appeal leaves the site blocked")
    _, full, r = api(d, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("status") == "upheld" and "Reviewer" in full.get("decided_by", ""),
            "the admin API: upheld, decided by the token's name and --by", r)
    p = ctl(t, d, "appeals", "list")
    t.check(appeal_id not in p.stdout, "a decided appeal leaves the open list", p.shown)
    p = ctl(t, d, "appeals", "list", "--closed")
    t.check(appeal_id in p.stdout, "...and is in the closed list", p.shown)


def check_appeal_webmaster(t, w, d):
    form = appeal_form(w, "?site=webmaster.test")
    t.check(form.field("url") == "webmaster.test" and form.field("t") is None,
            "/appeal?site= pre-fills the url, without a token", form)
    appeal_id, secret, _, _ = file_appeal(t, w, "webmaster", "?site=webmaster.test",
                                          reporter="webmaster", why="I run this site: a bakery",
                                          contact="owner@webmaster.test")
    _, full, r = api(d, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("route") == "operator" and full.get("reporter") == "webmaster"
            and full.get("list") == "parental" and full.get("category") == "adult"
            and full.get("legal") is False and full.get("status") == "open",
            "a webmaster's appeal without a token: route operator, the list found from the lists",
            r)
    status = case_page(w, appeal_id, secret)
    t.check("Waiting for review" in status.body and ORG in status.body,
            "its case page names the operator as the reviewer", status)
    return appeal_id


def check_appeal_legal(t, w, d):
    why = "This is my own photo <b>"
    appeal_id, secret, _, _ = file_appeal(t, w, "legal", "?site=" + urllib.parse.quote(LEGAL_URL),
                                          url=LEGAL_URL, reporter="webmaster", why=why,
                                          contact="me@legalpages.test")
    if not appeal_id:
        return
    _, full, r = api(d, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("status") == "referred" and full.get("route") == "authority"
            and full.get("legal") is True, "a legal list's appeal is referred at once", r)
    status = case_page(w, appeal_id, secret)
    t.check(status.status == 200 and ("Sent to the list&apos;s authority" in status.body
                                      or "Sent to the list's authority" in status.body),
            "its case page: sent to the list's authority", status)
    t.check("legalpages" not in status.body and "abuse" not in status.body,
            "...never naming the site or URL", status)
    t.check("sent to Test Hotline" in status.body and "sent to ," not in status.body,
            "...and naming the authority it was sent to", status)
    t.check(full and full.get("list") == "hotline-urls",
            "the case records the legal list that blocks it (for the referral)", r)
    path = d.path("referral.json")
    took = wait_until(lambda: os.path.exists(path), 5.0, step=0.05)
    referral = None
    if took is not None:
        with open(path) as f:
            text = f.read()
        try:
            referral = json.loads(text)
        except ValueError:
            referral = None
    t.check(referral and referral.get("case") == appeal_id and referral.get("url") == LEGAL_URL
            and referral.get("operator") == ORG and referral.get("reason") == why
            and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", referral.get("received", "")),
            "the referral command got JSON with case, url, operator, received, reason",
            f"{referral!r}\n{d.log_tail(5)}")
    t.check(referral and referral.get("list") == "hotline-urls",
            "...and the list, so the authority knows which of its lists", referral)
    delivered = wait_until(lambda: (api(d, "GET", f"/v1/appeals/{appeal_id}")[1] or {})
                           .get("referral", {}).get("delivered") is True, 5.0, step=0.1)
    t.check(delivered is not None, "the case records the referral as delivered",
            api(d, "GET", f"/v1/appeals/{appeal_id}")[2])
    p = ctl(t, d, "appeals", "decide", appeal_id, "overturn", "--reason", "looks fine to me")
    t.check(p.returncode == 1 and ("409" in p.stderr or "400" in p.stderr),
            "shelterctl appeals decide ID overturn on a legal appeal: refused (exit 1)", p.shown)
    r = http(w.pub, "/check.json?site=legalpages.test")
    t.check('"verdict":"restricted"' in r.body, "the legal block stands", r)
    t.equal(answer(d, "csam.test"), [BLOCK_V4], "the legal list still blocks")


def tamper(token):
    kid, payload, mac = token.split(".")
    i = len(payload) // 2
    payload = payload[:i] + ("B" if payload[i] != "B" else "C") + payload[i + 1:]
    return ".".join((kid, payload, mac))


def check_tokens(t, w, d):
    start_of_minute(d)
    token = report_token(block_page(w, "upheld.test"))
    r = blocked(w, token)
    t.check(r.status == 403 and "upheld.test" in r.body and 'class="general"' in r.body,
            "/blocked?t=TOKEN: the block page from the token's facts", r)
    for what, bad in (("one character of the payload flipped", tamper(token or "a.bb.c")),
                      ("the MAC cut short", (token or "")[:-2]),
                      ("not a token", "garbage")):
        r = blocked(w, bad)
        t.check(r.status == 400 and ("couldn&apos;t confirm why this was blocked" in r.body
                                     or "couldn't confirm why this was blocked" in r.body),
                f"/blocked, {what}: 400 'We couldn't confirm why this was blocked'", r)
        t.check("upheld.test" not in r.body, f"/blocked, {what}: no site from the token", r)
        form = appeal_form(w, f"?t={bad}")
        t.check(form.status == 200 and form.field("url") == "" and form.field("t") is None,
                f"/appeal, {what}: no pre-fill and no token in the form", form)


def check_token_expiry(t, w, d):
    start_of_minute(d)
    token = report_token(block_page(w, "upheld.test"))
    r = blocked(w, token)
    t.check(r.status == 403 and "upheld.test" in r.body, "a fresh token is accepted", r)
    advance_clock(d, 120)
    r = blocked(w, token)
    t.check(r.status == 400 and "upheld.test" not in r.body,
            "the same token 120 s later (web.token-lifetime 1m): refused (400)", r)
    form = appeal_form(w, f"?t={token}")
    t.check(form.field("url") == "" and form.field("t") is None,
            "...and it no longer pre-fills the appeal form", form)
    # A link made in the last seconds of a minute: its issue time is rounded down to the
    # minute, but it should still carry its facts for the configured minute.
    now = advance_clock(d, 0)
    advance_clock(d, (58 - now % 60) % 60)
    token = report_token(block_page(w, "upheld.test"))
    advance_clock(d, 3)
    r = blocked(w, token)
    t.check(r.status == 403 and "upheld.test" in r.body,
            "a token 3 s old is still accepted (web.token-lifetime 1m)", r)


def check_csrf(t, w, d):
    before = counts(d)
    form = appeal_form(w, "?site=upheld.test", "127.0.0.1")
    fields = {"reporter": "other", "why": "test"}
    for what, source, extra in [
        ("without a CSRF token", fresh_source(), {"csrf": None}),
        ("with a token issued to 127.0.0.1, posted from 127.0.0.3", TEEN, {}),
        ("with a tampered token", "127.0.0.1", {"csrf": tamper(form.field("csrf") or "a.bb.c")}),
    ]:
        r = submit_appeal(w, form, source, **fields, **extra)
        t.check(r.status == 400 and "came from somewhere else" in r.body
                and "location" not in r.headers,
                f"an appeal {what}: 400 with the form's error", r)
    source = fresh_source()
    own = appeal_form(w, "?site=upheld.test", source)
    r = http(w.pub, "/appeal", "POST", source=source, headers=("Sec-Fetch-Site: cross-site",),
             data={"url": "upheld.test", "reporter": "other", "why": "x",
                   "csrf": own.field("csrf")})
    t.check(r.status == 400 and "came from somewhere else" in r.body,
            "an appeal with a valid token but Sec-Fetch-Site: cross-site: 400", r)
    t.equal(counts(d), before, "nothing was stored by the refused appeals")


def check_rate_limit(t, w, d):
    source = "127.0.0.9"
    form = appeal_form(w, "?site=ratelimit.test", source)
    got = [submit_appeal(w, form, source, why="") for _ in range(3)]  # refused, but counted
    t.check([r.status for r in got[:2]] == [400, 400],
            "web.appeal-rate 2/hour: the first two posts are answered", got[1])
    retry = got[2].headers.get("retry-after", "")
    t.check(got[2].status == 429 and retry.isdigit() and 1 <= int(retry) <= 3600,
            "...the third gets 429 with Retry-After", got[2])
    r = submit_appeal(w, appeal_form(w, "?site=ratelimit.test", "127.0.0.10"), "127.0.0.10",
                      why="")
    t.check(r.status == 400, "another address is not limited", r)


def check_metrics(t, w, d):
    _, appeals, _ = api(d, "GET", "/v1/appeals?status=all")
    _, requests, _ = api(d, "GET", "/v1/requests?status=all")
    appeals, requests = appeals["appeals"], requests["requests"]
    want = {("shelter_appeals", s): sum(a["status"] == s for a in appeals)
            for s in ("open", "upheld", "overturned", "referred")}
    want.update({("shelter_access_requests", s): sum(q["status"] == s for q in requests)
                 for s in ("waiting", "allowed", "kept-blocked", "expired")})
    open_operator = sum(a["status"] == "open" and a["route"] == "operator" for a in appeals)
    decided = sum(a["status"] in ("upheld", "overturned") for a in appeals)

    def got():
        m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
        have = {(n, s): metric(m, n, status=s) for n, s in want}
        have["open"] = metric(m, "shelter_appeals_open", route="operator", age="under-1d")
        have["decided"] = metric(m, "shelter_appeal_decision_seconds_count")
        have["median"] = metric(m, "shelter_appeal_decision_seconds", quantile="0.5")
        return have

    target = dict(want, open=open_operator, decided=decided)
    # The case metrics are refreshed by a timer (every second under --test-clock).
    took = wait_until(lambda: all(got().get(k) == v for k, v in target.items()), 17.0, step=0.5)
    have = got()
    t.check(took is not None, "shelter_appeals{status}, shelter_access_requests{status}, "
            "shelter_appeals_open{route,age} and the decision count agree with the admin API",
            f"want {target}\ngot  {have}")
    t.check(all(want[("shelter_appeals", s)] >= 1
                for s in ("overturned", "upheld", "referred", "open"))
            and want[("shelter_access_requests", "expired")] >= 1
            and want[("shelter_access_requests", "kept-blocked")] >= 1,
            "every status this run made is counted", target)
    t.check(have.get("median") is not None and have["median"] >= 0,
            "shelter_appeal_decision_seconds{quantile} is there", have)


def body(t):
    state = tempfile.mkdtemp(prefix="shelter-appeals-state-")
    try:
        with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
            run_node(t, up, state)
    finally:
        shutil.rmtree(state, ignore_errors=True)


class Ports:
    def __init__(self):
        self.web, self.pub = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))


def config(up, w, state):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"file": "{dir}/households.yaml"},
        blocking={"appeal-url": f"http://127.0.0.1:{w.pub}/appeal"},
        web={"block-listen": [f"127.0.0.1:{w.web}"], "public-listen": [f"127.0.0.1:{w.pub}"],
             "organisation": ORG, "token-lifetime": "1m", "appeal-rate": "2/hour"},
        cases={"referral-command": ["{dir}/refer.sh", "{dir}/referral.json"]},
        admin={"token-file": "{dir}/admin.tokens"},
        **{"list-updates": {"state-directory": state}})


FILES = {"households.yaml": HOUSEHOLDS, "refer.sh": REFER_SH,
         "admin.tokens": f"# name token\ntester {ADMIN_TOKEN}\n"}


def run_node(t, up, state):
    w = Ports()
    started = time.monotonic()
    kept = None
    with daemon(t, config(up, w, state), FILES) as d:
        t.check(d.wait_for(f"127.0.0.1:{w.pub}", 0, 1) is not None,
                "the ready line names the public listener", d.log_tail(3))
        results = {}

        def keep(name, fn):
            def wrapped(t, w, d):
                results[name] = fn(t, w, d)
            return wrapped

        t.run_cases([("check.json", check_site_json), ("admin auth", check_admin_auth),
                     ("ask answered", check_ask_answered),
                     ("ask kept blocked", check_ask_kept_blocked),
                     ("ask refused", check_ask_refused),
                     ("ask unidentified", check_ask_unidentified),
                     ("appeal overturned", keep("overturned", check_appeal_overturned)),
                     ("appeal escaping", check_appeal_escaping),
                     ("appeal upheld", check_appeal_upheld),
                     ("appeal webmaster", keep("webmaster", check_appeal_webmaster)),
                     ("appeal legal", check_appeal_legal),
                     ("tampered tokens", check_tokens),
                     ("expired token", check_token_expiry),
                     ("csrf", check_csrf), ("rate limit", check_rate_limit),
                     ("metrics", check_metrics)], w, d)
        kept = (results.get("overturned"), results.get("webmaster"))
        path = os.path.join(state, "cases.json")
        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
        t.check(mode == 0o600, f"cases.json in the state directory, mode 0600 (got "
                f"{'none' if mode is None else oct(mode)})")
    with t.case("restart"):
        check_restart(t, up, state, kept)
    t.check(time.monotonic() - started < 60, f"the whole run took "
            f"{time.monotonic() - started:.1f} s (under 60 s)")


def check_restart(t, up, state, kept):
    overturned, webmaster = kept
    w = Ports()
    with daemon(t, config(up, w, state), FILES) as d:
        listed, p = ctl_json(t, d, "appeals", "list", "--all")
        ids = {a["id"]: a for a in (listed or {}).get("appeals", [])}
        t.check(overturned and overturned[0] in ids
                and ids[overturned[0]]["status"] == "overturned",
                "after a restart the overturned appeal is still listed", p.shown)
        t.check(webmaster in ids and ids[webmaster]["status"] == "open",
                "...and the open one is still open", p.shown)
        if overturned:
            status = case_page(w, *overturned)
            t.check(status.status == 200 and "Reviewed: the block was removed" in status.body,
                    "...its case page still opens with the secret link", status)
        took = resolves(d, "mistake.test")
        t.check(took is not None, "...and the operator allow is still in force",
                dig(d.port, "mistake.test"))


if __name__ == "__main__":
    Suite("appeals").main(body)
