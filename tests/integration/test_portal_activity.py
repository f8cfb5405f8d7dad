#!/usr/bin/env python3
"""What the household's network did, on the parents' portal, with the embedded store and real
queries (dig): blocked names from a household's device counted by category this week, exactly,
and no name on the page or in the state file; last week's counts after the test clock moves a
week; another household's counts never shown. A query from the household's CPE-ID with a private
(randomised) MAC no device has is listed under "New devices"; a universally administered MAC,
and a MAC claimed from an untrusted source, are not. Attached to the tablet through the form
(CSRF): the next query with that MAC gets the tablet's profile and the MAC is no longer listed.
Added as a new named device; dismissed (and not listed again when it queries again). Another
household cannot see or bind it; markup in a name is refused. With the query log on
(docs/query-log.md), the family page says what it keeps and for how long, in place of the
promise of no history."""
import json
import re

from clients import ADMIN_TOKEN, api
from fake_upstream import FakeUpstream, Rule
from harness import (BLOCK_V4, Suite, base_config, dig, free_port, http_get, metric,
                     parse_metrics)
from test_appeals import advance_clock, daemon
from test_portal import Browser, first_access, issue_code, post_form

FORWARDED = "198.51.100.44"
TABLET, LAPTOP, JONES, TRUSTED = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.9"
LISTS = [
    {"id": "parental", "format": "domains", "category": "social-media",
     "entries": ["social.test"]},
    {"id": "adult-sites", "format": "domains", "category": "adult", "entries": ["adult.test"]},
    {"id": "betting", "format": "domains", "category": "gambling", "entries": ["bet.test"]},
]
HOUSEHOLDS = f"""households:
  smith:
    profile: 15-17
    cpe-ids: ["cpe-smith"]
    devices:
      tablet:
        profile: under-9
        addresses: ["{TABLET}/32"]
      laptop:
        addresses: ["{LAPTOP}/32"]
  jones:
    profile: 15-17
    addresses: ["{JONES}/32"]
    cpe-ids: ["cpe-jones"]
"""
FILES = {"households.yaml": HOUSEHOLDS, "admin.tokens": f"operator {ADMIN_TOKEN}\n"}
SMITH_CPE = "+ednsopt=65074:" + b"cpe-smith".hex()
JONES_CPE = "+ednsopt=65074:" + b"cpe-jones".hex()
JONES_MAC = "02:aa:bb:cc:dd:05"
PRIVATE = ["02:aa:bb:cc:dd:01", "02:aa:bb:cc:dd:02", "02:aa:bb:cc:dd:03", "da:aa:bb:cc:dd:04"]
UNIVERSAL = "00:1b:63:84:45:e6"
# The settings page's words for each category (proxy/web/pages/locales/en.yaml).
WORDS = {"social-media": "Social media", "adult": "Adult sites: pornography and sexual content",
         "gambling": "Gambling: betting, casinos and lotteries"}


def config(up, portal, web, **subscribers):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"file": "{dir}/households.yaml", "default-profile": "public-wifi",
                     "trust": {"mac-from": [f"{TRUSTED}/32"], "cpe-id-from": [f"{TRUSTED}/32"]},
                     **subscribers},
        web={"block-listen": [f"127.0.0.1:{web}"], "organisation": "Test ISP"},
        admin={"token-file": "{dir}/admin.tokens"},
        portal={"listen": [f"127.0.0.1:{portal}"]},
        **{"list-updates": {"state-directory": "{dir}/state"}})


def ask(d, name, source, *opts):
    r = dig(d.port, name, "A", "-b", source, *opts)
    return r.data("A") or [r.status]


def with_mac(mac, cpe=SMITH_CPE):
    return [cpe, "+ednsopt=65001:" + mac.replace(":", "")]


def week_rows(page):
    """{category words: (this week, last week)} of the "This week" table."""
    section = re.search(r'<section aria-labelledby="week-heading">.*?</section>', page, re.S)
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(\d+)</td><td>(\d+)</td></tr>',
                      section.group(0) if section else "")
    return {words: (int(a), int(b)) for words, a, b in rows}


def new_devices(page):
    section = re.search(r'<section aria-labelledby="new-devices-heading">.*?</section>', page,
                        re.S)
    return re.findall(r'<span class="id" dir="ltr">([0-9a-f:]{17})</span>',
                      section.group(0) if section else "")


def signed_in(t, d, p, household, password="correct horse battery"):
    b = Browser(p)
    r = first_access(b, household, issue_code(t, d, household), password)
    t.check(r.status == 303, f"{household} signs in", r)
    return b


def check_counts(t, d, p, state):
    smith, jones = state["smith"], state["jones"]
    home = smith.request("/")
    t.check("This week" in home.body and "Shelter keeps no list of the sites anyone visited"
            in home.body, "the family page has 'This week' and says what is kept", home)
    t.check("Nothing was blocked this week" in home.body, "nothing counted yet", home)
    t.check("Shelter keeps no history of the sites anyone visits" in home.body and
            "keeps a log of the names" not in home.body,
            "no query log: 'Good to know' says no history is kept", home)
    sent = {"social.test": 3, "adult.test": 2, "bet.test": 1}
    for name, n in sent.items():
        for _ in range(n):
            t.check(ask(d, name, TABLET) == [BLOCK_V4], f"{name} from the tablet is blocked")
    t.equal(ask(d, "open.test", TABLET), [FORWARDED], "an open name is not counted")
    t.equal(ask(d, "adult.test", JONES), [BLOCK_V4], "jones: adult.test blocked once")
    t.equal(ask(d, "adult.test", "127.0.0.77"), [BLOCK_V4], "an unknown client: not counted")
    home = smith.request("/")
    want = {WORDS["social-media"]: (3, 0), WORDS["adult"]: (2, 0), WORDS["gambling"]: (1, 0)}
    t.equal(week_rows(home.body), want, "smith's counts this week, exactly, by category")
    t.check(not any(name in home.body for name in sent),
            "no blocked name appears on the page", home)
    t.equal(week_rows(jones.request("/").body), {WORDS["adult"]: (1, 0)},
            "jones sees only jones's count")
    kept = open(d.path("state/household-activity.json")).read()
    doc = json.loads(kept)
    week = next(iter(doc["blocks"]["smith"]))
    t.check(re.fullmatch(r"\d{4}-W\d{2}", week) and
            doc["blocks"]["smith"][week] == {"social-media": 3, "adult": 2, "gambling": 1},
            "the state file holds counts per ISO week and category", kept)
    t.check(not any(x in kept for x in list(sent) + [TABLET, "tablet"]),
            "the state file holds no name, address or device", kept)
    _, _, body = http_get(d.admin_port, "/metrics")
    m = parse_metrics(body)
    t.check(metric(m, "shelter_household_activity_dropped_total", reason="limit") == 0 and
            metric(m, "shelter_household_activity_dropped_total", reason="store") == 0,
            "/metrics: nothing dropped (over the limits, or refused by the store)", body[-600:])


def check_new_devices(t, d, p, state):
    smith, jones = state["smith"], state["jones"]
    for mac in PRIVATE[:3]:
        t.equal(ask(d, "open.test", TRUSTED, *with_mac(mac)), [FORWARDED],
                f"a query from smith's CPE with private MAC {mac}")
    t.equal(ask(d, "open.test", TRUSTED, *with_mac(UNIVERSAL)), [FORWARDED],
            "a query from smith's CPE with a universal MAC")
    t.equal(ask(d, "open.test", LAPTOP, *with_mac(PRIVATE[3])), [FORWARDED],
            "a private MAC claimed from an untrusted source (the laptop)")
    home = smith.request("/")
    t.equal(new_devices(home.body), PRIVATE[:3], "New devices lists the three private MACs")
    t.check("A device with a private address joined on" in home.body and
            "Is it one of yours?" in home.body, "each is asked about in plain words", home)
    t.check(UNIVERSAL not in home.body and PRIVATE[3] not in home.body,
            "neither the universal MAC nor the untrusted claim is listed", home)
    ask(d, "open.test", TRUSTED, *with_mac(JONES_MAC, JONES_CPE))
    t.equal(new_devices(jones.request("/").body), [JONES_MAC],
            "jones sees its own new device and none of smith's")

    # Another household cannot bind (or dismiss) it, even with a token of its own: refused as
    # not found, nothing written.
    r = post_form(jones, "/new-device", {"mac": PRIVATE[0], "action": "add", "name": "mine"})
    t.check(r.status == 404, "jones cannot add smith's new device", r)
    r = post_form(jones, "/new-device", {"mac": PRIVATE[0], "action": "dismiss"})
    t.check(r.status == 404, "jones cannot dismiss it", r)
    r = smith.request("/new-device", "POST", {"mac": PRIVATE[0], "action": "attach",
                                              "device": "tablet"})
    t.check(r.status == 403, "no CSRF token: refused", r)
    r = post_form(smith, "/new-device", {"mac": UNIVERSAL, "action": "attach",
                                         "device": "tablet"})
    t.check(r.status == 404, "a MAC that is not listed cannot be bound here", r)
    r = post_form(smith, "/new-device", {"mac": PRIVATE[2], "action": "add",
                                         "name": "<b>x</b>"})
    t.check(r.status == 400 and "<b>x</b>" not in r.body, "markup in a name is refused", r)

    # Attach to the tablet: the MAC now gets the tablet's profile (under-9 blocks social media,
    # the household's 15-17 does not).
    t.equal(ask(d, "social.test", TRUSTED, *with_mac(PRIVATE[0])), [FORWARDED],
            "before: the MAC gets the household's profile")
    r = post_form(smith, "/new-device", {"mac": PRIVATE[0], "action": "attach",
                                         "device": "tablet"})
    loc = r.headers.get("location", "")
    t.check(r.status == 303 and re.fullmatch(r"/\?notice=saved&s=\d+\.\d", loc),
            "attached: back to / with 'active everywhere after N s'", r)
    t.equal(ask(d, "social.test", TRUSTED, *with_mac(PRIVATE[0])), [BLOCK_V4],
            "after: a query with that MAC gets the tablet's profile")
    status, h, resp = api(d, "GET", "/v1/households/smith")
    tablet = h.get("devices", {}).get("tablet", {})
    t.check(status == 200 and PRIVATE[0] in tablet.get("macs", []),
            "the admin API shows the MAC bound to the tablet", resp)
    home = smith.request(loc)
    t.check("Active everywhere after" in home.body, "the page says when it took effect", home)
    t.equal(new_devices(home.body), PRIVATE[1:3], "a bound MAC is no longer listed")

    # Dismiss: gone, and not listed again when it queries again.
    r = post_form(smith, "/new-device", {"mac": PRIVATE[1], "action": "dismiss"})
    t.check(r.status == 303 and r.headers.get("location") == "/?notice=dismissed",
            "dismissed", r)
    ask(d, "open.test", TRUSTED, *with_mac(PRIVATE[1]))
    t.equal(new_devices(smith.request("/").body), PRIVATE[2:3],
            "a dismissed MAC stays off the list when it queries again")

    # Added as a device of its own, named.
    r = post_form(smith, "/new-device", {"mac": PRIVATE[2], "action": "add",
                                         "name": "sams-phone"})
    t.check(r.status == 303 and "notice=saved" in r.headers.get("location", ""),
            "added as a new device", r)
    home = smith.request("/")
    t.check("sams-phone" in home.body and new_devices(home.body) == [],
            "the new device is listed with the others, and New devices is empty", home)
    status, h, resp = api(d, "GET", "/v1/households/smith")
    phone = h.get("devices", {}).get("sams-phone", {})
    t.equal(phone.get("macs"), [PRIVATE[2]], "the admin API shows sams-phone with its MAC")
    status, h, resp = api(d, "GET", "/v1/households/jones")
    t.check(status == 200 and PRIVATE[0] not in json.dumps(h), "jones is unchanged", resp)


def check_last_week(t, d, p, state):
    advance_clock(d, 7 * 86400)
    b = signed_in(t, d, p, "smith", "another good password")
    rows = week_rows(b.request("/").body)
    t.equal(rows.get(WORDS["adult"]), (0, 2), "a week later: adult's 2 are last week's")
    t.equal(rows.get(WORDS["social-media"]), (0, 4),
            "social media: 3 from the tablet and 1 from the MAC attached to it, last week")


def query_log_on(t, up):
    portal, web = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
    cfg = config(up, portal, web)
    cfg["logging"] = {"query-log": {"enabled": True, "directory": "{dir}/queries",
                                    "retention": "30d", "key-rotation": "24h"}}
    with daemon(t, cfg, FILES) as d:
        home = signed_in(t, d, portal, "smith").request("/").body
        t.check("On this network, Test ISP keeps a log of the names of the sites your home's "
                "devices look up, for 30 days." in home, "who keeps the log, for how long", home)
        t.check("it appears as a code that changes every day, and one code cannot be linked to "
                "the next" in home and "child sexual abuse material are never written" in home,
                "the household is a daily code; legal lists' names are never written", home)
        t.check("The log of the names looked up that Test ISP keeps is described under" in home,
                "'This week' points to it", home)
        t.check("keeps no history" not in home and "keeps no list" not in home,
                "no promise of no history", home)


def main(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        portal, web = free_port(("127.0.0.1",)), free_port(("127.0.0.1",))
        with daemon(t, config(up, portal, web), FILES) as d:
            state = {}
            with t.case("sign in"):
                state["smith"] = signed_in(t, d, portal, "smith")
                state["jones"] = signed_in(t, d, portal, "jones")
            t.run_cases([("counts", check_counts), ("new devices", check_new_devices),
                         ("last week", check_last_week)], d, portal, state)
        with t.case("query log on"):
            query_log_on(t, up)


if __name__ == "__main__":
    Suite("portal-activity").main(main)
