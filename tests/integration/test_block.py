#!/usr/bin/env python3
"""Blocking: the four modes, qtypes, subdomains, near misses, list formats, and RFC 8914
Extended DNS Errors (codes and EXTRA-TEXT) as dig and kdig show them."""
import json

from fake_upstream import FakeUpstream, Rule
from harness import APPEAL_URL, BLOCK_V4, BLOCK_V6, Suite, base_config, dig, kdig

FILES = {
    "kids.txt": "# kids list: domains format\n\nadult.test\nexplicit.example.test\nGamble.TEST\n",
    "iwf.txt": ("# hosts format\n0.0.0.0 csam.test\n127.0.0.1 abuse.example  # comment\n"
                "0.0.0.0 alias1.test alias2.test\n"),
}
LISTS = [
    {"id": "kids", "format": "domains", "path": "{dir}/kids.txt", "category": "adult"},
    {"id": "iwf-csam", "format": "hosts", "path": "{dir}/iwf.txt", "category": "csam",
     "legal": True, "authority": "IWF"},
    {"id": "malware-feed", "format": "domains", "entries": ["malware.test"],
     "category": "malware"},
    {"id": "phish-feed", "format": "domains", "entries": ["phish.test"], "category": "phishing"},
]
# (query name, list id, EDE info code): Censored 16 for legal lists, Blocked 15 for security
# categories, Filtered 17 otherwise.
BLOCKED = [
    ("adult.test", "kids", 17),
    ("www.deep.adult.test", "kids", 17),
    ("ADULT.Test", "kids", 17),
    ("gamble.test", "kids", 17),
    ("csam.test", "iwf-csam", 16),
    ("abuse.example", "iwf-csam", 16),
    ("alias2.test", "iwf-csam", 16),
    ("malware.test", "malware-feed", 15),
    ("sub.phish.test", "phish-feed", 15),
]
NEAR_MISSES = ["notadult.test", "adult.testing", "adult.test.example", "example.test",
               "inexplicit.example.test", "csam.test.example"]
FORGED = 4  # EDE Forged Answer: added when the block page address is synthesised


def check_ede(t, r, list_id, codes, what):
    t.equal(r.ede_codes(), sorted(codes), f"{what}: EDE codes", r)
    texts = " | ".join(text for _, text in r.ede)
    t.check(list_id in texts and APPEAL_URL in texts,
            f"{what}: EXTRA-TEXT names list {list_id!r} and the appeal URL", texts)


def check_block_page(t, d, up):
    for name, list_id, code in BLOCKED:
        r = dig(d.port, name)
        t.check(r.status == "NOERROR" and r.data("A") == [BLOCK_V4] and r.ttls() == [60],
                f"{name} A -> block page {BLOCK_V4} TTL 60", r)
        check_ede(t, r, list_id, [code, FORGED], name)
        t.equal(up.count(name), 0, f"{name} never reached upstream")
    r = dig(d.port, "adult.test", "AAAA")
    t.check(r.status == "NOERROR" and r.data("AAAA") == [BLOCK_V6] and r.ttls() == [60],
            f"AAAA -> block page {BLOCK_V6} TTL 60", r)
    for qtype in ("MX", "TXT", "HTTPS"):
        r = dig(d.port, "adult.test", qtype)
        t.check(r.status == "NOERROR" and not r.answer and r.ede_codes(),
                f"{qtype} -> NODATA with EDE", r)
    r = dig(d.port, "adult.test", "A", "+tcp")
    t.check(r.transport == "TCP" and r.data("A") == [BLOCK_V4], "blocked over TCP too", r)
    r = dig(d.port, "adult.test", "A", server="::1")
    t.check(r.data("A") == [BLOCK_V4], "blocked on the IPv6 listener too", r)
    r = kdig(d.port, "csam.test", "A", "+edns")
    t.check(r.data("A") == [BLOCK_V4], "kdig sees the block page", r)
    check_ede(t, r, "iwf-csam", [16, FORGED], "kdig csam.test")
    r = dig(d.port, "adult.test", "A", "+noedns")
    t.check(r.data("A") == [BLOCK_V4] and not r.ede and not r.has_opt,
            "+noedns: still blocked, no OPT and so no EDE", r)


def check_near_misses(t, d, up):
    for name in NEAR_MISSES:
        r = dig(d.port, name)
        t.check(r.status == "NOERROR" and r.data("A") == ["198.51.100.99"] and not r.ede
                and up.count(name) == 1, f"{name} not blocked: forwarded", r)


def mode_checks(mode, status):
    def check(t, d, up):
        for name, list_id, code in (BLOCKED[0], BLOCKED[4], BLOCKED[7]):
            r = dig(d.port, name)
            t.check(r.status == status and not r.answer, f"{name} -> {status}, no answer", r)
            check_ede(t, r, list_id, [code], name)
        r = dig(d.port, "notadult.test")
        t.check(r.data("A") == ["198.51.100.99"], "notadult.test still forwarded", r)
    return check


def check_structured_errors(t, d, up):
    """draft-ietf-dnsop-structured-dns-error: a query with an empty EDE option (INFO-CODE 0) asks
    for I-JSON in EXTRA-TEXT, and never gets Forged Answer."""
    for name, list_id, code in BLOCKED:
        r = dig(d.port, name, "A", "+ednsopt=15:0000")
        texts = [text for _, text in r.ede]
        t.check(r.data("A") == [BLOCK_V4] and r.ede_codes() == [code] and len(texts) == 1,
                f"{name}: the block, EDE {code} alone (no Forged Answer)", r)
        try:
            data = json.loads(texts[0]) if texts else {}
        except ValueError:
            data = {}
        t.check(data.get("c") == ["mailto:filter@isp.test", "tel:+441234567890"]
                and list_id in data.get("j", "") and APPEAL_URL in data.get("j", "")
                and data.get("o") == "Test ISP" and data.get("l") == "en"
                and ("s" in data) == (code == 15) and len(texts[0].encode()) <= 200,
                f"{name}: minified I-JSON with c, j, o, l (s only with Blocked), at most 200 bytes",
                texts)
    r = dig(d.port, "adult.test", "A", "+ednsopt=15:0001")
    t.check(r.ede_codes() == sorted([17, FORGED]) and all("{" not in x for _, x in r.ede),
            "an EDE option that is not the empty INFO-CODE 0: the plain text and Forged Answer", r)


def body(t):
    with FakeUpstream(default=Rule(a=("198.51.100.99",))) as up:
        for mode, cases in (("block-page", [("block-page", check_block_page),
                                            ("near misses", check_near_misses),
                                            ("structured errors", check_structured_errors)]),
                            ("nxdomain", [("nxdomain", mode_checks("nxdomain", "NXDOMAIN"))]),
                            ("nodata", [("nodata", mode_checks("nodata", "NOERROR"))]),
                            ("refused", [("refused", mode_checks("refused", "REFUSED"))])):
            up.counts.clear()
            cfg = base_config(up.addr, lists=LISTS,
                              blocking={"mode": mode,
                                        "contact": ["mailto:filter@isp.test",
                                                    "tel:+441234567890"]},
                              web={"organisation": "Test ISP"})
            with t.shelterd(cfg, FILES) as d:
                t.run_cases(cases, d, up)


if __name__ == "__main__":
    Suite("block").main(body)
