#!/usr/bin/env python3
"""The admin API's households, devices and bindings with the embedded store, through real HTTP
and real dig queries: create, show, list with paging, replace, delete; a device added, changed
and removed; every change in force for the next query (a dig from the household's address) and
written to the households file (it survives a restart); refusals with clear bodies (malformed
JSON, unknown profile or time zone, a bad id, a binding that is another household's, a
duplicate, an unknown household, no token); the audit trail (who, what, when; no browsing);
profiles: presets and operator profiles listed with paging and shown (writes 405, saying how),
a household's own profiles put, shown, used by a device (in force for its next query), refused
when malformed, named like a preset, or in use (409 naming the device), and deleted;
shelterctl's household, device and profile verbs. The Redis store runs the same checks in
test_households_redis.py."""
import json
import os
import stat

from clients import ADMIN_TOKEN, api, ctl, ctl_json, http
from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, dig, wait_until

FORWARDED = "198.51.100.44"
SMITH, JONES, NEW = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LISTS = [
    {"id": "parental", "format": "domains", "category": "social-media",
     "entries": ["social.test"]},
    {"id": "adult-sites", "format": "domains", "category": "adult", "entries": ["adult.test"]},
    {"id": "hotline-urls", "format": "urls", "category": "csam", "legal": True,
     "authority": "Test Hotline", "entries": ["shared.test/abuse/1.jpg"]},
]
HOUSEHOLDS = f"""households:
  jones:
    profile: 15-17
    addresses: ["{JONES}/32"]
"""


SELF_TEST = {"block": ["adult.test", "http://shared.test/abuse/1.jpg"], "allow": ["open.test"],
             "client": JONES}


def config(up, households_file="{dir}/households.yaml", self_test=None, **over):
    subscribers = {"default-profile": "adult"}
    if households_file:
        subscribers["file"] = households_file
    admin = {"token-file": "{dir}/admin.tokens", "self-test": self_test or SELF_TEST}
    return base_config(up.addr, lists=LISTS, subscribers=subscribers, admin=admin,
                       **{"list-updates": {"state-directory": "{dir}/state"}}, **over)


FILES = {"households.yaml": HOUSEHOLDS, "admin.tokens": f"operator {ADMIN_TOKEN}\n"}


def answer(d, name, source):
    r = dig(d.port, name, "A", "-b", source)
    return r.data("A") or [r.status]


def in_force(t, d, name, source, want, what, timeout=1.0):
    """The answer becomes `want` within `timeout` (a change applies within a second)."""
    ok = wait_until(lambda: answer(d, name, source) == want, timeout)
    t.check(ok, what, dig(d.port, name, "A", "-b", source))


def check_create(t, d):
    in_force(t, d, "social.test", SMITH, [FORWARDED], "before: smith's address gets the default")
    body = {"id": "smith", "profile": "9-12", "time-zone": "Europe/London",
            "addresses": [f"{SMITH}/32"],
            "devices": {"tablet": {"profile": "under-9", "macs": ["02:00:5E:10:00:01"]}}}
    status, r, resp = api(d, "POST", "/v1/households", body)
    t.check(status == 201 and r["household"]["id"] == "smith" and r["changed"],
            "POST /v1/households -> 201 with the household", resp)
    t.check(r["household"]["devices"]["tablet"]["macs"] == ["02:00:5e:10:00:01"],
            "the MAC is shown in canonical form", resp)
    in_force(t, d, "social.test", SMITH, [BLOCK_V4], "smith's 9-12 blocks social media at once")
    status, r, resp = api(d, "GET", "/v1/households/smith")
    t.check(status == 200 and r["profile"] == "9-12" and r["addresses"] == [f"{SMITH}/32"]
            and r["time-zone"] == "Europe/London", "GET /v1/households/smith", resp)
    status, r, resp = api(d, "POST", "/v1/households", body)
    t.check(status == 409 and "exists" in r["error"], "a second POST of smith -> 409", resp)
    if os.path.exists(d.path("households.yaml")):  # the embedded store
        text = open(d.path("households.yaml")).read()
        t.check("smith:" in text and "9-12" in text and "jones:" in text,
                "the households file holds smith and still jones", text)
        mode = stat.S_IMODE(os.stat(d.path("households.yaml")).st_mode)
        t.equal(mode, 0o640, "the households file is 0640 (addresses are personal data)")


def check_refusals(t, d):
    cases = [
        ("malformed JSON", "POST", "/v1/households", "{not json", 400, "not a JSON object"),
        ("a bad id", "POST", "/v1/households", {"id": "a b"}, 400, "id"),
        ("no id", "POST", "/v1/households", {"profile": "9-12"}, 400, "id"),
        ("an unknown profile", "POST", "/v1/households", {"id": "x1", "profile": "nine"}, 400,
         "'nine' is not a preset or profile"),
        ("an unknown time zone", "POST", "/v1/households",
         {"id": "x2", "time-zone": "Mars/Olympus"}, 400, "time-zone"),
        ("an unknown field", "POST", "/v1/households", {"id": "x3", "colour": "red"}, 400,
         "colour"),
        ("a bad address", "POST", "/v1/households", {"id": "x4", "addresses": ["300.1.1.1"]},
         400, "300.1.1.1"),
        ("a MAC bound twice in one household", "POST", "/v1/households",
         {"id": "x5", "devices": {"a": {"macs": ["02:00:00:00:00:09"]},
                                  "b": {"macs": ["02:00:00:00:00:09"]}}}, 400, "bound twice"),
        ("jones's address for another household", "POST", "/v1/households",
         {"id": "x6", "addresses": [f"{JONES}/32"]}, 409, "household 'jones'"),
        ("an unknown household", "GET", "/v1/households/nobody", None, 404, "no household"),
        ("a device of an unknown household", "PUT", "/v1/households/nobody/devices/tv", {}, 404,
         "no household"),
        ("the body's id against the path's", "PUT", "/v1/households/smith", {"id": "jones"}, 400,
         "the path's"),
        ("a page limit of 0", "GET", "/v1/households?limit=0", None, 400, "limit"),
    ]
    for what, method, path, body, want, says in cases:
        if isinstance(body, str):
            resp = http(d.admin_port, path, method, data=body,
                        headers=[f"Authorization: Bearer {ADMIN_TOKEN}"])
            status, r = resp.status, json.loads(resp.body)
        else:
            status, r, resp = api(d, method, path, body)
        text = json.dumps(r)
        t.check(status == want and says in text, f"refused: {what} -> {want}", resp)
    status, r, resp = api(d, "GET", "/v1/households/x1")
    t.equal(status, 404, "nothing of a refused household was kept")
    status, _, resp = api(d, "GET", "/v1/households", token=None)
    t.equal(status, 401, "no token -> 401")
    in_force(t, d, "adult.test", JONES, [BLOCK_V4], "jones is as it was")


def check_devices(t, d):
    status, r, resp = api(d, "PUT", "/v1/households/smith/devices/laptop",
                          {"profile": "13-14", "addresses": ["127.0.0.9/32"]})
    t.check(status == 200 and "laptop" in r["household"]["devices"], "PUT a device -> 200", resp)
    in_force(t, d, "social.test", "127.0.0.9", [FORWARDED],
             "the laptop's own address gets 13-14 (social media allowed)")
    status, r, resp = api(d, "PUT", "/v1/households/smith/devices/laptop",
                          {"profile": "nope"})
    t.check(status == 400 and "nope" in json.dumps(r), "a device with an unknown profile -> 400",
            resp)
    status, r, resp = api(d, "DELETE", "/v1/households/smith/devices/laptop")
    t.check(status == 200 and "laptop" not in r["household"].get("devices", {}),
            "DELETE the device -> 200", resp)
    in_force(t, d, "social.test", "127.0.0.9", [FORWARDED],
             "the laptop's address is nobody's again (the default)")
    status, r, resp = api(d, "DELETE", "/v1/households/smith/devices/laptop")
    t.check(status == 404, "DELETE it again -> 404", resp)


def check_paging(t, d):
    for i in range(5):
        status, _, resp = api(d, "POST", "/v1/households", {"id": f"page-{i}", "profile": "adult"})
        t.check(status == 201, f"created page-{i}", resp)
    seen, after, pages = [], "", 0
    while True:
        status, r, resp = api(d, "GET", f"/v1/households?limit=3&after={after}")
        t.check(status == 200, "GET a page", resp)
        seen += [h["id"] for h in r["households"]]
        pages += 1
        if r["next"] is None or pages > 5:
            break
        after = r["next"]
    t.equal(seen, sorted(seen), "pages come in id order")
    t.check(len(seen) == len(set(seen)) and {"jones", "smith", "page-0", "page-4"} <= set(seen),
            "every household once across the pages", seen)
    t.equal(pages, 3, "7 households in pages of 3 -> 3 pages")


def check_replace_delete(t, d):
    status, r, resp = api(d, "PUT", "/v1/households/smith",
                          {"profile": "adult", "addresses": [f"{SMITH}/32"]})
    t.check(status == 200 and r["household"]["profile"] == "adult"
            and "devices" not in r["household"], "PUT replaces the whole household", resp)
    in_force(t, d, "social.test", SMITH, [FORWARDED], "smith's 'adult' allows social media")
    status, r, resp = api(d, "DELETE", "/v1/households/page-0")
    t.check(status == 200 and r["household"] is None, "DELETE a household -> 200", resp)
    status, _, _ = api(d, "GET", "/v1/households/page-0")
    t.equal(status, 404, "it is gone")


def check_audit(t, d):
    status, r, resp = api(d, "GET", "/v1/audit?limit=50")
    t.check(status == 200 and r["entries"], "GET /v1/audit", resp)
    actions = [(e["action"], e["target"]) for e in r["entries"]]
    for want in [("household.create", "smith"), ("device.put", "smith/laptop"),
                 ("device.delete", "smith/laptop"), ("household.replace", "smith"),
                 ("household.delete", "page-0")]:
        t.check(want in actions, f"audited: {want}", actions)
    t.check(all(e["who"] == "operator" and e["at"] > 1.7e9 for e in r["entries"]),
            "each entry names the token and the time", r["entries"][:3])
    t.equal(r["entries"][0]["action"], "household.delete", "newest first")
    t.check("social.test" not in resp.body and "adult.test" not in resp.body,
            "no browsing in the audit trail", resp)
    t.check(not any(a == "household.create" and tgt.startswith("x") for a, tgt in actions),
            "refused changes are not audited as done", actions)


def check_explain(t, d):
    """The decision preview: what a client would get and why, without a query."""
    def explain(query):
        return api(d, "GET", "/v1/explain?" + query)
    status, r, resp = explain(f"client={JONES}&site=adult.test")
    t.check(status == 200 and r["household"] == "jones" and r["profile"] == "15-17"
            and r["verdict"] == "block" and r["list"] == "adult-sites"
            and r["category"] == "adult" and r["rule"] == "adult.test",
            "explain: jones's 15-17 blocks adult.test by the adult-sites list", resp)
    status, r, resp = explain("client=127.0.0.99&site=social.test")
    t.check(status == 200 and r["household"] is None and r["profile"] == "adult"
            and r["verdict"] == "allow", "explain: a stranger gets the default profile", resp)
    status, r, resp = explain("client=127.0.0.99&url=" +
                              "http%3A%2F%2Fshared.test%2Fabuse%2F1.jpg")
    t.check(status == 200 and r["verdict"] == "block" and r["legal"] is True
            and r["list"] == "hotline-urls" and "abuse" not in resp.body,
            "explain: a legal list's URL blocks, and its listed URL is not shown", resp)
    status, r, resp = explain("client=127.0.0.99&site=shared.test")
    t.check(status == 200 and r["verdict"] == "block" and r["legal"] is True,
            "explain: without a proxy its host is blocked whole (fails closed)", resp)
    for query, what in (("site=adult.test", "no client"), ("client=x&site=a.test", "a bad client"),
                        ("client=127.0.0.1", "no site"),
                        ("client=127.0.0.1&site=a.test&url=b.test", "both site and url")):
        status, r, resp = explain(query)
        t.check(status == 400 and r.get("error"), f"explain refused: {what}", resp)


def check_lists(t, d):
    status, r, resp = api(d, "GET", "/v1/lists")
    t.check(status == 200 and {l["id"] for l in r["lists"]} ==
            {"parental", "adult-sites", "hotline-urls"}, "GET /v1/lists: every list", resp)
    status, r, resp = api(d, "POST", "/v1/lists/reload")
    t.check(status == 200 and r["reload"] == "swapped in" and r["status"]["status"],
            "POST /v1/lists/reload: read again now", resp)
    entries = api(d, "GET", "/v1/audit?limit=5")[1]["entries"]
    t.check(any(e["action"] == "lists.reload" for e in entries), "the reload is audited", entries)


def check_self_test(t, d):
    status, report, resp = api(d, "GET", "/v1/self-test")
    t.check(status == 200 and report["passed"] is True and len(report["checks"]) == 3
            and all(c["pass"] for c in report["checks"]) and report["client"] == JONES
            and report["node"] and report["at"] > 1.7e9 and report["signature"],
            "self-test: every configured check passes, signed, with the node and the time", resp)
    t.check(report["node"].endswith(f"/{d.proc.pid}"),
            "the report names this process, host/pid, as the fleet's nodes hash does",
            report["node"])
    status, r, resp = api(d, "POST", "/v1/self-test/verify", report)
    t.check(status == 200 and r["valid"] is True, "the signed report verifies", resp)
    forged = dict(report, at=report["at"] + 1)
    status, r, resp = api(d, "POST", "/v1/self-test/verify", forged)
    t.check(status == 200 and r["valid"] is False, "a changed report does not verify", resp)
    status, r, resp = api(d, "POST", "/v1/self-test/verify", {"x": 1})
    t.equal(status, 400, "something else is not a report")
    p = ctl(t, d, "self-test")
    t.check(p.returncode == 0 and "PASSED" in p.stdout and "adult.test" in p.stdout,
            "shelterctl self-test", p.shown)


DESK = "127.0.0.12"
HOMEWORK = {"base": "adult", "block": ["social-media"], "deny": ["games.test"]}


def check_profiles(t, d):
    status, r, resp = api(d, "GET", "/v1/profiles")
    names = [p["name"] for p in (r or {}).get("profiles", [])]
    t.check(status == 200 and names == sorted(names)
            and {"under-9", "9-12", "13-14", "15-17", "adult", "public-wifi", "all-lists"}
            <= set(names) and r["next"] is None, "GET /v1/profiles: every preset, by name", resp)
    kinds = {p["name"]: p["kind"] for p in r["profiles"]} if r else {}
    t.check(kinds.get("9-12") == "preset" and kinds.get("all-lists") == "built-in",
            "each says its kind", kinds)
    seen, after, pages = [], "", 0
    while pages < 10:
        status, r, resp = api(d, "GET", f"/v1/profiles?limit=3&after={after}")
        t.check(status == 200, "GET a page of profiles", resp)
        seen += [p["name"] for p in r["profiles"]]
        pages += 1
        if r["next"] is None:
            break
        after = r["next"]
    t.equal(seen, names, "pages of 3 give every profile once, in order")
    status, r, resp = api(d, "GET", "/v1/profiles?limit=0")
    t.check(status == 400 and "limit" in r["error"], "a page limit of 0 -> 400", resp)
    status, r, resp = api(d, "GET", "/v1/profiles/9-12")
    t.check(status == 200 and r["kind"] == "preset" and "social-media" in r["block"]
            and r["audience"] == "child", "GET /v1/profiles/9-12: its fields", resp)
    status, r, resp = api(d, "GET", "/v1/profiles/nine")
    t.check(status == 404 and "nine" in r["error"], "an unknown profile -> 404", resp)
    for method, path in (("PUT", "/v1/profiles/9-12"), ("DELETE", "/v1/profiles/9-12"),
                         ("POST", "/v1/profiles")):
        status, r, resp = api(d, method, path, {} if method != "DELETE" else None)
        t.check(status == 405 and "configuration" in r["error"] and "SIGHUP" in r["error"]
                and resp.headers.get("allow") == "GET",
                f"{method} {path} -> 405, saying how presets change", resp)
    for method, path in (("GET", "/v1/profiles"), ("PUT", "/v1/households/smith/profiles/x")):
        status, _, resp = api(d, method, path, {} if method == "PUT" else None, token=None)
        t.equal(status, 401, f"{method} {path} without a token -> 401")

    own = "/v1/households/smith/profiles"
    status, r, resp = api(d, "PUT", own + "/homework", HOMEWORK)
    t.check(status == 200 and r["changed"]
            and r["household"]["profiles"]["homework"]["block"] == ["social-media"],
            "PUT a household's own profile -> 200", resp)
    status, r, resp = api(d, "PUT", "/v1/households/smith/devices/desk",
                          {"profile": "homework", "addresses": [f"{DESK}/32"]})
    t.check(status == 200, "a device set to it", resp)
    in_force(t, d, "social.test", DESK, [BLOCK_V4], "the desk's next query: social media blocked")
    in_force(t, d, "games.test", DESK, [BLOCK_V4], "...and its denied site")
    status, r, resp = api(d, "PUT", own + "/homework", {**HOMEWORK, "block": []})
    t.check(status == 200 and r["changed"], "the profile changed", resp)
    in_force(t, d, "social.test", DESK, [FORWARDED], "the desk gets the change at once")
    status, r, resp = api(d, "GET", own)
    t.check(status == 200 and [p["name"] for p in r["profiles"]] == ["homework"]
            and r["profiles"][0]["used_by"] == ["device desk"]
            and r["profiles"][0]["kind"] == "household", "GET the household's profiles", resp)
    status, shown, resp = api(d, "GET", own + "/homework")
    t.check(status == 200 and shown["base"] == "adult" and shown["deny"] == ["games.test"],
            "GET one of them", resp)
    status, r, resp = api(d, "PUT", own + "/homework", shown)
    t.check(status == 200 and not r["changed"], "what GET shows PUTs back as it is", resp)
    refusals = [
        ("malformed JSON", own + "/homework", "{not json", 400, "not a JSON object"),
        ("an unknown field", own + "/homework", {"colour": "red"}, 400, "colour"),
        ("an unknown base", own + "/homework", {"base": "nine"}, 400, "nine"),
        ("a category that is no name", own + "/homework", {"block": ["a b"]}, 400, "block"),
        ("a preset's name", own + "/9-12", {"base": "adult"}, 400, "preset"),
        ("a bad name", own + "/a%20b", {"base": "adult"}, 400, "name"),
        ("the body's name against the path's", own + "/homework", {"name": "other"}, 400,
         "other"),
        ("an unknown household", "/v1/households/nobody/profiles/homework", HOMEWORK, 404,
         "no household"),
    ]
    for what, path, body, want, says in refusals:
        status, r, resp = api(d, "PUT", path, body)
        t.check(status == want and r and says in json.dumps(r), f"{what} -> {want}", resp)
    status, shown, resp = api(d, "GET", own + "/homework")
    t.check(status == 200 and shown["base"] == "adult", "nothing refused was written", resp)
    status, r, resp = api(d, "GET", "/v1/households/jones/profiles/homework")
    t.check(status == 404, "another household's profile is not jones's", resp)
    status, r, resp = api(d, "PUT", "/v1/households/jones/devices/tv", {"profile": "homework"})
    t.check(status == 400 and "homework" in json.dumps(r),
            "jones cannot use smith's profile", resp)
    status, r, resp = api(d, "PATCH", own + "/homework", {})
    t.equal(status, 405, "PATCH a household's profile -> 405")
    status, r, resp = api(d, "DELETE", own + "/homework")
    t.check(status == 409 and "desk" in r["error"] and r["reasons"] == ["device desk"],
            "DELETE a profile the desk uses -> 409 naming the device", resp)
    in_force(t, d, "games.test", DESK, [BLOCK_V4], "it is still in force")
    status, r, resp = api(d, "DELETE", "/v1/households/smith/devices/desk")
    t.equal(status, 200, "the desk removed")
    status, r, resp = api(d, "DELETE", own + "/homework")
    t.check(status == 200 and "profiles" not in r["household"], "then DELETE -> 200", resp)
    status, r, resp = api(d, "DELETE", own + "/homework")
    t.equal(status, 404, "DELETE it again -> 404")
    status, r, resp = api(d, "GET", "/v1/audit?limit=20")
    actions = [(e["action"], e["target"]) for e in (r or {}).get("entries", [])]
    t.check(("profile.put", "smith/homework") in actions
            and ("profile.delete", "smith/homework") in actions,
            "profile changes are audited", actions)


def check_ctl_profiles(t, d):
    p = ctl(t, d, "profile", "list")
    t.check(p.returncode == 0 and p.stdout.startswith("NAME") and "9-12" in p.stdout
            and "preset" in p.stdout and "all-lists" in p.stdout, "shelterctl profile list",
            p.shown)
    p = ctl(t, d, "profile", "list", "--limit", "2")
    t.check(p.returncode == 0 and "more: shelterctl profile list --after 15-17 --limit 2"
            in p.stdout, "shelterctl profile list --limit 2: the next page's command", p.shown)
    p = ctl(t, d, "profile", "show", "9-12")
    t.check(p.returncode == 0 and "social-media" in p.stdout and "preset" in p.stdout,
            "shelterctl profile show 9-12", p.shown)
    late = {"base": "adult", "block": ["social-media"]}
    p = ctl(t, d, "profile", "put", "walker", "late", "--file", "-", stdin=json.dumps(late))
    t.check(p.returncode == 0 and "household walker" in p.stdout,
            "shelterctl profile put --file - (standard input)", p.shown)
    with open(d.path("late.json"), "w") as f:
        json.dump(late, f)
    p = ctl(t, d, "profile", "put", "walker", "late", "--file", d.path("late.json"))
    t.check(p.returncode == 0 and "(nothing changed)" in p.stdout,
            "shelterctl profile put --file FILE: the same again changes nothing", p.shown)
    p = ctl(t, d, "profile", "set", "walker", "late", "--device", "phone")
    t.check(p.returncode == 0, "the phone set to it", p.shown)
    p = ctl(t, d, "profile", "list", "--household", "walker")
    t.check(p.returncode == 0 and "late" in p.stdout and "device phone" in p.stdout,
            "shelterctl profile list --household: what uses each", p.shown)
    shown, p = ctl_json(t, d, "profile", "show", "late", "--household", "walker")
    t.check(shown and shown["base"] == "adult" and shown["used_by"] == ["device phone"],
            "shelterctl profile show --household --json", p.shown)
    p = ctl(t, d, "profile", "remove", "walker", "late")
    t.check(p.returncode == 1 and "device phone" in p.stderr and "409" in p.stderr,
            "shelterctl profile remove while the phone uses it: exit 1, names it", p.shown)
    p = ctl(t, d, "profile", "put", "walker", "9-12", "--file", "-", stdin="{}")
    t.check(p.returncode == 1 and "preset" in p.stderr, "a preset's name: exit 1, says why",
            p.shown)
    p = ctl(t, d, "profile", "put", "walker", "x", "--file", d.path("missing.json"))
    t.check(p.returncode == 2 and "cannot read" in p.stderr, "a missing file: exit 2", p.shown)
    p = ctl(t, d, "profile", "put", "walker", "x", "--file", "-", stdin="{not json")
    t.check(p.returncode == 1 and "not a JSON object" in p.stderr, "malformed JSON: exit 1",
            p.shown)
    for verb in ("list", "show", "put", "remove"):
        p = ctl(t, d, "profile", verb, "--help")
        t.check(p.returncode == 0 and f"shelterctl profile {verb}" in p.stdout,
                f"shelterctl profile {verb} --help", p.shown)


def check_shelterctl(t, d):
    p = ctl(t, d, "household", "add", "walker", "--profile", "13-14", "--address", "127.0.0.11")
    t.check(p.returncode == 0, "shelterctl household add", p.shown)
    in_force(t, d, "social.test", "127.0.0.11", [FORWARDED], "walker's 13-14 allows social media")
    p = ctl(t, d, "device", "bind", "walker", "phone", "--mac", "02:00:00:00:00:42",
            "--profile", "under-9")
    t.check(p.returncode == 0, "shelterctl device bind", p.shown)
    p = ctl(t, d, "profile", "set", "walker", "9-12")
    t.check(p.returncode == 0, "shelterctl profile set (the household)", p.shown)
    in_force(t, d, "social.test", "127.0.0.11", [BLOCK_V4], "walker is 9-12 now")
    p = ctl(t, d, "profile", "set", "walker", "15-17", "--device", "phone")
    t.check(p.returncode == 0, "shelterctl profile set --device", p.shown)
    shown, p = ctl_json(t, d, "household", "show", "walker")
    t.check(shown and shown["profile"] == "9-12"
            and shown["devices"]["phone"] == {"profile": "15-17", "macs": ["02:00:00:00:00:42"]},
            "shelterctl household show --json", p.shown)
    p = ctl(t, d, "household", "list")
    t.check(p.returncode == 0 and "walker" in p.stdout and "smith" in p.stdout,
            "shelterctl household list", p.shown)
    p = ctl(t, d, "household", "add", "walker2", "--address", "127.0.0.11")
    t.check(p.returncode == 1 and "walker" in p.stderr, "a taken address: exit 1, says whose",
            p.shown)
    p = ctl(t, d, "profile", "set", "walker", "bogus")
    t.check(p.returncode == 1 and "bogus" in p.stderr, "an unknown profile: exit 1, says which",
            p.shown)
    check_ctl_profiles(t, d)
    p = ctl(t, d, "device", "unbind", "walker", "phone")
    t.check(p.returncode == 0, "shelterctl device unbind", p.shown)
    p = ctl(t, d, "profile", "remove", "walker", "late")
    t.check(p.returncode == 0 and "household walker" in p.stdout,
            "shelterctl profile remove, once nothing uses it", p.shown)
    p = ctl(t, d, "household", "remove", "walker")
    t.check(p.returncode == 0, "shelterctl household remove", p.shown)
    in_force(t, d, "social.test", "127.0.0.11", [FORWARDED], "walker's address: the default")
    p = ctl(t, d, "explain", JONES, "adult.test")
    t.check(p.returncode == 0 and "household jones" in p.stdout and "block" in p.stdout
            and "adult-sites" in p.stdout, "shelterctl explain", p.shown)
    p = ctl(t, d, "lists", "status")
    t.check(p.returncode == 0 and "hotline-urls" in p.stdout and "parental" in p.stdout,
            "shelterctl lists status", p.shown)
    p = ctl(t, d, "lists", "reload")
    t.check(p.returncode == 0 and p.stdout.startswith("reload: swapped in"),
            "shelterctl lists reload", p.shown)
    p = ctl(t, d, "household", "access-code", "smith")
    if "portal:" in d.config_text:
        t.check(p.returncode == 0 and "first-access code for smith" in p.stdout,
                "shelterctl household access-code", p.shown)
    else:
        t.check(p.returncode == 1 and "portal" in p.stderr,
                "shelterctl household access-code without a portal: exit 1, says why", p.shown)
    for verb in (["household", "--help"], ["device", "bind", "--help"], ["profile", "--help"],
                 ["lists", "--help"], ["explain", "--help"]):
        p = ctl(t, d, *verb)
        t.check(p.returncode == 0 and "usage" in p.stdout.lower(), f"shelterctl {' '.join(verb)}",
                p.shown)


CASES = [("create", check_create), ("refusals", check_refusals), ("devices", check_devices),
         ("paging", check_paging), ("replace and delete", check_replace_delete),
         ("audit", check_audit), ("profiles", check_profiles), ("explain", check_explain),
         ("lists", check_lists),
         ("self-test", check_self_test),
         ("shelterctl", check_shelterctl)]


def main(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        with t.shelterd(config(up), files=FILES) as d:
            t.run_cases(CASES, d)
            kept = api(d, "GET", "/v1/households/smith")[1]
            written = open(d.path("households.yaml")).read()
        with t.case("restart"), t.shelterd(config(up), files={**FILES,
                                                                "households.yaml": written}) as d:
            status, r, resp = api(d, "GET", "/v1/households/smith")
            t.check(status == 200 and r == kept, "after a restart smith is as edited", resp)
            in_force(t, d, "social.test", SMITH, [FORWARDED], "and in force")
        failing = {"block": ["open.test"], "allow": ["http://shared.test/abuse/1.jpg"]}
        with t.case("self-test fails"), t.shelterd(config(up, self_test=failing),
                                                   files=FILES) as d:
            status, report, resp = api(d, "GET", "/v1/self-test")
            t.check(status == 200 and report["passed"] is False
                    and not any(c["pass"] for c in report["checks"]),
                    "a self-test whose checks fail says so", resp)
            p = ctl(t, d, "self-test")
            t.check(p.returncode == 1 and "FAILED" in p.stdout, "shelterctl self-test: exit 1",
                    p.shown)
        with t.case("no file"), t.shelterd(config(up, households_file=None), files=FILES) as d:
            status, r, resp = api(d, "POST", "/v1/households", {"id": "z"})
            t.check(status == 503 and "subscribers.file" in r["error"],
                    "no households file: 503 saying what to set", resp)


if __name__ == "__main__":
    Suite("households").main(main)
