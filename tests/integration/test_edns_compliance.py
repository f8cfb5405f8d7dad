#!/usr/bin/env python3
"""The ISC EDNS Compliance Tester's probes (genreport, as ednscomp.isc.org runs it) against
shelterd as a recursive server, each sent with real dig and judged as genreport judges a reply
in its recursive mode (-R: RD set on every query, AA never expected). Then what the test upstream
saw of each: what a probe must not cause upstream (opcode and BADVERS probes are answered here),
which bits travel (RD, CD, DO) and which client options never do (NSID, ECS, EXPIRE, COOKIE,
unknown ones, unknown EDNS flags). docs/dns-conformance.md lists every probe with its verdict."""
import re
import struct

import dnswire as w
from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, dig

ZONE = "example.test"
DNSKEY, TYPE666 = 48, 666
# Eight 300-byte keys: ~2.5 kB, so a 512-byte client must be told TC and come back over TCP.
KEYS = tuple(struct.pack("!HBB", 257, 3, 13) + bytes([i]) * 296 for i in range(8))
# Options the upstream adds to its own OPT: none of them is for the client.
UPSTREAM_OPTIONS = [(3, b"upstream-nsid"), (10, bytes(range(1, 17))), (100, b"echo")]
AD = 0x0020


class ComplianceUpstream(FakeUpstream):
    """The test upstream, answering SOA and DNSKEY for any name (each probe asks its own name,
    so none is answered from shelterd's cache), setting AD on every answer as a validator
    would for a DO query, adding options of its own to its OPT, and keeping each query's
    header flags, OPT flags and option codes."""

    def __init__(self):
        super().__init__(default=Rule())  # NOERROR; a missing type is NODATA
        self.seen = []  # (name lower case, header flags, OPT TTL or None, option codes)
        self.received = 0  # every message, parsed or not

    def _records(self, name, qtype, rule):
        if qtype == w.TYPES["SOA"]:
            return [w.rr_soa(name, 300, 60)]
        if qtype == DNSKEY:
            return [w.RR(name, DNSKEY, 300, key) for key in KEYS]
        if qtype == TYPE666:
            return [w.RR(name, TYPE666, 300, b"\x01\x02\x03")]
        return super()._records(name, qtype, rule)

    def respond(self, q, rule):
        r = super().respond(q, rule)
        r.flags |= AD
        if r.edns_size is not None:
            r.edns_options = r.edns_options + UPSTREAM_OPTIONS
        return r

    def _handle(self, data, transport):
        with self._lock:
            self.received += 1
        try:
            q = w.parse(data)
        except w.WireError:
            return None
        if q.question:
            with self._lock:
                self.seen.append((q.question[0][0].lower(), q.flags, opt_ttl(data),
                                  {code for code, _ in q.edns_options}))
        return super()._handle(data, transport)

    def seen_for(self, name):
        with self._lock:
            return [s for s in self.seen if s[0] == name.lower()]


def opt_ttl(buf):
    """The OPT record's TTL field (extended RCODE, version, DO and Z flags), or None."""
    counts = struct.unpack("!HHHH", buf[4:12])
    off = 12
    for _ in range(counts[0]):
        off = w.decode_name(buf, off)[1] + 4
    for _ in range(sum(counts[1:])):
        off = w.decode_name(buf, off)[1]
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", buf[off:off + 10])
        if rtype == w.TYPES["OPT"]:
            return ttl
        off += 10 + rdlen
    return None


# --- reading dig's answer --------------------------------------------------------------------


class Reply:
    """What genreport reads from a reply, taken from dig's full output."""

    def __init__(self, r):
        out = r.run.out
        self.r, self.status, self.flags = r, r.status, r.flags
        m = re.search(r"opcode: ([A-Z0-9]+)", out)
        self.opcode = m.group(1) if m else None
        flags_line = re.search(r"^;; flags:[^\n]*", out, re.M)
        self.header_mbz = bool(flags_line and "MBZ" in flags_line.group(0))  # the Z bit
        self.has_opt = r.has_opt
        m = re.search(r"; EDNS: version: (\d+), flags:([a-z ]*);", out)
        self.version = int(m.group(1)) if m else None
        self.do = bool(m and "do" in m.group(2).split())
        self.edns_mbz = bool(re.search(r"; EDNS: [^\n]*MBZ", out))  # EDNS flags other than DO
        self.options = set(re.findall(r"^; (COOKIE|NSID|CLIENT-SUBNET|EXPIRE|OPT=\d+):", out,
                                      re.M))
        self.soa = [a for a in r.answer if a.type == "SOA"]
        self.questions = len(r.question)
        m = re.search(r"MSG SIZE\s+rcvd: (\d+)", out)
        self.size = int(m.group(1)) if m else None


# --- the probes --------------------------------------------------------------------------------

# genreport's tests in its order: (name, its group, dig options, qtype, the RCODE it wants).
# Its authoritative mode's "+norec" is "+rec" here, as -R sends it; its "+ignore" judges the
# UDP reply itself, TC included, without the retry over TCP. A qtype of None: header only.
PROBES = [
    ("dns", "EDNS", "+noedns +noad +rec", "SOA", "NOERROR"),
    ("aa", "FULL", "+noedns +noad +rec +aaflag", "SOA", "NOERROR"),
    ("ad", "FULL", "+noedns +ad +rec", "SOA", "NOERROR"),
    ("cd", "FULL", "+noedns +noad +rec +cd", "SOA", "NOERROR"),
    ("rd", "FULL", "+noedns +noad +rec", "SOA", "NOERROR"),
    ("zflag", "FULL", "+noedns +noad +rec +zflag", "SOA", "NOERROR"),
    ("opcode", "FULL", "+noedns +noad +rec +header-only +opcode=15", None, "NOTIMP"),
    ("type666", "FULL", "+noedns +noad +rec", "TYPE666", "NOERROR"),
    ("tcp", "FULL", "+noedns +noad +rec +tcp", "SOA", "NOERROR"),
    ("edns", "EDNS", "+edns=0 +nocookie +noad +rec", "SOA", "NOERROR"),
    ("edns1", "EDNS", "+edns=1 +noednsneg +nocookie +noad +rec", "SOA", "BADVERS"),
    ("edns@512", "EDNS", "+edns=0 +nocookie +noad +rec +dnssec +ignore +bufsize=512", "DNSKEY",
     "NOERROR"),
    ("ednsopt", "EDNS", "+edns=0 +nocookie +noad +rec +ednsopt=100", "SOA", "NOERROR"),
    ("edns1opt", "EDNS", "+edns=1 +noednsneg +nocookie +noad +rec +ednsopt=100", "SOA",
     "BADVERS"),
    ("do", "EDNS", "+edns=0 +nocookie +noad +rec +dnssec", "SOA", "NOERROR"),
    ("docd", "FULL", "+edns=0 +nocookie +noad +rec +dnssec +cd", "SOA", "NOERROR"),
    ("edns1do", "FULL", "+edns=1 +noednsneg +nocookie +noad +rec +dnssec", "SOA", "BADVERS"),
    ("ednsflags", "EDNS", "+edns=0 +nocookie +noad +rec +ednsflags=0x0080", "SOA", "NOERROR"),
    ("optlist", "EDNS",
     "+edns=0 +noad +rec +nsid +subnet=0.0.0.0/0 +expire +cookie=0102030405060708", "SOA",
     "NOERROR"),
    ("ednsnsid", "FULL", "+edns=0 +nocookie +noad +rec +nsid", "SOA", "NOERROR"),
    ("ednscookie", "FULL", "+edns=0 +noad +rec +cookie=0102030405060708", "SOA", "NOERROR"),
    ("ednsexpire", "FULL", "+edns=0 +nocookie +noad +rec +expire", "SOA", "NOERROR"),
    ("ednssubnet", "FULL", "+edns=0 +nocookie +noad +rec +subnet=0.0.0.0/0", "SOA", "NOERROR"),
    ("edns1nsid", "FULL", "+edns=1 +noednsneg +nocookie +noad +rec +nsid", "SOA", "BADVERS"),
    ("edns1cookie", "FULL", "+edns=1 +noednsneg +noad +rec +cookie=0102030405060708", "SOA",
     "BADVERS"),
    ("edns1expire", "FULL", "+edns=1 +noednsneg +nocookie +noad +rec +expire", "SOA", "BADVERS"),
    ("edns1subnet", "FULL", "+edns=1 +noednsneg +nocookie +noad +rec +subnet=0.0.0.0/0", "SOA",
     "BADVERS"),
    ("ednstcp", "EDNS", "+edns=0 +nocookie +noad +rec +dnssec +bufsize=512 +tcp", "DNSKEY",
     "NOERROR"),
    ("bind11", "COMM", "+edns=0 +cookie=0102030405060708 +noad +rec +dnssec", "SOA", "NOERROR"),
    ("dig11", "COMM", "+edns=0 +cookie=0102030405060708 +ad +rec", "SOA", "NOERROR"),
    # Beyond genreport's list, in its spirit: EDNS version 1 with an option and a flag, EDNS
    # over TCP, a large answer without EDNS (512 bytes), other opcodes with and without EDNS.
    ("edns1-opt-flags", "extra", "+edns=1 +noednsneg +nocookie +rec +ednsopt=100 +ednsflags=0x80",
     "SOA", "BADVERS"),
    ("edns1tcp", "extra", "+edns=1 +noednsneg +nocookie +rec +tcp", "SOA", "BADVERS"),
    ("ednsflagstcp", "extra", "+edns=0 +nocookie +rec +ednsflags=0x80 +ednsopt=100 +tcp", "SOA",
     "NOERROR"),
    ("noedns@512", "extra", "+noedns +noad +rec +ignore", "DNSKEY", "NOERROR"),
    ("opcode-edns", "extra", "+edns=0 +nocookie +rec +header-only +opcode=15", None, "NOTIMP"),
    ("opcode-notify", "extra", "+edns=0 +nocookie +rec +opcode=notify", "SOA", "NOTIMP"),
    ("opcode-update", "extra", "+noedns +rec +opcode=update", "SOA", "NOTIMP"),
    ("opcode-status", "extra", "+edns=0 +nocookie +rec +opcode=status", "SOA", "NOTIMP"),
]


def zone_of(name):
    return re.sub(r"[^a-z0-9]+", "-", name) + "." + ZONE


def probe(d, name):
    _, _, opts, qtype, _ = next(p for p in PROBES if p[0] == name)
    args = opts.split()
    return Reply(dig(d.port, zone_of(name), qtype or "SOA", *args)) if qtype else \
        Reply(dig(d.port, ".", "SOA", *args))


def judge(p, rep):
    """genreport's verdict on one reply in recursive mode: [] when ok, else its tags."""
    _, _, opts, qtype, status = p
    opts = opts.split()
    tags = []
    edns = "+noedns" not in opts
    opcode = next((o.split("=")[1] for o in opts if o.startswith("+opcode=")), None)
    wants_ad = "+noad" not in opts or "+dnssec" in opts  # dig sets AD unless told +noad
    ignore = "+ignore" in opts
    if rep.status != status:
        tags.append(f"status {rep.status}")
    if (rep.opcode == "QUERY") != (opcode is None):
        tags.append(f"opcode {rep.opcode}")
    if edns and not rep.has_opt:
        tags.append("noopt")
    if not edns and rep.has_opt:
        tags.append("opt")
    if rep.has_opt and rep.version != 0:
        tags.append("version-not-zero")
    if qtype == "SOA" and opcode is None:
        if status == "NOERROR" and not rep.soa:
            tags.append("nosoa")
        if status != "NOERROR" and rep.soa:
            tags.append("soa")
    if "OPT=100" in rep.options:
        tags.append("echoed")
    if rep.edns_mbz:
        tags.append("mbz")
    if "+dnssec" in opts and rep.has_opt and not rep.do:
        tags.append("nodo")  # RFC 3225: DO is copied into the reply (genreport: with RRSIGs)
    if "aa" in rep.flags:
        tags.append("aa")
    if "ra" in rep.flags and opcode is not None:
        tags.append("ra")
    if "rd" not in rep.flags and opcode is None and "+rec" in opts:
        tags.append("nord")
    if "ad" in rep.flags and (opcode is not None or not wants_ad):
        tags.append("ad")
    if "cd" in rep.flags and (opcode is not None or "+cd" not in opts):
        tags.append("cd")
    if rep.header_mbz:
        tags.append("z")
    if opcode is not None and (rep.r.answer or rep.r.authority):
        tags.append("non-empty sections")
    bufsize = next((int(o.split("=")[1]) for o in opts if o.startswith("+bufsize=")), 512)
    if ignore and rep.size is not None and rep.size > (bufsize if edns else 512):
        tags.append(f"toobig {rep.size}")
    if rep.r.run.rc != 0 or rep.status is None:
        tags.append("no answer")
    return tags


def check_probes(t, d, up):
    """Every probe, judged as genreport judges it."""
    for p in PROBES:
        rep = probe(d, p[0])
        tags = judge(p, rep)
        t.check(not tags, f"{p[0]} ({p[1]}): dig {p[2]} {p[3] or ''} -> {p[4]} ok"
                          + (f" [{', '.join(tags)}]" if tags else ""), rep.r)


def check_truncation(t, d, up):
    """A large answer at 512 bytes: TC=1 within 512 bytes over UDP, then all of it over TCP."""
    rep = probe(d, "edns@512")
    t.check("tc" in rep.flags and rep.size <= 512 and rep.has_opt and rep.do,
            "edns@512: TC=1, at most 512 bytes, our OPT with DO", rep.r)
    full = Reply(dig(d.port, zone_of("edns@512"), "DNSKEY", "+edns=0", "+nocookie", "+rec",
                     "+dnssec", "+bufsize=512"))
    t.check(full.r.retried_tcp and full.r.transport == "TCP" and len(full.r.answer) == len(KEYS)
            and full.status == "NOERROR", "edns@512 without +ignore: dig retries over TCP and "
            f"gets all {len(KEYS)} keys", full.r)
    tcp = probe(d, "ednstcp")
    t.check(tcp.r.transport == "TCP" and len(tcp.r.answer) == len(KEYS) and tcp.do
            and "tc" not in tcp.flags, "ednstcp: the whole answer over TCP, DO echoed", tcp.r)
    plain = probe(d, "noedns@512")
    t.check("tc" in plain.flags and plain.size <= 512 and not plain.has_opt,
            "no EDNS: TC=1 within 512 bytes, no OPT", plain.r)


def check_cookies(t, d, up):
    """COOKIE is ignored (no server cookie, never BADCOOKIE); a malformed one is FORMERR."""
    for name in ("ednscookie", "optlist", "bind11", "dig11"):
        rep = probe(d, name)
        t.check(rep.status == "NOERROR" and "COOKIE" not in rep.options,
                f"{name}: client cookie ignored, no server cookie", rep.r)
    # dig refuses to send more than 40 bytes with +cookie; +ednsopt sends anything.
    for opts in (["+cookie=0102"], ["+cookie=01020304050607"], ["+cookie=010203040506070809"],
                 ["+nocookie", "+ednsopt=10:" + "01" * 41]):
        rep = Reply(dig(d.port, "badcookie." + ZONE, "A", "+edns=0", *opts))
        t.check(rep.status == "FORMERR" and rep.has_opt and rep.version == 0,
                f"{' '.join(opts)}: FORMERR with our OPT (RFC 7873 5.2.2)", rep.r)
    rep = Reply(dig(d.port, "goodcookie." + ZONE, "A", "+edns=0", "+cookie=" + "ab" * 24))
    t.check(rep.status == "NOERROR", "COOKIE of 24 bytes (client + server cookie): answered",
            rep.r)
    t.equal(up.count("badcookie." + ZONE), 0, "malformed cookies never reach the upstream")


def check_options_answered(t, d, up):
    """NSID, ECS and EXPIRE are ignored: answered, none in the reply, none an error."""
    for name, option in (("ednsnsid", "NSID"), ("ednssubnet", "CLIENT-SUBNET"),
                         ("ednsexpire", "EXPIRE")):
        rep = probe(d, name)
        t.check(rep.status == "NOERROR" and option not in rep.options and rep.soa,
                f"{name}: answered, no {option} in the reply", rep.r)
    rep = Reply(dig(d.port, "subnet24." + ZONE, "A", "+subnet=192.0.2.0/24"))
    t.check(rep.status == "NOERROR" and "CLIENT-SUBNET" not in rep.options,
            "+subnet=192.0.2.0/24: answered, no ECS scope in the reply", rep.r)


def check_upstream_view(t, d, up):
    """What the upstream saw of each probe (the probes ran first)."""
    local = [p[0] for p in PROBES if p[4] in ("NOTIMP", "BADVERS")]
    reached = [n for n in local if up.seen_for(zone_of(n))]
    t.equal(reached, [], "NOTIMP and BADVERS probes answered here: no upstream query")
    before = up.received
    for name in ("opcode", "opcode-edns"):
        probe(d, name)
    t.equal(up.received - before, 0, "header-only opcode probes again: no upstream message")

    def sent(name):
        return up.seen_for(zone_of(name))

    forwarded = [p[0] for p in PROBES if p[4] == "NOERROR"]
    missing = [n for n in forwarded if not sent(n)]
    t.equal(missing, [], "every answered probe was forwarded (a cache miss each)")
    leaked = {n: sorted(s[3]) for n in forwarded for s in sent(n) if s[3]}
    t.equal(leaked, {}, "no client option travels upstream (NSID, ECS, EXPIRE, COOKIE, 100)")
    flags = {n: hex(s[2]) for n in forwarded for s in sent(n)
             if s[2] is not None and s[2] & 0xFFFF7FFF}
    t.equal(flags, {}, "no EDNS flag but DO travels upstream (0x80 stays here), version 0")
    do = {n: any(s[2] is not None and s[2] & 0x8000 for s in sent(n)) for n in forwarded}
    t.equal(sorted(n for n, v in do.items() if v), ["bind11", "do", "docd", "edns@512",
                                                    "ednstcp"],
            "DO forwarded exactly for the DO probes")
    cd = sorted(n for n in forwarded if any(s[1] & 0x0010 for s in sent(n)))
    t.equal(cd, ["cd", "docd"], "CD forwarded exactly for the CD probes")
    rd = [n for n in forwarded if not all(s[1] & w.RD for s in sent(n))]
    t.equal(rd, [], "RD forwarded")
    z = [n for n in forwarded if any(s[1] & 0x0040 for s in sent(n))]
    t.equal(z, [], "the Z bit is not forwarded")


def check_norec(t, d, up):
    """RD echoed as the client set it, also when clear."""
    rep = Reply(dig(d.port, "norec." + ZONE, "SOA", "+noedns", "+noad", "+norec"))
    t.check(rep.status == "NOERROR" and "rd" not in rep.flags and "ra" in rep.flags,
            "+norec: RD clear in the reply, RA set", rep.r)


def check_ad(t, d, up):
    """The upstream sets AD on every answer; a client sees it only when it asked with AD or
    DO (RFC 6840 5.7-5.8), from the upstream and from the cache alike."""
    name = "ad-cache." + ZONE
    for i, (opts, want) in enumerate(((["+noad"], False), (["+ad"], True), (["+noad"], False),
                                      (["+noad", "+dnssec"], True))):
        rep = Reply(dig(d.port, name, "A", "+rec", *opts))
        t.check(("ad" in rep.flags) == want,
                f"query {i + 1} {' '.join(opts)}: AD {'set' if want else 'clear'}", rep.r)


def check_upstream_options_stripped(t, d, up):
    """The upstream's own OPT options (NSID, COOKIE, 100) never reach the client."""
    rep = Reply(dig(d.port, "upstream-opts." + ZONE, "SOA", "+edns=0", "+rec", "+nsid"))
    t.check(rep.status == "NOERROR" and not rep.options & {"NSID", "COOKIE", "OPT=100"},
            "upstream NSID, COOKIE and option 100 stripped, our OPT alone", rep.r)


def main(t):
    with ComplianceUpstream() as up:
        with t.shelterd(base_config(up.addr)) as d:
            t.run_cases([("probes", check_probes),
                         ("upstream view", check_upstream_view),
                         ("truncation", check_truncation),
                         ("cookies", check_cookies),
                         ("options", check_options_answered),
                         ("rd", check_norec),
                         ("ad", check_ad),
                         ("upstream options", check_upstream_options_stripped)], d, up)


if __name__ == "__main__":
    Suite("edns compliance").main(main)
