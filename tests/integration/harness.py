"""Shared helpers for the shelterd integration tests: ports, the daemon, dig/kdig/curl, checks.

Everything stays on loopback: every config the harness writes names the test upstream
explicitly, and every dig/kdig/curl call names its 127.0.0.1 / ::1 server.
"""
import argparse
import copy
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field

APPEAL_URL = "http://127.0.0.1:8080/appeal"  # only data in answers, never contacted
BLOCK_V4, BLOCK_V6 = "192.0.2.80", "2001:db8::80"

# --- ports and sockets --------------------------------------------------------------------


def bind_pair(host):
    """A UDP and a TCP socket bound to the same free port on host."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            tcp.bind((host, udp.getsockname()[1]))
            return udp, tcp
        except OSError:
            udp.close()
            tcp.close()
    raise RuntimeError("no free port")


def free_port(hosts=("127.0.0.1", "::1")):
    """A port free for UDP and TCP on every host (closed again: a small race we accept)."""
    for _ in range(50):
        udp, tcp = bind_pair(hosts[0])
        port, held = udp.getsockname()[1], [udp, tcp]
        try:
            for host in hosts[1:]:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(family, kind)
                    held.append(s)
                    s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free port")


def recv_exact(sock, n, stop=None):
    """n bytes from a stream socket; EOFError on close; retries timeouts until stop is set."""
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except socket.timeout:
            if stop is None or stop.is_set():
                raise
            continue
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def udp_exchange(port, wire, host="127.0.0.1", timeout=1.0, source=None):
    """Sends one datagram; returns the first reply or None after timeout."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        if source:
            s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(wire, (host, port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def tcp_connect(port, host="127.0.0.1", timeout=3.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def tcp_frame(wire):
    return struct.pack("!H", len(wire)) + wire


def tcp_read_message(sock):
    """One length-prefixed DNS message; EOFError if the server closed, socket.timeout."""
    return recv_exact(sock, struct.unpack("!H", recv_exact(sock, 2))[0])


# --- processes ----------------------------------------------------------------------------


@dataclass
class Run:
    cmd: list
    rc: int            # None: killed after the timeout
    out: str
    err: str
    elapsed: float


def run(cmd, timeout=10):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return Run(cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Run(cmd, None, out, "", time.monotonic() - t0)


# --- dig / kdig ---------------------------------------------------------------------------


@dataclass
class Rec:
    name: str
    ttl: int
    type: str
    data: str


@dataclass
class DigResult:
    run: Run
    status: str = None            # None: no answer at all
    flags: set = field(default_factory=set)
    question: list = field(default_factory=list)  # names as printed (case preserved)
    answer: list = field(default_factory=list)
    authority: list = field(default_factory=list)
    additional: list = field(default_factory=list)
    ede: list = field(default_factory=list)       # [(code, text)]
    has_opt: bool = False
    retried_tcp: bool = False
    transport: str = None                         # of the answer shown: "UDP" or "TCP"

    def data(self, rtype):
        return sorted(r.data for r in self.answer if r.type == rtype)

    def ttls(self, rtype=None):
        return [r.ttl for r in self.answer if rtype in (None, r.type)]

    def ede_codes(self):
        return sorted(c for c, _ in self.ede)

    def __str__(self):
        out = self.run.out.strip()
        lines = out.splitlines()
        if len(lines) > 40:
            out = "\n".join(lines[:40] + ["..."])
        return f"$ {' '.join(self.run.cmd)}  [rc={self.run.rc}, {self.run.elapsed:.2f}s]\n{out}"


_SECTIONS = {"QUESTION": "question", "ANSWER": "answer", "AUTHORITY": "authority",
             "ADDITIONAL": "additional"}


def parse_dig(run_result):
    """Parses dig 9.18 and kdig 3.x output (the default, full format)."""
    r, section = DigResult(run_result), None
    for line in run_result.out.splitlines():
        s = line.strip()
        if m := re.search(r"status: ([A-Z0-9]+)", s):
            r.status = m.group(1)
        if m := re.match(r";; [Ff]lags: ([a-z ]*);", s):
            r.flags = set(m.group(1).split())
        if m := re.match(r";+ EDE: (\d+)(?: \(([^)]*)\))?(?:: (.*))?$", s):
            text = (m.group(3) or "").strip()
            if len(text) >= 2 and (text[0], text[-1]) in (("(", ")"), ("'", "'"), ('"', '"')):
                text = text[1:-1]
            r.ede.append((int(m.group(1)), text))
        if "OPT PSEUDOSECTION" in s or "EDNS PSEUDOSECTION" in s:
            r.has_opt = True
        if m := re.match(r";; (?:SERVER:|From) .*\((UDP|TCP)\)", s):
            r.transport = m.group(1)
        if "Truncated, retrying in TCP mode" in s:
            r.retried_tcp = True
        if m := re.match(r";; ([A-Z]+) SECTION:", s):
            section = _SECTIONS.get(m.group(1))
            continue
        if not s:
            section = None
            continue
        if section == "question":
            if s.startswith(";"):
                r.question.append(s.lstrip(";").split()[0])
            else:
                section = None
        elif section and not s.startswith(";"):
            parts = s.split(None, 4)
            if len(parts) == 5 and parts[1].isdigit():
                getattr(r, section).append(Rec(parts[0], int(parts[1]), parts[3], parts[4]))
    return r


def dig(port, name, qtype="A", *opts, server="127.0.0.1", tool="dig", timeout=8):
    """dig (or kdig) against server:port; never leaves loopback."""
    assert server.startswith("127.") or server == "::1", server
    if tool == "dig":
        cmd = ["dig", "-p", str(port), f"@{server}", "+tries=1", "+time=2"]
    else:
        cmd = ["kdig", "-p", str(port), f"@{server}", "+retry=0", "+time=2"]
    return parse_dig(run(cmd + [name, qtype] + list(opts), timeout))


def kdig(port, name, qtype="A", *opts, server="127.0.0.1"):
    return dig(port, name, qtype, *opts, server=server, tool="kdig")


def wait_until(predicate, timeout, step=0.01):
    """Seconds until predicate() held, polling every `step`; None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None


# --- curl and metrics ---------------------------------------------------------------------


def http_get(port, path, host="127.0.0.1"):
    """(status, headers, body) via curl; status None if the request failed."""
    r = run(["curl", "-sS", "-i", "--noproxy", "*", "--max-time", "3",
             f"http://{host}:{port}{path}"], timeout=6)
    if r.rc != 0:
        return None, {}, r.err
    head, _, body = r.out.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return status, headers, body


def parse_metrics(text):
    """Prometheus text -> {(name, ((label, value), ...)): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m:
            labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(metrics, name, **labels):
    """Sum of the series of name whose labels include the given ones (None if none exist)."""
    vals = [v for (n, ls), v in metrics.items()
            if n == name and all((k, str(val)) in ls for k, val in labels.items())]
    return sum(vals) if vals else None


# --- config -------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z/][A-Za-z0-9_./-]*$")


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in ("true", "false", "yes", "no", "null", "on", "off"):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_yaml(value, indent=0):
    """Block-style YAML: mappings as blocks, lists of scalars in flow style, one key a line."""
    pad, lines = "  " * indent, []
    for k, v in value.items():
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            lines.append(to_yaml(v, indent + 1))
        elif isinstance(v, list) and v and all(isinstance(i, dict) for i in v):
            lines.append(f"{pad}{k}:")
            for item in v:
                body = to_yaml(item, indent + 2).splitlines()
                lines.append(f"{pad}  - " + body[0].strip())
                lines += body[1:]
        elif isinstance(v, list):
            lines.append(f"{pad}{k}: [" + ", ".join(_scalar(i) for i in v) + "]")
        else:
            lines.append(f"{pad}{k}: {_scalar(v)}")
    return "\n".join(lines)


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def base_config(upstream_addr, **over):
    cfg = {
        "threads": 2,
        "dns": {"allow-clients": ["127.0.0.0/8", "::1/128"], "udp-payload-size": 1232,
                "tcp-idle-timeout": "5s"},
        "upstream": {"servers": [upstream_addr], "timeout": "300ms", "attempts": 2},
        "blocking": {"mode": "block-page", "block-page-ipv4": [BLOCK_V4],
                     "block-page-ipv6": [BLOCK_V6], "ttl": 60, "appeal-url": APPEAL_URL},
    }
    return merge(cfg, over)


_LOOPBACK_SERVER = re.compile(r'^\s*servers:\s*\[\s*"?(127\.|\[::1\])', re.M)
# Inside a test's own network namespaces (netns.py) the upstream is a documentation-range
# address of another of its namespaces: still nothing that can leave the machine.
_NAMESPACE_SERVER = re.compile(
    r'^\s*servers:\s*\[\s*"?(127\.|\[::1\]|198\.51\.100\.|203\.0\.113\.|192\.0\.2\.|\[2001:db8:)',
    re.M)

# --- the daemon ---------------------------------------------------------------------------


class StartError(Exception):
    pass


class Shelterd:
    """Runs shelterd on free loopback ports with a config written to a temp dir.

    cfg is a dict (dns.listen and admin.listen are filled in) or YAML text; in both, {port},
    {admin_port} and {dir} (the temp dir) are replaced. files maps file names in the temp dir
    to their contents.
    """

    def __init__(self, binary, cfg, files=None, ready_timeout=15, netns=None):
        self.binary, self.ready_timeout = binary, ready_timeout
        self.netns = netns  # a netns.Namespace to run in (its own ports and addresses)
        self.dir = tempfile.mkdtemp(prefix="shelterd-it-")
        self.port, self.admin_port = free_port(), free_port(("127.0.0.1",))
        self.config_path = self.path("shelterd.yaml")
        self.lines, self.stdout = [], []
        self._cond = threading.Condition()
        self.proc, self.rc, self._eofs = None, None, 0
        for name, text in (files or {}).items():
            self.write_file(name, text)
        self.write_config(cfg)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_file(self, name, text):
        os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
        with open(self.path(name), "w") as f:
            f.write(text)

    def render(self, cfg):
        if not isinstance(cfg, str):
            cfg = merge({"dns": {"listen": [f"127.0.0.1:{self.port}", f"[::1]:{self.port}"]},
                         "admin": {"listen": f"127.0.0.1:{self.admin_port}"}}, cfg)
            cfg = to_yaml(cfg) + "\n"
        text = cfg
        for key, val in (("port", self.port), ("admin_port", self.admin_port), ("dir", self.dir)):
            text = text.replace("{" + key + "}", str(val))
        # Network rule: shelterd must never fall back to /etc/resolv.conf's upstream.
        allowed = _NAMESPACE_SERVER if self.netns else _LOOPBACK_SERVER
        if not allowed.search(text):
            raise AssertionError("test config without a loopback upstream.servers:\n" + text)
        return text

    def write_config(self, cfg):
        self.config_text = self.render(cfg)
        self.write_file("shelterd.yaml", self.config_text)

    def __enter__(self):
        prefix = self.netns.prefix() if self.netns else []
        self.proc = subprocess.Popen(prefix + [self.binary, "--config", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, errors="replace")
        for stream, sink in ((self.proc.stderr, self.lines), (self.proc.stdout, self.stdout)):
            threading.Thread(target=self._reader, args=(stream, sink), daemon=True).start()
        if self.wait_for("shelterd: ready", 0, self.ready_timeout) is None:
            self.__exit__()
            raise StartError(f"shelterd not ready after {self.ready_timeout}s "
                             f"(rc={self.rc})\nconfig:\n{self.config_text}\nstderr:\n"
                             + self.log_tail())
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _reader(self, stream, sink):
        for line in stream:
            with self._cond:
                sink.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eofs += 1
            self._cond.notify_all()

    def mark(self):
        with self._cond:
            return len(self.lines)

    def wait_for(self, pattern, since=0, timeout=5.0):
        """The first stderr line from index since matching the regex pattern, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[since:]:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self._eofs == 2:  # timed out, or shelterd exited
                    return None
                self._cond.wait(min(left, 0.1))

    def log(self):
        with self._cond:
            return "\n".join(self.lines)

    def log_tail(self, n=30):
        with self._cond:
            return "\n".join(self.lines[-n:])

    def alive(self):
        return self.proc.poll() is None

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, timeout=10):
        """SIGTERM; kill after timeout. Returns the exit code (None if it had to be killed).

        The timeout leaves room for the drain's 3 s grace on a loaded 2-core CI machine
        (once, beside the Chromium tests, a stop took over 5 s there)."""
        if self.proc is None or self.rc is not None:
            return self.rc
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.rc = None
        time.sleep(0.05)  # let the readers drain
        return self.rc


# --- checks -------------------------------------------------------------------------------


class Suite:
    """Counts checks, prints one line per check, and a final `N passed, N failed`."""

    def __init__(self, name):
        ap = argparse.ArgumentParser(description=f"shelterd integration tests: {name}")
        ap.add_argument("--shelterd", default=os.environ.get("SHELTERD"),
                        help="path to the shelterd binary (default: $SHELTERD)")
        ap.add_argument("--shelter-compile", default=os.environ.get("SHELTER_COMPILE"),
                        help="path to shelter-compile (default: $SHELTER_COMPILE)")
        ap.add_argument("-v", "--verbose", action="store_true")
        self.args = ap.parse_args()
        self.name, self.passed, self.failed, self.prefix = name, 0, 0, ""

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"PASS {self.prefix}{what}", flush=True)
            if self.args.verbose and detail:
                print(_indent(detail), flush=True)
        else:
            self.failed += 1
            print(f"FAIL {self.prefix}{what}", flush=True)
            if detail:
                print(_indent(str(detail)), flush=True)
        return bool(cond)

    def equal(self, got, want, what, detail=""):
        return self.check(got == want, f"{what}: want {want!r}", f"got {got!r}\n{detail}")

    def case(self, name):
        return _Case(self, name)

    def run_cases(self, cases, *args):
        """cases: [(name, fn)]; runs fn(suite, *args) for each, an exception failing only it."""
        for name, fn in cases:
            with self.case(name):
                fn(self, *args)

    def shelterd(self, cfg, files=None, netns=None):
        if not self.args.shelterd:
            raise StartError("no shelterd binary: pass --shelterd PATH or set SHELTERD")
        return _Daemon(self, Shelterd(self.args.shelterd, cfg, files, netns=netns))

    def main(self, body):
        """Runs body(suite), counts an escaping exception as a failure, exits 0 iff all passed."""
        try:
            body(self)
        except Exception as e:  # noqa: BLE001 - one catch-all at the top: report and fail
            self.prefix = ""
            self.check(False, f"{self.name}: aborted by {type(e).__name__}",
                       str(e) + "\n" + traceback.format_exc(limit=4))
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


class _Case:
    def __init__(self, suite, name):
        self.suite, self.name = suite, name

    def __enter__(self):
        self.suite.prefix = f"[{self.name}] "
        return self.suite

    def __exit__(self, etype, e, tb):
        if etype is not None and not issubclass(etype, KeyboardInterrupt):
            self.suite.check(False, f"raised {etype.__name__}",
                             f"{e}\n{''.join(traceback.format_tb(tb, limit=4))}")
        self.suite.prefix = ""
        return etype is not None and not issubclass(etype, KeyboardInterrupt)


class _Daemon:
    """Suite-aware wrapper: after the block, checks that shelterd stopped cleanly on SIGTERM."""

    def __init__(self, suite, d):
        self.suite, self.d = suite, d

    def __enter__(self):
        return self.d.__enter__()

    def __exit__(self, *exc):
        crashed = not self.d.alive()
        rc = self.d.stop()
        self.suite.prefix = ""
        self.suite.check(not crashed and rc == 0,
                         "shelterd was still running and exited 0 on SIGTERM",
                         f"{'exited before SIGTERM; ' if crashed else ''}rc={rc}\n"
                         f"stderr tail:\n{self.d.log_tail()}")
        self.d.__exit__(*exc)


def _indent(text):
    return "\n".join("    " + line for line in str(text).splitlines())
