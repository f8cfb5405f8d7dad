"""A small authoritative DNS server for the integration tests: UDP and TCP on 127.0.0.1.

Each name gets a Rule (records, rcode and misbehaviour); unknown names get the default rule.
It counts queries per (name, qtype, transport) so tests can see what reached it.

    with FakeUpstream() as up:
        up.add("www.example.test", a=["198.51.100.1"], ttl=300)
        up.add("slow.example.test", a=["198.51.100.2"], delay_ms=200)
        ...  up.addr == "127.0.0.1:PORT", up.count("www.example.test", "A", "udp")
"""
import collections
import dataclasses
import socket
import struct
import threading
import time

import dnswire as w
from harness import bind_pair, recv_exact

BIG_TXT = tuple(f"{i:02d}-" + "x" * 200 for i in range(10))  # ~2.1 kB of TXT: over 1232


@dataclasses.dataclass
class Rule:
    a: tuple = ()
    aaaa: tuple = ()
    txt: tuple = ()          # one TXT record per string
    https: tuple = ()        # HTTPS (type 65) records: raw RDATA bytes, one record each
    cname: str = None        # answer with a CNAME (and the target's records, if it is in the zone)
    ttl: int = 300
    rcode: str = "NOERROR"   # NXDOMAIN (or a missing qtype: NODATA) gets a SOA in authority
    soa_ttl: int = 300
    soa_min: int = 300
    tc: bool = False         # always answer TC=1 (empty) over UDP, the full answer over TCP
    drop: bool = False       # never answer
    delay_ms: int = 0        # answer late
    spoof: bool = False      # over UDP first send a wrong-ID and a wrong-question answer
    ede: tuple = None        # (info_code, text) to attach when the query had EDNS

    SPOOF_A = "203.0.113.66"


class FakeUpstream:
    def __init__(self, default=Rule(rcode="NXDOMAIN", soa_min=60)):
        self.rules, self.default = {}, default
        self.counts = collections.Counter()   # (name, qtype name, "udp"|"tcp") -> n
        self.queries = []                     # (name as sent, qtype, transport, edns size, id)
        self.option_codes = set()             # EDNS option codes seen in any query
        self.udp_ports = []                   # (name as sent, source port) of each UDP query
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.udp, self.tcp = bind_pair("127.0.0.1")
        self.port = self.udp.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self._threads = [threading.Thread(target=f, daemon=True)
                         for f in (self._udp_loop, self._tcp_loop)]

    def add(self, name, big=False, **kw):
        if big:
            kw["txt"] = BIG_TXT
        self.rules[name.lower().rstrip(".")] = Rule(**kw)

    def count(self, name, qtype=None, transport=None):
        name = name.lower().rstrip(".")
        with self._lock:
            return sum(n for (qn, qt, tr), n in self.counts.items()
                       if qn == name and qtype in (None, qt) and transport in (None, tr))

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- answering -------------------------------------------------------------------------

    def _rule(self, name):
        return self.rules.get(name.lower().rstrip("."), self.default)

    def _records(self, name, qtype, rule):
        ttl, out = rule.ttl, []
        if rule.cname:
            out.append(w.rr_cname(name, rule.cname, ttl))
            target = self.rules.get(rule.cname.lower())
            return out + (self._records(rule.cname, qtype, target) if target else [])
        if qtype == w.TYPES["A"]:
            out += [w.rr_a(name, a, ttl) for a in rule.a]
        elif qtype == w.TYPES["AAAA"]:
            out += [w.rr_aaaa(name, a, ttl) for a in rule.aaaa]
        elif qtype == w.TYPES["TXT"]:
            out += [w.rr_txt(name, [t], ttl) for t in rule.txt]
        elif qtype == w.TYPES["HTTPS"]:
            out += [w.RR(name, w.TYPES["HTTPS"], ttl, rdata) for rdata in rule.https]
        return out

    def respond(self, q, rule):
        name, qtype, qclass = q.question[0]
        r = w.Message(q.id, w.QR | w.AA | (q.flags & (w.RD | 0x7800)), [q.question[0]],
                      edns_size=1232 if q.edns_size is not None else None)
        if rule.rcode != "NXDOMAIN":
            r.answer = self._records(name, qtype, rule)
        r.flags |= w.RCODES[rule.rcode]
        if rule.rcode == "NXDOMAIN" or (rule.rcode == "NOERROR" and not r.answer):
            zone = ".".join(name.split(".")[-2:])
            r.authority = [w.rr_soa(zone, rule.soa_ttl, rule.soa_min)]
        if rule.ede and q.edns_size is not None:
            ede = struct.pack("!H", rule.ede[0]) + rule.ede[1].encode()
            r.edns_options = [(w.EDNS_OPT_EDE, ede)]
        return r

    def _handle(self, data, transport):
        """Returns (rule, response Message) or None when the query is to be ignored."""
        try:
            q = w.parse(data)
        except w.WireError:
            return None
        if q.flags & w.QR or len(q.question) != 1:
            return None
        name, qtype, _ = q.question[0]
        with self._lock:
            self.counts[(name.lower(), w.TYPE_NAMES.get(qtype, str(qtype)), transport)] += 1
            self.queries.append((name, qtype, transport, q.edns_size, q.id))
            self.option_codes.update(code for code, _ in q.edns_options)
        rule = self._rule(name)
        return None if rule.drop else (rule, q, self.respond(q, rule))

    # --- UDP -------------------------------------------------------------------------------

    def _udp_loop(self):
        self.udp.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            handled = self._handle(data, "udp")
            if handled:
                with self._lock:
                    self.udp_ports.append((handled[1].question[0][0], peer[1]))
                rule = handled[0]
                if rule.delay_ms or rule.spoof:
                    threading.Thread(target=self._udp_send, args=(handled, peer),
                                     daemon=True).start()
                else:
                    self._udp_send(handled, peer)

    def _udp_send(self, handled, peer):
        rule, q, r = handled
        if rule.spoof:
            for bad in self._spoofs(q, r):
                self._sendto(bad.encode(), peer)
            time.sleep(0.03)
        time.sleep(rule.delay_ms / 1000)
        wire = r.encode()
        limit = max(512, q.edns_size or 0)
        if rule.tc or len(wire) > limit:
            r = dataclasses.replace(r, flags=r.flags | w.TC, answer=[], authority=[])
            wire = r.encode()
        self._sendto(wire, peer)

    def _spoofs(self, q, r):
        name, qtype, qclass = q.question[0]
        forged = [w.rr_a(name, Rule.SPOOF_A, r.answer[0].ttl if r.answer else 300)]
        wrong_id = dataclasses.replace(r, id=q.id ^ 0x5A5A, answer=forged)
        other = "x" + name
        wrong_q = dataclasses.replace(r, question=[(other, qtype, qclass)],
                                      answer=[w.rr_a(other, Rule.SPOOF_A, 300)])
        return wrong_id, wrong_q

    def _sendto(self, wire, peer):
        try:
            self.udp.sendto(wire, peer)
        except OSError:
            pass

    # --- TCP -------------------------------------------------------------------------------

    def _tcp_loop(self):
        self.tcp.listen(16)
        self.tcp.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn):
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    head = recv_exact(conn, 2, self._stop)
                    data = recv_exact(conn, struct.unpack("!H", head)[0], self._stop)
                except (OSError, EOFError):
                    return
                handled = self._handle(data, "tcp")
                if handled:
                    time.sleep(handled[0].delay_ms / 1000)
                    wire = handled[2].encode()
                    try:
                        conn.sendall(struct.pack("!H", len(wire)) + wire)
                    except OSError:
                        return
