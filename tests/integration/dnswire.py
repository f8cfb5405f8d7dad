"""Minimal DNS wire codec for the integration tests (RFC 1035, EDNS RFC 6891, EDE RFC 8914).

Just enough to run a test upstream and to write raw queries: names (with compression on
decode), A/AAAA/TXT/CNAME/SOA rdata, the OPT pseudo-record and its options.
"""
import ipaddress
import random
import struct
from dataclasses import dataclass, field

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33,
         "OPT": 41, "HTTPS": 65}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}
RCODE_NAMES = {v: k for k, v in RCODES.items()}
CLASS_IN = 1
EDNS_OPT_EDE = 15

# Header flag bits.
QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080


class WireError(Exception):
    pass


def qtype_code(qtype):
    return qtype if isinstance(qtype, int) else TYPES[qtype.upper()]


def encode_name(name):
    out = bytearray()
    for label in name.rstrip(".").split(".") if name.strip(".") else []:
        raw = label.encode()
        if not 0 < len(raw) < 64:
            raise WireError(f"bad label {label!r}")
        out += bytes([len(raw)]) + raw
    return bytes(out + b"\0")


def decode_name(buf, off):
    """Returns (name without trailing dot, case preserved; offset after the name)."""
    labels, end, jumps = [], None, 0
    while True:
        if off >= len(buf):
            raise WireError("name runs past the end")
        n = buf[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(buf):
                raise WireError("truncated pointer")
            jumps += 1
            if jumps > 64:
                raise WireError("pointer loop")
            end = off + 2 if end is None else end
            off = ((n & 0x3F) << 8) | buf[off + 1]
        elif n & 0xC0:
            raise WireError("reserved label type")
        elif n == 0:
            return ".".join(labels), (off + 1 if end is None else end)
        else:
            if off + 1 + n > len(buf):
                raise WireError("label runs past the end")
            labels.append(buf[off + 1:off + 1 + n].decode("latin-1"))
            off += 1 + n


@dataclass
class RR:
    name: str
    type: int
    ttl: int
    rdata: bytes
    cls: int = CLASS_IN

    def encode(self):
        return (encode_name(self.name) + struct.pack("!HHIH", self.type, self.cls, self.ttl,
                                                     len(self.rdata)) + self.rdata)


def rr_a(name, addr, ttl):
    return RR(name, TYPES["A"], ttl, ipaddress.IPv4Address(addr).packed)


def rr_aaaa(name, addr, ttl):
    return RR(name, TYPES["AAAA"], ttl, ipaddress.IPv6Address(addr).packed)


def rr_txt(name, strings, ttl):
    data = b"".join(bytes([len(s)]) + s.encode() for s in strings)
    return RR(name, TYPES["TXT"], ttl, data)


def rr_cname(name, target, ttl):
    return RR(name, TYPES["CNAME"], ttl, encode_name(target))


def rr_soa(zone, ttl, minimum, serial=1):
    data = (encode_name("ns1." + zone) + encode_name("hostmaster." + zone)
            + struct.pack("!IIIII", serial, 3600, 600, 86400, minimum))
    return RR(zone, TYPES["SOA"], ttl, data)


@dataclass
class Message:
    id: int = 0
    flags: int = 0
    question: list = field(default_factory=list)  # [(name, qtype, qclass)]
    answer: list = field(default_factory=list)
    authority: list = field(default_factory=list)
    additional: list = field(default_factory=list)  # without the OPT record
    edns_size: int = None  # None: no OPT record
    edns_options: list = field(default_factory=list)  # [(code, bytes)]
    ext_rcode: int = 0  # upper 8 bits of the rcode, from the OPT record

    @property
    def rcode(self):
        return (self.ext_rcode << 4) | (self.flags & 0xF)

    def rcode_name(self):
        return RCODE_NAMES.get(self.rcode, str(self.rcode))

    def ede(self):
        """[(info_code, extra_text)] from the OPT record."""
        return [(struct.unpack("!H", v[:2])[0], v[2:].decode("utf-8", "replace"))
                for c, v in self.edns_options if c == EDNS_OPT_EDE and len(v) >= 2]

    def encode(self):
        extra = list(self.additional)
        if self.edns_size is not None:
            opts = b"".join(struct.pack("!HH", c, len(v)) + v for c, v in self.edns_options)
            extra.append(RR("", TYPES["OPT"], 0, opts, cls=self.edns_size))
        out = struct.pack("!HHHHHH", self.id, self.flags, len(self.question), len(self.answer),
                          len(self.authority), len(extra))
        for name, qtype, qclass in self.question:
            out += encode_name(name) + struct.pack("!HH", qtype, qclass)
        return out + b"".join(rr.encode() for rr in self.answer + self.authority + extra)


def parse(buf):
    if len(buf) < 12:
        raise WireError("short header")
    mid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", buf[:12])
    msg, off = Message(mid, flags), 12
    for _ in range(qd):
        name, off = decode_name(buf, off)
        if off + 4 > len(buf):
            raise WireError("truncated question")
        msg.question.append((name,) + struct.unpack("!HH", buf[off:off + 4]))
        off += 4
    for section, count in ((msg.answer, an), (msg.authority, ns), (msg.additional, ar)):
        for _ in range(count):
            name, off = decode_name(buf, off)
            if off + 10 > len(buf):
                raise WireError("truncated record")
            rtype, cls, ttl, rdlen = struct.unpack("!HHIH", buf[off:off + 10])
            rdata = buf[off + 10:off + 10 + rdlen]
            if len(rdata) != rdlen:
                raise WireError("truncated rdata")
            off += 10 + rdlen
            if rtype == TYPES["OPT"] and section is msg.additional:
                msg.edns_size = cls
                msg.ext_rcode = ttl >> 24
                msg.edns_options = _parse_options(rdata)
            else:
                section.append(RR(name, rtype, ttl, rdata, cls))
    return msg


def _parse_options(data):
    opts, off = [], 0
    while off + 4 <= len(data):
        code, length = struct.unpack("!HH", data[off:off + 4])
        opts.append((code, data[off + 4:off + 4 + length]))
        off += 4 + length
    return opts


def rdata_text(rr):
    """A readable form of common rdata, for assertions."""
    if rr.type == TYPES["A"]:
        return str(ipaddress.IPv4Address(rr.rdata))
    if rr.type == TYPES["AAAA"]:
        return str(ipaddress.IPv6Address(rr.rdata))
    if rr.type == TYPES["TXT"]:
        out, off = [], 0
        while off < len(rr.rdata):
            n = rr.rdata[off]
            out.append(rr.rdata[off + 1:off + 1 + n].decode("latin-1"))
            off += 1 + n
        return " ".join(out)
    return rr.rdata.hex()


def make_query(name, qtype="A", mid=None, rd=True, edns=1232, flags=0):
    msg = Message(random.randrange(65536) if mid is None else mid, flags | (RD if rd else 0),
                  [(name, qtype_code(qtype), CLASS_IN)], edns_size=edns)
    return msg.encode()
