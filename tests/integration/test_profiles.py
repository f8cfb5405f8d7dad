#!/usr/bin/env python3
"""Per-subscriber profiles through the real shelterd and dig, with the embedded store (a
households file): identification by source address, EDNS Client Subnet (`dig +subnet`), the MAC
option (`+ednsopt=65001:`) and CPE-ID (`+ednsopt=65074:`), trusted only from the networks the
configuration names; presets; safe search (a CNAME to the engine's safe endpoint and its
records); bypass prevention; never-blocked helplines; pause; a schedule
window whose edge shortens answer TTLs; legal lists whatever the profile."""
import time

from fake_upstream import FakeUpstream, Rule
from harness import BLOCK_V4, Suite, base_config, dig, http_get, metric, parse_metrics

FORWARDED = "198.51.100.7"
SAFE_GOOGLE, SAFE_YOUTUBE_V6 = "198.51.100.200", "2001:db8::200"
TABLET_MAC = "02005e100001"          # binary option data, as dnsmasq --add-mac sends it
TRUSTED = "127.0.0.1"                 # the "CPE/forwarder" network of this test
SMITH, NIGHT, PAUSED = "127.0.0.2", "127.0.0.4", "127.0.0.5"

LISTS = [
    {"id": "adult", "category": "adult", "entries": ["adult.test", "childline.org.uk"]},
    {"id": "sexed", "category": "sex-education", "entries": ["sexed.test"]},
    {"id": "bets", "category": "gambling", "entries": ["casino.test"]},
    {"id": "social", "category": "social-media", "entries": ["social.test"]},
    {"id": "iwf", "category": "csam", "legal": True, "authority": "Hotline",
     "entries": ["csam.test"]},
]
NAMES = ["open.test", "adult.test", "sexed.test", "casino.test", "social.test", "csam.test",
         "school.test", "childline.org.uk", "use-application-dns.net", "soon.test"]


def households(window_from, window_to):
    return f"""households:
  smith:
    profile: 9-12
    addresses: ["{SMITH}/32"]
    devices:
      tablet:
        profile: under-9
        macs: ["02:00:5e:10:00:01"]
  jones:
    profile: adult
    addresses: ["10.1.0.0/16"]
    cpe-ids: ["cpe-jones"]
  night:
    profiles:
      night-owl:
        base: 13-14
        schedules:
          - name: bedtime
            days: daily
            from: "00:00"
            to: "00:00"
            allow: [school.test]
          - name: soon
            days: daily
            from: "{window_from}"
            to: "{window_to}"
            block: [social-media]
    profile: night-owl
    addresses: ["{NIGHT}/32"]
  paused:
    profile: adult
    paused-until: "2099-01-01T00:00:00Z"
    addresses: ["{PAUSED}/32"]
"""


def config(up):
    return base_config(up.addr, lists=LISTS, subscribers={
        "default-profile": "public-wifi",
        "file": "{dir}/households.yaml",
        "trust": {"mac-from": [f"{TRUSTED}/32"], "cpe-id-from": [f"{TRUSTED}/32"],
                  "client-subnet-from": [f"{TRUSTED}/32"]},
    })


def answer(t, d, name, source, want, what, *opts):
    r = dig(d.port, name, "A", "-b", source, *opts)
    got = "NXDOMAIN" if r.status == "NXDOMAIN" else (r.data("A") or [r.status])
    t.check(got == want, what, r)
    return r


def check_identification(t, d):
    blocked, open_ = [BLOCK_V4], [FORWARDED]
    answer(t, d, "casino.test", TRUSTED, blocked, "unknown client: the default (public-wifi)")
    answer(t, d, "social.test", TRUSTED, open_, "public-wifi leaves social media open")
    answer(t, d, "social.test", SMITH, blocked, "source address -> smith (9-12): social blocked")
    answer(t, d, "sexed.test", SMITH, open_, "9-12 keeps sex education open")
    answer(t, d, "adult.test", TRUSTED, open_, "dig +subnet from a trusted forwarder -> jones "
           "(adult preset)", "+subnet=10.1.2.0/24")
    answer(t, d, "csam.test", TRUSTED, blocked, "legal list blocks the adult preset too",
           "+subnet=10.1.2.0/24")
    answer(t, d, "adult.test", SMITH, blocked, "+subnet from an untrusted source is ignored",
           "+subnet=10.1.2.0/24")
    answer(t, d, "sexed.test", TRUSTED, blocked, "+ednsopt=65001 (MAC) -> smith's tablet "
           "(under-9): sex education blocked", f"+ednsopt=65001:{TABLET_MAC}")
    answer(t, d, "adult.test", TRUSTED, open_, "+ednsopt=65074 (CPE-ID) -> jones",
           "+ednsopt=65074:" + b"cpe-jones".hex())
    answer(t, d, "social.test", SMITH, blocked,
           "MAC option from an untrusted source is ignored (still smith by address)",
           "+ednsopt=65001:02005e100099")
    answer(t, d, "adult.test", TRUSTED, blocked,
           "a malformed MAC option voids every claim of the query",
           "+ednsopt=65001:0102", "+subnet=10.1.2.0/24")


def check_profile_rules(t, d):
    answer(t, d, "use-application-dns.net", SMITH, "NXDOMAIN",
           "bypass prevention: Firefox canary NXDOMAIN for a child")
    answer(t, d, "use-application-dns.net", TRUSTED, [FORWARDED],
           "no bypass prevention in the public-wifi preset", "+subnet=10.1.2.0/24")
    answer(t, d, "childline.org.uk", SMITH, [FORWARDED],
           "a helpline on a blocked list still resolves (never blocked)")
    r = answer(t, d, "open.test", NIGHT, [BLOCK_V4], "bedtime window: everything blocked")
    t.check(any("Outside the hours" in text for _, text in r.ede), "bedtime EDE text", r)
    answer(t, d, "school.test", NIGHT, [FORWARDED], "bedtime allow entry resolves")
    answer(t, d, "csam.test", NIGHT, [BLOCK_V4], "legal list during bedtime")
    r = answer(t, d, "open.test", PAUSED, [BLOCK_V4], "paused household: blocked")
    t.check(any("Paused" in text for _, text in r.ede), "pause EDE text", r)
    answer(t, d, "childline.org.uk", PAUSED, [FORWARDED], "helpline during a pause")


def check_safe_search(t, d, up):
    r = dig(d.port, "www.google.com", "A", "-b", SMITH)
    cname = [x for x in r.answer if x.type == "CNAME"]
    t.check(r.status == "NOERROR" and cname and cname[0].data == "forcesafesearch.google.com." and
            r.data("A") == [SAFE_GOOGLE],
            "safe search: www.google.com -> CNAME forcesafesearch.google.com and its address", r)
    t.check(up.count("www.google.com") == 0 and up.count("forcesafesearch.google.com") == 1,
            "only the safe endpoint was asked upstream", up.queries[-3:])
    r = dig(d.port, "www.google.co.uk", "A", "-b", SMITH)
    t.check(r.data("A") == [SAFE_GOOGLE] and up.count("forcesafesearch.google.com") == 1,
            "a country domain too, the second answer from the cache", r)
    r = dig(d.port, "www.youtube.com", "AAAA", "-b", SMITH)
    t.check(any(x.type == "CNAME" and x.data == "restrict.youtube.com." for x in r.answer) and
            r.data("AAAA") == [SAFE_YOUTUBE_V6],
            "YouTube strict for 9-12 (AAAA)", r)
    r = dig(d.port, "www.google.com", "A", "+subnet=10.1.2.0/24")
    t.check(r.data("A") == [FORWARDED] and not any(x.type == "CNAME" for x in r.answer),
            "the adult preset gets the real www.google.com", r)


def check_ttl_at_edge(t, d, opens_at):
    r = answer(t, d, "school.test", NIGHT, [FORWARDED], "before the window: resolves")
    left = opens_at - int(time.time())
    ttls = r.ttls("A")
    # shelterd's clock may have read one second earlier than ours, across a second's edge.
    t.check(ttls and 0 <= ttls[0] <= left + 1 and left <= 300,
            f"answer TTL ends at the window's edge ({left}s away, upstream TTL 300)", r)


def check_options_stripped(t, d, up):
    before = up.count("open.test")
    dig(d.port, "open.test", "A", "-b", TRUSTED, "+subnet=10.1.2.0/24",
        f"+ednsopt=65001:{TABLET_MAC}", "+ednsopt=65074:" + b"cpe-jones".hex(), "+nocookie")
    t.check(up.count("open.test") == before + 1 and not up.option_codes & {8, 65001, 65073, 65074},
            "client identification options never travel upstream (privacy)",
            f"option codes seen upstream: {sorted(up.option_codes)}")


def check_metrics(t, d):
    status, _, body = http_get(d.admin_port, "/metrics")
    m = parse_metrics(body)
    t.check(metric(m, "shelter_subscriber_identified_total", by="mac") >= 1 and
            metric(m, "shelter_subscriber_identified_total", by="client_subnet") >= 1 and
            metric(m, "shelter_subscriber_identified_total", by="cpe_id") >= 1 and
            metric(m, "shelter_subscriber_identified_total", by="source_address") >= 1,
            "identifications are counted by what identified", body[-1500:])
    t.check(metric(m, "shelter_client_options_malformed_total") == 1,
            "the malformed option is counted", body[-800:])
    t.check(metric(m, "shelter_blocks_total", category="schedule") >= 1 and
            metric(m, "shelter_blocks_total", category="paused") >= 1 and
            metric(m, "shelter_blocks_total", category="bypass") >= 1,
            "profile blocks are counted by reason", body[-1500:])
    t.check(metric(m, "shelter_dns_responses_total", outcome="rewritten") == 3,
            "safe-search answers are counted", body[-1500:])


def body(t):
    up = FakeUpstream().start()
    for name in NAMES + ["www.google.com"]:
        up.add(name, a=(FORWARDED,), ttl=300)
    up.add("forcesafesearch.google.com", a=(SAFE_GOOGLE,), ttl=300)
    up.add("restrict.youtube.com", aaaa=(SAFE_YOUTUBE_V6,), ttl=300)
    try:
        # A window that opens 2-3 minutes from now (UTC, the default zone), so that answers
        # before it must expire when it opens.
        now = int(time.time())
        opens_at = (now // 60 + 3) * 60
        start = time.gmtime(opens_at)
        end = time.gmtime(opens_at + 60)
        files = {"households.yaml": households(time.strftime("%H:%M", start),
                                               time.strftime("%H:%M", end))}
        with t.shelterd(config(up), files) as d:
            t.check("3 households" not in d.log() and "4 households" in d.log(),
                    "start-up line counts the households", d.log_tail(3))
            check_identification(t, d)
            check_profile_rules(t, d)
            check_safe_search(t, d, up)
            check_ttl_at_edge(t, d, opens_at)
            check_options_stripped(t, d, up)
            check_metrics(t, d)
    finally:
        up.stop()


if __name__ == "__main__":
    Suite("profiles").main(body)
