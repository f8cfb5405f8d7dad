#!/usr/bin/env python3
"""The venue's acceptable-use page (/venue on the public pages) through the real shelterd and
curl: its terms, what is filtered here in the block page's words, no browsing history, how to
report a wrong block, the contact; a hostile venue name and terms shown escaped; the block
page's link to it (not on a legal block); its languages; the same security headers as the
block page; a report sent from the venue's Wi-Fi without a block's token routed to the venue;
a 404 and no link when no venue is configured; configuration errors naming the key and
line; with the query log on (docs/query-log.md), the privacy section says what it keeps, for how
long, instead of the promise of no history."""
import os
import subprocess
import tempfile

from fake_upstream import FakeUpstream
from clients import http
from harness import Suite, base_config, free_port

NAME = 'Café <script>alert("n")</script> & Co'
# A list of paragraphs (the unit tests read the other form: one text, blank lines between).
TERMS = ["Be kind <img src=x onerror=alert(1)> to others.\nThis line joins the first paragraph.",
         "Second paragraph: no \"bypassing\" & no piracy."]
LISTS = [
    {"id": "parental", "format": "domains", "entries": ["adult.test"], "category": "adult"},
    {"id": "threats", "format": "domains", "entries": ["evil.test", "bot.test"],
     "category": "malware"},
    {"id": "bots", "format": "domains", "entries": ["bot2.test"], "category": "botnet"},
    {"id": "authority", "format": "domains", "entries": ["csam.test"], "category": "csam",
     "legal": True, "authority": "Test Hotline", "appeal": "https://appeal.hotline.test/"},
    # The public Wi-Fi profile does not block games: never said to be filtered.
    {"id": "games", "format": "domains", "entries": ["games.test"], "category": "games"},
]
NAV = ["Sec-Fetch-Dest: document", "Sec-Fetch-Mode: navigate"]


def config(up, block_port, public_port, venue):
    web = {"block-listen": [f"127.0.0.1:{block_port}"],
           "public-listen": [f"127.0.0.1:{public_port}"], "organisation": "Test Operator",
           "response-time": "3 days"}
    if venue is not None:
        web["venue"] = venue
    return base_config(up.addr, lists=LISTS, web=web,
                       subscribers={"default-profile": "public-wifi"},
                       blocking={"appeal-url": f"http://127.0.0.1:{public_port}/appeal"},
                       **{"list-updates": {"state-directory": "{dir}"}})


def curl(port, path="/", host=None, headers=(), **kw):
    """(status, headers, body) of one request with curl (clients.http)."""
    r = http(port, path, host=host, headers=headers, **kw)
    return r.status, r.headers, r.body


def venue_page(t, public_port, block_port):
    status, headers, body = curl(public_port, "/venue")
    t.equal(status, 200, "GET /venue")
    t.check('lang="en"' in body and "<h1>Using the Wi-Fi at " in body, "the English page")
    t.check("Café &lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt; &amp; Co" in body,
            "the venue's name is escaped", body[:600])
    t.check("<script" not in body and "<img" not in body and "onerror=alert(1)>" not in body,
            "nothing of the name or terms runs or loads")
    t.check("<p>Be kind &lt;img src=x onerror=alert(1)&gt; to others. This line joins the "
            "first paragraph.</p>" in body, "terms: the first paragraph, its lines joined, "
            "escaped", body)
    t.check("<p>Second paragraph: no &quot;bypassing&quot; &amp; no piracy.</p>" in body,
            "terms: the second paragraph on its own")
    filtered = body.partition('id="filtered"')[2].partition("</section>")[0]
    for words in ("adult content", "harmful software", "child sexual abuse material"):
        t.check(f"<li>{words}</li>" in filtered, f"filtered here: {words}", filtered)
    t.equal(filtered.count("<li>harmful software</li>"), 1,
            "malware and botnet share their words: said once")
    t.check("games" not in filtered and "gambling" not in filtered,
            "not said: a category the profile leaves open, or one no list fills", filtered)
    t.check("keeps no history of the sites you visit" in body, "no browsing history is kept")
    t.check("keeps a list of the names" not in body, "and no word of a query log")
    report = body.partition('id="report"')[2].partition("</section>")[0]
    t.check(f'href="http://127.0.0.1:{public_port}/appeal"' in report and 'href="/check"' in
            report, "report a wrong block: the appeal form and check a site", report)
    t.check("answers within 3 days" in report, "the promised response time")
    contact = body.partition('id="contact"')[2].partition("</section>")[0]
    t.check('href="mailto:wifi@cafe.test"' in contact and 'href="tel:+4420794600"' in contact
            and 'href="https://cafe.test/wifi?a=1&amp;b=2"' in contact,
            "contact: e-mail, phone and web links", contact)
    _, block_headers, _ = curl(block_port, "/", "adult.test", NAV)
    for h in ("content-security-policy", "x-frame-options", "x-content-type-options",
              "referrer-policy", "cache-control"):
        t.check(headers.get(h) and headers.get(h) == block_headers.get(h),
                f"{h}: the block page's", f"{headers.get(h)!r} vs {block_headers.get(h)!r}")
    t.check("script-src" not in headers.get("content-security-policy", "") and
            "default-src 'none'" in headers.get("content-security-policy", ""),
            "the CSP allows no script")
    t.check('name="viewport"' in body, "phone-friendly: a viewport")

    status, headers, body = curl(public_port, "/venue", None, ["Accept-Language: fr"])
    t.check(status == 200 and 'lang="fr"' in body and "Conditions d'utilisation" in body
            and "<li>contenu pour adultes</li>" in body, "in French, with the block page's French words",
            body[:400])
    status, _, body = curl(public_port, "/venue", None, ["Accept-Language: ar"])
    t.check(status == 200 and 'dir="rtl"' in body and 'dir="ltr">' in body,
            "in Arabic, right to left, the contact kept left to right")
    status, _, _ = curl(public_port, "/venue", method="POST", data="x=1")
    t.check(status in (404, 405), "a POST is no way in", str(status))


def block_page_link(t, public_port, block_port):
    link = f'href="http://127.0.0.1:{public_port}/venue"'
    status, _, body = curl(block_port, "/", "adult.test", NAV)
    t.equal(status, 403, "a blocked site's page")
    t.check(link in body and "About this Wi-Fi" in body, "links the venue page", body[-900:])
    t.check("Café &lt;script&gt;" in body and "<script" not in body,
            "names the venue, escaped")
    _, _, body = curl(block_port, "/", "evil.test", NAV)
    t.check(link in body, "a security block links it too")
    _, _, body = curl(block_port, "/", "csam.test", NAV)
    t.check("/venue" not in body, "a legal block's page does not")
    status, _, body = curl(block_port, "/venue", "adult.test", NAV)
    t.check(status == 403 and "This site is not available on this Wi-Fi" in body,
            "on the block listener, /venue of a blocked site is still its block page")


def appeal_to_venue(t, public_port):
    """A report sent from the venue's Wi-Fi without a block's token (the venue page's link, a
    form opened by hand) is about the venue's policy: the form says the venue reviews it, and
    the case names the venue as its reviewer."""
    form = http(public_port, "/appeal")
    t.check(form.status == 200 and "reviews reports about its Wi-Fi policy" in form.body,
            "the form says the venue reviews it", form.body[:600])
    r = http(public_port, "/appeal", "POST",
             data={"url": "games.test", "reporter": "other", "why": "a board game shop",
                   "contact": "", "csrf": form.field("csrf") or ""})
    location = r.headers.get("location", "")
    t.check(r.status == 303 and location.startswith("/appeal/case?id="),
            "the appeal is taken", str(r))
    case = http(public_port, location)
    t.check(case.status == 200 and "&amp; Co will look at it" in case.body,
            "its case names the venue as reviewer",
            case.body[:900])


def no_venue(t, up):
    block_port, public_port = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
    with t.shelterd(config(up, block_port, public_port, None)):
        status, _, body = curl(public_port, "/venue")
        t.equal(status, 404, "no venue configured: /venue is not found")
        t.check("This network has no venue page." in body, "and says so", body[:500])
        _, _, body = curl(block_port, "/", "adult.test", NAV)
        t.check("/venue" not in body and "About this Wi-Fi" not in body,
                "the block page has no venue link")


def query_log_on(t, up, venue):
    """The query log on: the privacy section says who keeps what, for how long, and the code
    that stands for who asked; not the promise of no history."""
    block_port, public_port = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
    cfg = config(up, block_port, public_port, venue)
    cfg["logging"] = {"query-log": {"enabled": True, "directory": "{dir}/queries",
                                    "retention": "14d", "key-rotation": "12h"}}
    with t.shelterd(cfg) as d:
        _, _, body = curl(public_port, "/venue")
        privacy = body.partition('id="privacy"')[2].partition("</section>")[0]
        t.check("On this Wi-Fi, Test Operator keeps a list of the names of the sites that devices "
                "look up, for 14 days." in privacy, "who keeps the log, and for how long", privacy)
        t.check("a code that changes every 12 hours" in privacy and
                "child sexual abuse material are never written" in privacy,
                "who asked is a changing code; legal lists' names never written", privacy)
        t.check("keeps no history" not in body, "no promise of no history")
        _, _, body = curl(public_port, "/venue", None, ["Accept-Language: fr"])
        t.check("pendant 14 jours" in body and "toutes les 12 heures" in body and
                "aucun historique" not in body, "in French", body[-1500:])
        _, _, body = curl(public_port, "/venue", None, ["Accept-Language: ar"])
        t.check("لمدة 14 يومًا" in body and "كل 12 ساعة" in body and
                "لا يحتفظ المرشّح بأي سجل" not in body, "in Arabic", body[-1500:])
        # The log runs with its settings of the start until a restart: so do the pages.
        mark = d.mark()
        d.write_config(config(up, block_port, public_port, venue))
        d.hup()
        t.check(d.wait_for(r"reload: ok", mark, 10), "reloaded without the query log",
                d.log_tail())
        _, _, body = curl(public_port, "/venue")
        t.check("for 14 days" in body and "keeps no history" not in body,
                "after a reload that turns it off, the page still says the running log", body)


def config_errors(t):
    cases = [
        ("web:\n  venue:\n    terms: hello\n", "web.venue: has no name (line 4)"),
        ("web:\n  venue:\n    name: X\n    contact:\n      email: not-an-address\n",
         "web.venue.contact.email: 'not-an-address' is not an e-mail address (line 6)"),
        ("web:\n  venue:\n    name: X\n    contact: {phone: call me}\n",
         "web.venue.contact.phone: 'call me' is not a phone number"),
        ("web:\n  venue:\n    name: X\n    contact: {web: 'javascript:alert(1)'}\n",
         "web.venue.contact.web: 'javascript:alert(1)' is not an http(s): URL (line 5)"),
        ("web:\n  venue:\n    name: X\n    terms: []\n", "web.venue.terms: is empty"),
        ("web:\n  venue:\n    name: X\n    rules: y\n", "web.venue.rules"),
        ("web:\n  venue: ''\n", "web.venue: must not be empty (line 3)"),
    ]
    with tempfile.TemporaryDirectory() as d:
        for i, (text, want) in enumerate(cases):
            path = os.path.join(d, f"c{i}.yaml")
            with open(path, "w") as f:
                f.write("upstream: {servers: ['127.0.0.1:9']}\n" + text)
            p = subprocess.run([t.args.shelterd, "--check-config", "--config", path],
                               capture_output=True, text=True, timeout=10)
            t.check(p.returncode != 0 and want in p.stderr,
                    f"refused: {want}", p.stderr[-500:])


def main(t):
    with FakeUpstream() as up:
        block_port, public_port = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
        venue = {"name": NAME, "terms": TERMS,
                 "contact": {"email": "wifi@cafe.test", "phone": "+44 (20) 7946-00",
                             "web": "https://cafe.test/wifi?a=1&b=2"}}
        with t.shelterd(config(up, block_port, public_port, venue)):
            with t.case("venue page"):
                venue_page(t, public_port, block_port)
            with t.case("block page link"):
                block_page_link(t, public_port, block_port)
            with t.case("appeal to the venue"):
                appeal_to_venue(t, public_port)
        with t.case("query log on"):
            query_log_on(t, up, venue)
        with t.case("no venue"):
            no_venue(t, up)
    with t.case("config errors"):
        config_errors(t)


if __name__ == "__main__":
    Suite("venue page").main(main)
