#!/usr/bin/env python3
"""The parents' portal through real HTTP (curl) and real DNS (dig), with the embedded store:
first access with the code the operator issued (admin API), sign-in, the household's page, a
device set to an age band and paused (in force for the next query from that device), a device's
settings beyond its band (a category unblocked, a site blocked, bedtime with an allowed site, each
in force within a second; mistakes shown beside their field with nothing written), a child's
"ask my parent" answered in one tap, the household's reports of wrong blocking (filed from a
child's device through the appeal form, waiting, then decided through the admin API; never on
another household's page; a legal list's without its site), sign-out; and its security: CSRF (missing, another form's,
another session's), cross-site posts, session fixation, revoked sessions, brute-force throttling
per account, one household never reaching another's data, no default passwords, cookies'
attributes, HTTPS with the operator's certificate (HSTS, __Host- cookie, TLS 1.1 refused) and
plain HTTP refused off loopback (config check). Headless Chromium drives it in
tests/browser/portal_browser.mjs."""
import html
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse

from clients import ADMIN_TOKEN, Resp, api, http
from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Shelterd, Suite, base_config, dig, free_port, run, wait_until
from test_appeals import NAV, ask, ask_csrf

FORWARDED = "198.51.100.44"
TABLET, LAPTOP, JONES = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LISTS = [
    {"id": "parental", "format": "domains", "category": "social-media",
     "entries": ["social.test"]},
    {"id": "adult-sites", "format": "domains", "category": "adult", "entries": ["adult.test"]},
    {"id": "hotline", "format": "domains", "category": "csam", "legal": True,
     "authority": "Test Hotline", "entries": ["csam.test"]},
]
HOUSEHOLDS = f"""households:
  smith:
    profile: 15-17
    devices:
      tablet:
        profile: under-9
        addresses: ["{TABLET}/32"]
      laptop:
        addresses: ["{LAPTOP}/32"]
  jones:
    profile: 15-17
    addresses: ["{JONES}/32"]
"""
FILES = {"households.yaml": HOUSEHOLDS, "admin.tokens": f"operator {ADMIN_TOKEN}\n"}


class Ports:
    def __init__(self):
        self.portal, self.web = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
        self.pub = free_port(("127.0.0.1",))


def config(up, p, **portal):
    return base_config(
        up.addr, lists=LISTS, subscribers={"file": "{dir}/households.yaml"},
        web={"block-listen": [f"127.0.0.1:{p.web}"], "public-listen": [f"127.0.0.1:{p.pub}"],
             "organisation": "Test ISP"},
        admin={"token-file": "{dir}/admin.tokens"},
        portal={"listen": [f"127.0.0.1:{p.portal}"], **portal},
        **{"list-updates": {"state-directory": "{dir}/state"}})


class Browser:
    """A cookie jar and the portal's address: what a parent's browser keeps."""

    def __init__(self, port, scheme="http", cacert=None):
        self.port, self.scheme, self.cacert = port, scheme, cacert
        self.cookies = {}

    def request(self, path, method="GET", data=None, headers=(), keep=True):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hs = list(headers) + ([f"Cookie: {cookie}"] if cookie else [])
        if self.scheme == "http":
            r = http(self.port, path, method, data=data, headers=hs)
        else:
            cmd = ["curl", "-sS", "-i", "--noproxy", "*", "--max-time", "5", "--cacert",
                   self.cacert, "--resolve", f"portal.test:{self.port}:127.0.0.1"]
            for h in hs:
                cmd += ["-H", h]
            if data is not None:
                cmd += ["--data-raw", urllib.parse.urlencode(data)]
            r = Resp(run(cmd + [f"https://portal.test:{self.port}{path}"], timeout=8))
        if keep:
            for line in r.set_cookies():
                name, _, rest = line.partition("=")
                value = rest.split(";")[0]
                if value:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        return r

    def csrf(self, page, action):
        """The csrf token of the form posting to `action` on `page`."""
        for form in re.findall(r"<form[^>]*>.*?</form>", page.body, re.S):
            if f'action="{action}"' in form:
                m = re.search(r'name="csrf" value="([^"]+)"', form)
                if m:
                    return m.group(1)
        return None


def issue_code(t, d, household):
    status, r, resp = api(d, "POST", f"/v1/households/{household}/access-code")
    t.check(status == 200 and re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", r.get("code", "")),
            f"the admin API issues {household}'s first-access code", resp)
    return r.get("code")


def first_access(b, household, code, password, password2=None):
    page = b.request("/first-access")
    return b.request("/first-access", "POST", {
        "household": household, "code": code, "password": password,
        "password2": password if password2 is None else password2,
        "csrf": b.csrf(page, "/first-access") or ""})


def sign_in(b, household, password):
    page = b.request("/sign-in")
    return b.request("/sign-in", "POST", {"household": household, "password": password,
                                          "csrf": b.csrf(page, "/sign-in") or ""})


def post_form(b, action, fields, home=None):
    home = home or b.request("/")
    return b.request(action, "POST", {**fields, "csrf": b.csrf(home, action) or ""})


def answer(d, name, source):
    r = dig(d.port, name, "A", "-b", source)
    return r.data("A") or [r.status]


def check_first_access(t, d, p, state):
    b = Browser(p.portal)
    r = b.request("/")
    t.check(r.status == 303 and r.headers.get("location") == "/sign-in",
            "not signed in: / sends to /sign-in", r)
    r = sign_in(b, "smith", "")
    t.check(r.status == 401, "no default password: an empty one is refused", r)
    code = issue_code(t, d, "smith")
    r = first_access(b, "smith", "AAAA-BBBB-CCCC-DDDD", "correct horse battery")
    t.check(r.status == 401 and "smith" not in b.cookies, "a wrong code is refused", r)
    r = first_access(b, "smith", code, "short")
    t.check(r.status == 400, "a short password is refused", r)
    r = first_access(b, "smith", code, "correct horse battery", "correct horse batterx")
    t.check(r.status == 400, "passwords that differ are refused", r)
    typed = code.lower().replace("-", " ")
    r = first_access(b, "smith", typed, "correct horse battery")
    t.check(r.status == 303 and r.headers.get("location") == "/?notice=password-set",
            "the code typed in lower case with spaces sets the password", r)
    cookie = next((c for c in r.set_cookies() if c.startswith("shelter-portal=")), "")
    attrs = cookie.lower()
    t.check("httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs,
            "the session cookie is HttpOnly, SameSite=Strict, Path=/", cookie)
    t.check("secure" not in attrs, "plain HTTP on loopback: no Secure attribute", cookie)
    state["smith"] = dict(b.cookies)
    r = first_access(Browser(p.portal), "smith", code, "another password here")
    t.check(r.status == 401, "the code works once", r)
    accounts = open(d.path("state/portal-accounts.json")).read()
    t.check("correct horse" not in accounts and "$scrypt$" in accounts,
            "the password is stored as a scrypt hash only", accounts)
    mode = os.stat(d.path("state/portal-accounts.json")).st_mode & 0o777
    t.equal(mode, 0o600, "the accounts file is 0600")


def check_home(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = dict(state["smith"])
    r = b.request("/")
    t.check(r.status == 200 and "tablet" in r.body and "laptop" in r.body,
            "the household's page lists its devices", r)
    csp = r.headers.get("content-security-policy", "")
    t.check("default-src 'none'" in csp and "script-src" not in csp.replace("'none'", "")
            or "default-src 'none'" in csp, "a strict Content-Security-Policy", csp)
    t.check("jones" not in r.body, "nothing of another household", r)
    t.check(TABLET in r.body, "how a device is recognised (its address)", r)


def check_change(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = dict(state["smith"])
    t.equal(answer(d, "social.test", TABLET), [BLOCK_V4], "before: under-9 blocks social media")
    r = post_form(b, "/profile", {"device": "tablet", "profile": "15-17"})
    loc = r.headers.get("location", "")
    t.check(r.status == 303 and re.fullmatch(r"/\?notice=saved&s=\d+\.\d", loc),
            "a device's profile changed: back to / with 'active after N s'", r)
    t.check(wait_until(lambda: answer(d, "social.test", TABLET) == [FORWARDED], 1.0),
            "the tablet gets 15-17 within a second (social media allowed)")
    home = b.request(loc)
    t.check(home.status == 200 and re.search(r"\d+\.\d", home.body),
            "the page says when the change was in force", home)
    r = post_form(b, "/pause", {"device": "tablet", "for": "15m"})
    t.check(r.status == 303 and "notice=paused" in r.headers.get("location", ""),
            "pause the tablet now", r)
    t.check(wait_until(lambda: answer(d, "open.test", TABLET) == [BLOCK_V4], 1.0),
            "a paused tablet reaches nothing")
    t.equal(answer(d, "open.test", LAPTOP), [FORWARDED], "the laptop is not paused")
    r = post_form(b, "/pause", {"device": "tablet", "for": "resume"})
    t.check(wait_until(lambda: answer(d, "open.test", TABLET) == [FORWARDED], 1.0),
            "resumed", r)
    r = post_form(b, "/profile", {"device": "tablet", "profile": "no-such-band"})
    t.check(r.status == 400, "an unknown profile is refused", r)
    r = post_form(b, "/profile", {"device": "printer", "profile": "9-12"})
    t.check(r.status == 400, "a device the household does not have is refused", r)
    status, audit, _ = api(d, "GET", "/v1/audit")
    t.check(any(e["who"] == "portal:smith" and e["action"] == "device.profile"
                for e in audit["entries"]), "portal changes are audited as the household's",
            audit)


def settings_fields(page):
    """The settings form's fields as a browser would post them, from the page: [(name, value)]."""
    body = page.body
    form = re.search(r'<form method="post" action="/settings".*?</form>', body, re.S)
    body = form.group(0) if form else ""

    def value(pattern, default=""):
        m = re.search(pattern, body, re.S)
        return html.unescape(m.group(1)) if m else default
    fields = [("csrf", value(r'name="csrf" value="([^"]*)"')),
              ("device", value(r'name="device" value="([^"]*)"')),
              ("shown-band", value(r'name="shown-band" value="([^"]*)"')),
              ("band", value(r'name="band" value="([^"]*)" checked'))]
    fields += [("block", b) for b in re.findall(r'name="block" value="([^"]+)" checked', body)]
    fields += [("allow", value(r'<textarea id="allow"[^>]*>(.*?)</textarea>')),
               ("deny", value(r'<textarea id="deny"[^>]*>(.*?)</textarea>'))]
    if 'name="safe-search" value="on" checked' in body:
        fields.append(("safe-search", "on"))
    if 'name="bedtime" value="on" checked' in body:
        fields.append(("bedtime", "on"))
    fields += [("bedtime-from", value(r'name="bedtime-from" value="([^"]*)"')),
               ("bedtime-to", value(r'name="bedtime-to" value="([^"]*)"')),
               ("bedtime-days", value(r'name="bedtime-days" value="([^"]*)" checked', "daily"))]
    return fields


def changed(fields, **new):
    """`fields` with some replaced: block=[...] the boxes ticked, the others by name (a
    keyword's "_" is the field's "-"); None leaves a field out."""
    out = [(k, v) for k, v in fields if k != "block" or "block" not in new]
    out += [("block", b) for b in new.pop("block", [])]
    for key, v in new.items():
        name = key.replace("_", "-")
        out = [(k, x) for k, x in out if k != name] + ([(name, v)] if v is not None else [])
    return out


def check_settings(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = dict(state["smith"])
    post_form(b, "/profile", {"device": "tablet", "profile": "under-9"})
    t.check(wait_until(lambda: answer(d, "social.test", TABLET) == [BLOCK_V4], 1.0),
            "before: the tablet on under-9 (social media blocked)")
    home = b.request("/")
    t.check('href="/settings?device=tablet"' in home.body and
            'href="/settings?device="' in home.body,
            "the page links to the tablet's and everyone's settings", home)
    r = b.request("/settings?device=printer")
    t.check(r.status == 404, "no settings page for a device the household does not have", r)
    page = b.request("/settings?device=tablet")
    fields = settings_fields(page)
    boxes = [v for k, v in fields if k == "block"]
    t.check(page.status == 200 and ("band", "under-9") in fields and "social-media" in boxes and
            "games" not in boxes and ("safe-search", "on") in fields and
            ("bedtime", "on") not in fields,
            "the tablet's settings: under-9, its categories ticked, safe search on, no bedtime",
            fields)
    t.check(b.csrf(page, "/settings") and ("device", "tablet") in fields,
            "the form carries its token and the device", page)

    # Social media unticked: the tablet reaches social.test within a second.
    unticked = [x for x in boxes if x != "social-media"]
    r = b.request("/settings", "POST", changed(fields, block=unticked))
    loc = r.headers.get("location", "")
    t.check(r.status == 303 and re.fullmatch(r"/\?notice=saved&s=\d+\.\d", loc),
            "saved: back to / with 'active after N s'", r)
    t.check(wait_until(lambda: answer(d, "social.test", TABLET) == [FORWARDED], 1.0),
            "social media unblocked: dig -b 127.0.0.2 social.test is forwarded within 1 s")
    t.equal(answer(d, "adult.test", TABLET), [BLOCK_V4], "adult sites still blocked")
    doc = api(d, "GET", "/v1/households/smith")[1]
    custom = doc.get("profiles", {}).get("tablet-custom", {})
    t.check(doc["devices"]["tablet"].get("profile") == "tablet-custom" and
            custom.get("base") == "under-9" and custom.get("unblock") == ["social-media"] and
            "block" not in custom, "the household has tablet-custom: base under-9, unblock "
            "social-media; the tablet follows it", doc)
    t.check(doc["devices"]["laptop"].get("profile") is None and doc.get("profile") == "15-17",
            "the laptop and the household are not changed", doc)

    # A site always blocked.
    t.equal(answer(d, "open.test", TABLET), [FORWARDED], "before: open.test answers")
    page = b.request("/settings?device=tablet")
    fields = settings_fields(page)
    t.check("social-media" not in [v for k, v in fields if k == "block"],
            "the page shows social media unticked now", fields)
    r = b.request("/settings", "POST", changed(fields, deny="open.test\n"))
    t.check(r.status == 303, "a blocked site saved", r)
    t.check(wait_until(lambda: answer(d, "open.test", TABLET) == [BLOCK_V4], 1.0),
            "open.test blocked for the tablet within 1 s")
    t.equal(answer(d, "open.test", LAPTOP), [FORWARDED], "not for the laptop")

    # An allowed site and bedtime now: only that site answers.
    now = time.gmtime()
    minute = now.tm_hour * 60 + now.tm_min

    def hhmm(m):
        return f"{(m // 60) % 24:02d}:{m % 60:02d}"
    page = b.request("/settings?device=tablet")
    fields = settings_fields(page)
    t.check(("deny", "open.test\n") in fields, "the page shows the blocked site", fields)
    r = b.request("/settings", "POST", changed(
        fields, allow="school.test\n", bedtime="on", bedtime_from=hhmm(minute + 1440 - 60),
        bedtime_to=hhmm(minute + 60), bedtime_days="daily"))
    t.check(r.status == 303, "bedtime on, from an hour ago to an hour from now (UTC)", r)
    t.check(wait_until(lambda: answer(d, "other.test", TABLET) == [BLOCK_V4], 1.0),
            "at bedtime a name not allowed is blocked within 1 s")
    t.equal(answer(d, "school.test", TABLET), [FORWARDED], "the allowed site answers")
    t.equal(answer(d, "other.test", LAPTOP), [FORWARDED], "the laptop has no bedtime")
    doc = api(d, "GET", "/v1/households/smith")[1]
    bedtime = doc["profiles"]["tablet-custom"].get("schedules", [{}])[0]
    t.check(bedtime.get("name") == "bedtime" and bedtime.get("allow") == ["school.test"] and
            bedtime.get("days") == "mon,tue,wed,thu,fri,sat,sun" and "block" not in bedtime,
            "the schedule: bedtime, allow-only, the allowed site, every day", doc)
    page = b.request("/settings?device=tablet")
    fields = settings_fields(page)
    t.check(("bedtime", "on") in fields and ("allow", "school.test\n") in fields and
            ("bedtime-to", hhmm(minute + 60)) in fields, "the page shows bedtime as saved", fields)

    # Mistakes: the form again with what was typed, nothing written.
    before = api(d, "GET", "/v1/households/smith")[1]
    r = b.request("/settings", "POST", changed(fields, allow="school.test\nnot a site\n",
                                               deny="open.test\nkept.test\n"))
    t.check(r.status == 400 and 'id="allow-error"' in r.body and 'href="#allow"' in r.body and
            "not a site" in r.body and "kept.test" in r.body and
            b.csrf(r, "/settings") == b.csrf(page, "/settings"),
            "an invalid site: 400, the form again with the error beside the field and the "
            "parent's input kept", r)
    r = b.request("/settings", "POST", changed(fields, bedtime_from="25:99"))
    t.check(r.status == 400 and 'id="bedtime-from-error"' in r.body,
            "an invalid time: 400 beside the field", r)
    r = b.request("/settings", "POST", changed(fields, block=["no-such-category"]))
    t.check(r.status == 400, "a box the page does not offer: 400", r)
    r = b.request("/settings", "POST", changed(fields, band="no-such-band"))
    t.check(r.status == 400, "a band the page does not offer: 400", r)
    r = b.request("/settings", "POST", changed(fields, device="printer"))
    t.check(r.status == 400, "a device the household does not have: 400", r)
    r = b.request("/settings", "POST", changed(fields, csrf=None, allow=""))
    t.check(r.status == 403, "CSRF missing: 403", r)
    r = b.request("/settings", "POST", changed(fields, csrf=b.csrf(home, "/profile"), allow=""))
    t.check(r.status == 403, "another form's token: 403", r)
    r = b.request("/settings", "POST", changed(fields, allow=""),
                  headers=["Sec-Fetch-Site: cross-site"])
    t.check(r.status == 403, "cross-site: 403", r)
    t.equal(api(d, "GET", "/v1/households/smith")[1], before,
            "after every refused post the household is as it was")

    # Everyone's settings, then back to a plain band from the home page.
    page = b.request("/settings?device=")
    everyone = settings_fields(page)
    t.check(page.status == 200 and ("device", "") in everyone and ("band", "15-17") in everyone,
            "everyone's settings: the household's 15-17", everyone)
    audit = api(d, "GET", "/v1/audit")[1]["entries"]
    mine = [e for e in audit if e["action"] == "device.settings"]
    t.check(len(mine) == 3 and all(e["who"] == "portal:smith" and
                                   e["target"] == "smith/tablet" for e in mine),
            "each save audited as device.settings for smith/tablet", mine)
    t.check(not any(site in e.get("detail", "") for e in mine
                    for site in ("school.test", "open.test")) and
            any("bedtime" in e.get("detail", "") for e in mine),
            "the audit says which parts changed, never the sites", mine)
    r = post_form(b, "/profile", {"device": "tablet", "profile": "15-17"})
    t.check(r.status == 303 and
            wait_until(lambda: answer(d, "other.test", TABLET) == [FORWARDED], 1.0),
            "a band chosen on the home page again: the plain band, no bedtime", r)
    r = b.request("/settings", "POST", changed(everyone, deny="family.test\n"))
    t.check(r.status == 303 and
            wait_until(lambda: answer(d, "family.test", LAPTOP) == [BLOCK_V4], 1.0),
            "everyone's settings saved: the laptop, which follows them, blocks family.test "
            "within 1 s", r)
    doc = api(d, "GET", "/v1/households/smith")[1]
    t.check(doc.get("profile") == "household-custom" and
            doc["profiles"]["household-custom"].get("base") == "15-17",
            "the household follows household-custom, based on 15-17", doc)
    t.equal(answer(d, "family.test", TABLET), [FORWARDED],
            "the tablet, on its own band, does not")
    post_form(b, "/profile", {"device": "", "profile": "15-17"})
    doc = api(d, "GET", "/v1/households/smith")[1]
    t.check(doc["devices"]["tablet"].get("profile") == "15-17" and doc.get("profile") == "15-17"
            and {"tablet-custom", "household-custom"} <= set(doc.get("profiles", {})),
            "the tablet and the household follow 15-17 again; the changes stay in the "
            "household's profiles", doc)


def check_ask(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = dict(state["smith"])
    post_form(b, "/profile", {"device": "tablet", "profile": "under-9"})
    wait_until(lambda: answer(d, "social.test", TABLET) == [BLOCK_V4], 1.0)

    class W:
        web = p.web
    page = http(p.web, "/", host="social.test", headers=NAV, source=TABLET)
    r = ask(W, "social.test", TABLET, ask_csrf(page))
    t.check(r.status == 303, "the child asks from the block page", r)
    home = b.request("/")
    t.check("social.test" in home.body, "the request is on the parent's page", home)
    ids = re.findall(r'name="id" value="([0-9A-Z]{26})"', home.body)
    t.check(len(ids) == 1, "one waiting request with its id", home)
    jones = Browser(p.portal)
    jones.cookies = dict(state.get("jones", {}))
    if ids and jones.cookies:
        jh = jones.request("/")
        r = jones.request("/answer", "POST", {"id": ids[0], "answer": "always",
                                              "csrf": jones.csrf(jh, "/answer") or ""})
        t.check(r.status in (403, 404), "another household cannot answer it", r)
        t.equal(answer(d, "social.test", TABLET), [BLOCK_V4], "still blocked")
    if ids:
        r = b.request("/answer", "POST", {"id": ids[0], "answer": "1h",
                                          "csrf": b.csrf(home, "/answer") or ""})
        t.check(r.status == 303 and "notice=answered" in r.headers.get("location", ""),
                "one tap: allowed for an hour", r)
        t.check(wait_until(lambda: answer(d, "social.test", TABLET) == [FORWARDED], 1.0),
                "the tablet reaches it within a second")


def report_mistake(t, p, site, source):
    """A child's device sends the appeal form ("Report a mistake") about `site`: its id."""
    form = http(p.pub, "/appeal?site=" + urllib.parse.quote(site), source=source)
    r = http(p.pub, "/appeal", "POST", source=source, data={
        "url": site, "reporter": "child", "why": "I need it <b>for school</b>", "contact": "",
        "csrf": form.field("csrf") or ""})
    m = re.fullmatch(r"/appeal/case\?id=([0-9A-Z]{8})&s=[0-9A-Z]{26}",
                     r.headers.get("location", ""))
    t.check(r.status == 303 and m, f"the tablet reports {site} as a mistake", f"{form}\n{r}")
    return m.group(1) if m else None


def appeals_section(page):
    m = re.search(r'<section aria-labelledby="appeals-heading">.*?</section>', page.body, re.S)
    return m.group(0) if m else ""


def check_appeals(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = dict(state["smith"])
    jones = Browser(p.portal)
    jones.cookies = dict(state.get("jones", {}))
    home = appeals_section(b.request("/"))
    t.check("Reports of wrong blocking" in home and "No reports yet." in home,
            "the family page has the reports section, empty at first", home)
    appeal_id = report_mistake(t, p, "adult.test", TABLET)
    _, full, r = api(d, "GET", f"/v1/appeals/{appeal_id}")
    t.check(full and full.get("household") == "smith",
            "the appeal records the household of the device that sent it", r)
    _, listed, r = api(d, "GET", "/v1/appeals?status=all&household=smith")
    t.check(listed and [a["id"] for a in listed["appeals"]] == [appeal_id]
            and "household" not in listed["appeals"][0],
            "GET /v1/appeals?household=smith lists it (lists never show the household)", r)
    _, listed, r = api(d, "GET", "/v1/appeals?status=all&household=jones")
    t.check(listed is not None and listed["appeals"] == [], "...and jones has none", r)
    home = appeals_section(b.request("/"))
    t.check("<bdi>adult.test</bdi>" in home and "Waiting for a decision" in home,
            "it shows on smith's page as waiting", home)
    if jones.cookies:
        other = jones.request("/")
        t.check(other.status == 200 and "adult.test" not in other.body
                and "No reports yet." in appeals_section(other),
                "another household's page does not show it", other)
    status, decided, r = api(d, "POST", f"/v1/appeals/{appeal_id}/decision",
                             {"outcome": "uphold", "reason": "An <i>adult</i> site"})
    t.check(status == 200 and decided.get("status") == "upheld", "decided through the admin API",
            r)
    home = appeals_section(b.request("/"))
    t.check("Looked at: the block stays" in home and "Waiting for a decision" not in home,
            "the status changes on smith's page", home)
    t.check("An &lt;i&gt;adult&lt;/i&gt; site" in home and "<i>" not in home,
            "...with the decision's reason, escaped", home)
    legal_id = report_mistake(t, p, "csam.test", TABLET)
    _, full, r = api(d, "GET", f"/v1/appeals/{legal_id}")
    t.check(full and full.get("legal") is True and full.get("household") == "smith",
            "a legal list's appeal records the household too", r)
    page = b.request("/")
    home = appeals_section(page)
    t.check("A page on a list the law requires us to block" in home
            and "Sent to <bdi>Test Hotline</bdi>" in home,
            "the legal list's appeal shows as sent to the authority that keeps the list", home)
    t.check("csam.test" not in page.body, "...never naming its site", home)
    t.check(home.find("Test Hotline") < home.find("adult.test"), "newest first", home)


def check_csrf(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = dict(state["smith"])
    home = b.request("/")
    cases = [
        ("no token", {"device": "tablet", "profile": "adult"}, []),
        ("an empty token", {"device": "tablet", "profile": "adult", "csrf": ""}, []),
        ("the pause form's token", {"device": "tablet", "profile": "adult",
                                    "csrf": b.csrf(home, "/pause")}, []),
        ("a good token, cross-site", {"device": "tablet", "profile": "adult",
                                      "csrf": b.csrf(home, "/profile")},
         ["Sec-Fetch-Site: cross-site"]),
        ("a good token, another origin", {"device": "tablet", "profile": "adult",
                                          "csrf": b.csrf(home, "/profile")},
         ["Origin: http://evil.example"]),
        ("a good token, a null origin but cross-site", {"device": "tablet", "profile": "adult",
                                                        "csrf": b.csrf(home, "/profile")},
         ["Origin: null", "Sec-Fetch-Site: cross-site"]),
    ]
    for what, data, headers in cases:
        r = b.request("/profile", "POST", data, headers=headers)
        t.check(r.status == 403, f"CSRF: {what} -> 403", r)
    doc = api(d, "GET", "/v1/households/smith")[1]
    t.check(doc["devices"]["tablet"].get("profile") != "adult", "nothing changed", doc)
    # What Chromium sends for our own form under the no-referrer policy.
    r = b.request("/profile", "POST", {"device": "tablet", "profile": "under-9",
                                       "csrf": b.csrf(home, "/profile")},
                  headers=["Origin: null", "Sec-Fetch-Site: same-origin"])
    t.check(r.status == 303, "our own form as a browser posts it (Origin: null, same-origin)", r)
    # Another session's token.
    other = Browser(p.portal)
    sign_in(other, "smith", "correct horse battery")
    r = b.request("/profile", "POST", {"device": "tablet", "profile": "adult",
                                       "csrf": other.csrf(other.request("/"), "/profile")})
    t.check(r.status == 403, "CSRF: another session's token -> 403", r)


def check_fixation_and_revocation(t, d, p, state):
    b = Browser(p.portal)
    b.cookies = {"shelter-portal": "attacker-chosen-value"}
    r = b.request("/")
    t.check(r.status == 303, "a made-up session cookie is not a session", r)
    r = sign_in(b, "smith", "correct horse battery")
    t.check(r.status == 303 and b.cookies.get("shelter-portal") not in (None,
                                                                        "attacker-chosen-value"),
            "signing in issues a new session (no fixation)", r)
    old = dict(b.cookies)
    r = post_form(b, "/sign-out", {})
    t.check(r.status == 303 and "shelter-portal" not in b.cookies, "sign-out clears the cookie", r)
    stale = Browser(p.portal)
    stale.cookies = old
    r = stale.request("/")
    t.check(r.status == 303, "the signed-out session is refused afterwards", r)
    r = sign_in(b, "smith", "correct horse battery")
    t.check(r.status == 303, "signing in again right after signing out works", r)
    t.check(b.request("/").status == 200, "and that session is good", b.cookies)
    state["smith"] = dict(b.cookies)


def check_throttle(t, d, p, state):
    b = Browser(p.portal)
    code = issue_code(t, d, "jones")
    r = first_access(b, "jones", code, "jones family password")
    t.check(r.status == 303, "jones signs up", r)
    state["jones"] = dict(b.cookies)
    statuses = [sign_in(Browser(p.portal), "jones", f"guess {i}").status for i in range(7)]
    t.check(statuses[:5] == [401] * 5 and statuses[-1] == 429,
            "wrong passwords: 401 five times, then 429", statuses)
    r = sign_in(Browser(p.portal), "jones", "jones family password")
    t.check(r.status == 429 and int(r.headers.get("retry-after", "0")) >= 1,
            "while locked even the right password waits (Retry-After)", r)
    r = sign_in(Browser(p.portal), "smith", "correct horse battery")
    t.check(r.status == 303, "another account is not locked", r)
    r = sign_in(Browser(p.portal), "nobody", "whatever password")
    t.check(r.status == 401, "an unknown household: the same answer as a wrong password", r)


def check_xss(t, d, p, state):
    status, r, resp = api(d, "PUT", "/v1/households/smith/devices/%3Cimg%20src%3Dx%3E", {})
    t.check(status in (400, 404), "a device name with markup is refused", resp)
    b = Browser(p.portal)
    r = b.request("/sign-in", "POST", {"household": "<script>alert(1)</script>",
                                       "password": "x", "csrf": "x"})
    t.check("<script>alert(1)</script>" not in r.body, "a typed household id is escaped", r)


def check_https(t, up, ports):
    tmp = tempfile.mkdtemp(prefix="portal-tls-")
    key, crt = os.path.join(tmp, "portal.key"), os.path.join(tmp, "portal.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days",
                    "2", "-subj", "/CN=portal.test", "-addext", "subjectAltName=DNS:portal.test"],
                   check=True, capture_output=True)
    p = Ports()
    with t.shelterd(config(up, p, certificate=crt, key=key), files=FILES) as d:
        code = issue_code(t, d, "smith")
        b = Browser(p.portal, "https", crt)
        r = first_access(b, "smith", code, "correct horse battery")
        t.check(r.status == 303, "first access over HTTPS", r)
        cookie = next((c for c in r.set_cookies() if c.startswith("__Host-")), "")
        t.check("Secure" in cookie and "__Host-shelter-portal=" in cookie,
                "HTTPS: the cookie is __Host- and Secure", r.set_cookies())
        home = b.request("/")
        t.check(home.status == 200 and "max-age=" in home.headers.get(
            "strict-transport-security", ""), "HSTS on every answer", home)
        plain = http(p.portal, "/sign-in")
        t.check(plain.status is None, "plain HTTP to the HTTPS port gets no page", plain)
        old = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{p.portal}",
                              "-tls1_1", "-servername", "portal.test"], input="",
                             capture_output=True, text=True, timeout=10)
        t.check(old.returncode != 0, "TLS 1.1 is refused", old.stdout[-300:] + old.stderr[-300:])


def check_config(t, up):
    p = Ports()
    cfg = base_config(up.addr, portal={"listen": ["192.0.2.1:8443"]})
    d = None
    try:
        d = Shelterd(t.args.shelterd, cfg)
        r = subprocess.run([t.args.shelterd, "--config", d.config_path, "--check-config"],
                           capture_output=True, text=True, timeout=20)
        t.check(r.returncode != 0 and "portal.listen" in r.stderr and "HTTPS" in r.stderr,
                "a portal off loopback without a certificate is refused", r.stderr)
    finally:
        if d:
            d.__exit__()
    del p


def main(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        p = Ports()
        state = {}
        with t.shelterd(config(up, p), files=FILES) as d:
            t.run_cases([("first access", check_first_access), ("home", check_home),
                         ("change", check_change), ("settings", check_settings),
                         ("throttle", check_throttle),
                         ("ask my parent", check_ask), ("appeals", check_appeals),
                         ("csrf", check_csrf),
                         ("fixation and revocation", check_fixation_and_revocation),
                         ("xss", check_xss)], d, p, state)
        with t.case("https"):
            check_https(t, up, None)
        with t.case("config"):
            check_config(t, up)


if __name__ == "__main__":
    Suite("portal").main(main)
