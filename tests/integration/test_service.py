#!/usr/bin/env python3
"""Operating shelterd as a service (docs/operations.md).

notify: the real shelterd with NOTIFY_SOCKET pointing at this script's AF_UNIX datagram socket
says READY=1 (with STATUS=) once it serves, RELOADING=1 with MONOTONIC_USEC then READY=1 around
each SIGHUP (a failed reload too), WATCHDOG=1 when WATCHDOG_USEC asks for it, and STOPPING=1 on
SIGTERM, in that order; with logging.format json every stderr line is a JSON object; with
JOURNAL_STREAM naming stderr, text lines carry a syslog priority instead of a time stamp.
run-as (root only; skipped otherwise): started as root with run-as nobody, shelterd binds a
privileged port, answers dig there, and runs with nobody's ids and no capability in every
thread; files it makes belong to nobody; a reload still reads its files; a state directory
nobody cannot write is refused naming it; an unknown user is a configuration error."""
import json
import os
import grp
import pwd
import re
import socket
import subprocess
import tempfile
import time

from fake_upstream import FakeUpstream, Rule
from harness import Shelterd, Suite, base_config, dig, http_get, merge, run, to_yaml

FORWARDED = "198.51.100.7"


class NotifySocket:
    """The service manager's end of sd_notify(3): collects every datagram."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="shelter-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.messages = []

    def drain(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, BlockingIOError):
                return
            self.messages.append(dict(line.split("=", 1)
                                      for line in data.decode().splitlines() if "=" in line))

    def wait(self, key, since, timeout=5.0):
        """The first message from index since that has key, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain()
            for m in self.messages[since:]:
                if key in m:
                    return m
        return None

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def without(messages, key):
    return [m for m in messages if key not in m]


def check_notify(t, binary, up):
    ns = NotifySocket()
    env = {"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "400000"}
    os.environ.update(env)
    cfg = base_config(up.addr, logging={"format": "json"},
                      lists=[{"id": "kids", "format": "domains", "path": "{dir}/kids.txt",
                              "category": "adult"}])
    try:
        d = Shelterd(binary, cfg, {"kids.txt": "blocked.test\n"})
        with d:
            for k in env:
                del os.environ[k]
            ready = ns.wait("READY", 0)
            t.check(ready and ready.get("READY") == "1" and
                    ready.get("STATUS", "").startswith("serving: dns on"),
                    "READY=1 with STATUS=serving... once shelterd serves", ns.messages)
            first = without(ns.messages, "WATCHDOG")
            t.check(first and "READY" in first[0], "nothing but READY=1 comes first", first)
            r = dig(d.port, "www.example.test")
            t.check(r.status == "NOERROR" and r.data("A") == [FORWARDED], "it serves", r)

            time.sleep(1.0)
            ns.drain()
            dogs = [m for m in ns.messages if m.get("WATCHDOG") == "1"]
            t.check(3 <= len(dogs) <= 12, "WATCHDOG=1 every WATCHDOG_USEC/2 (0.2 s)",
                    f"{len(dogs)} in about 1.2 s")

            for what, text, want in (("good", None, "reload: ok"),
                                     ("bad", d.config_text + "bogus: [\n", "reload: failed")):
                if text:
                    d.write_file("shelterd.yaml", text)
                mark, since = d.mark(), len(ns.messages)
                before = int(time.monotonic() * 1e6)
                d.hup()
                reloading = ns.wait("RELOADING", since)
                after = int(time.monotonic() * 1e6)
                t.check(reloading and reloading["RELOADING"] == "1" and
                        before <= int(reloading.get("MONOTONIC_USEC", -1)) <= after,
                        f"{what} reload: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC)",
                        f"{reloading} not within [{before}, {after}]")
                i = ns.messages.index(reloading) if reloading else since
                again = ns.wait("READY", i + 1)
                t.check(again and again.get("READY") == "1" and "STATUS" in again,
                        f"{what} reload: READY=1 with STATUS after RELOADING=1", again)
                t.check(d.wait_for(want, mark, 5) is not None, f"{what} reload: {want}",
                        d.log_tail(5))
                if what == "bad":
                    t.check(again and "reload failed" in again.get("STATUS", ""),
                            "a failed reload says so in STATUS", again)
            since = len(ns.messages)
            d.stop()
            stopping = ns.wait("STOPPING", since, timeout=1)
            t.check(stopping and stopping["STOPPING"] == "1", "STOPPING=1 on SIGTERM", stopping)
            after_stop = without(ns.messages[since:], "WATCHDOG")
            t.check(after_stop and "STOPPING" in after_stop[0] and
                    not any("READY" in m for m in after_stop),
                    "nothing but STOPPING=1 after SIGTERM", after_stop)
            t.equal(d.rc, 0, "exit status after SIGTERM")
            check_json_lines(t, d)
    finally:
        for k in env:
            os.environ.pop(k, None)
        ns.close()


def check_json_lines(t, d):
    lines = [line for line in d.log().splitlines() if line]
    parsed, bad = [], []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            bad.append(line)
    t.check(lines and not bad, f"every stderr line is JSON ({len(lines)} lines)", bad[:3])
    t.check(all(set(p) == {"ts", "level", "msg"} and p["ts"].endswith("Z") and
                p["level"] in ("error", "warn", "info", "debug") for p in parsed),
            "each has ts (UTC), level and msg only", parsed[:3])
    failed = [p for p in parsed if p["msg"].startswith("reload: failed")]
    t.check(failed and "\n" in failed[0]["msg"],
            "a message with newlines is one line, its newlines escaped", failed)
    if os.geteuid() == 0:
        t.check(any("RUNNING AS ROOT" in p["msg"] and p["level"] == "warn" for p in parsed),
                "started as root without run-as: a loud warning", parsed[:5])


def check_journal(t, binary, up):
    """stderr is the journal when JOURNAL_STREAM names it: text lines then carry a syslog
    priority and no time stamp (the journal stamps them)."""
    d = Shelterd(binary, base_config(up.addr))
    r, w = os.pipe()
    st = os.fstat(w)
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    proc = subprocess.Popen([binary, "--config", d.config_path], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=w, env=env)
    os.close(w)
    lines = []
    try:
        with os.fdopen(r, errors="replace") as stream:
            deadline = time.monotonic() + 15
            for line in stream:
                lines.append(line.rstrip("\n"))
                if "shelterd: ready" in line or time.monotonic() > deadline:
                    break
            proc.terminate()
            lines += [line.rstrip("\n") for line in stream]
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        d.__exit__()
    ready = [line for line in lines if "shelterd: ready" in line]
    t.check(ready and ready[0].startswith("<6>info shelterd: ready"),
            "under the journal: '<6>info shelterd: ready' (priority, no time stamp)", lines[-5:])
    t.check(lines and all(re.match(r"<[3467]>(error|warn|info|debug) ", line) for line in lines),
            f"every line starts with its priority ({len(lines)} lines)", lines[:5])


def privileged_ports(n):
    """n distinct ports below 1024, each free for UDP and TCP on 127.0.0.1."""
    found = []
    for port in range(853, 1000):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                u.bind(("127.0.0.1", port))
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        found.append(port)
        if len(found) == n:
            return found
    raise RuntimeError(f"not {n} free ports below 1024 on 127.0.0.1")


def status_fields(pid):
    out = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("Uid", "Gid", "Groups", "CapEff", "CapPrm", "CapAmb", "NoNewPrivs"):
                    out.setdefault(key, set()).add(value.strip())
    return out


def run_as_config(up, dns_port, web_port=None, proxy_port=None):
    extra = {}
    if web_port:
        extra["web"] = {"block-listen": [f"127.0.0.1:{web_port}"]}
    if proxy_port:  # a TPROXY listener: IP_TRANSPARENT needs CAP_NET_ADMIN while binding
        extra["proxy"] = {"address-ipv4": ["127.0.0.1"], "http-listen": [f"127.0.0.1:{proxy_port}"],
                          "tproxy": True}
    return base_config(up.addr, **extra, **{
        "dns": {"listen": [f"127.0.0.1:{dns_port}"]},
        "run-as": {"user": "nobody", "group": "nogroup"},
        "list-updates": {"state-directory": "{dir}/state"},
        "lists": [{"id": "kids", "format": "domains", "path": "{dir}/kids.txt",
                   "category": "adult"}],
    })


def check_run_as(t, binary, up):
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    port, web_port, proxy_port = privileged_ports(3)
    d = Shelterd(binary, run_as_config(up, port, web_port, proxy_port),
                 {"kids.txt": "blocked.test\n"})
    os.chmod(d.dir, 0o755)  # the harness's directory is root's 0700: nobody must read its files
    for name in ("shelterd.yaml", "kids.txt"):
        os.chmod(d.path(name), 0o644)
    os.mkdir(d.path("state"), 0o750)
    os.chown(d.path("state"), nobody, nogroup)
    with d:
        pid = d.proc.pid
        r = dig(port, "www.example.test")
        t.check(r.status == "NOERROR" and r.data("A") == [FORWARDED],
                f"answers on privileged port 127.0.0.1:{port} after switching", r)
        r = dig(port, "www.example.test", "+tcp")
        t.check(r.status == "NOERROR", "and over TCP", r)
        status, _, body = http_get(web_port, "/")
        t.check(status is not None, f"the web front answers on privileged port {web_port}",
                body)
        ready = d.wait_for("shelterd: ready", 0, 1) or ""
        t.check(f"HTTP proxy on 127.0.0.1:{proxy_port}" in ready,
                f"the TPROXY listener (IP_TRANSPARENT) bound on privileged port {proxy_port}",
                ready)
        try:
            socket.create_connection(("127.0.0.1", proxy_port), timeout=2).close()
            accepted = ""
        except OSError as e:
            accepted = str(e)
        t.check(not accepted, "and takes connections after switching", accepted)
        f = status_fields(pid)
        t.equal(f["Uid"], {f"{nobody}\t{nobody}\t{nobody}\t{nobody}"},
                "every thread's Uid (real, effective, saved, fs)")
        t.equal(f["Gid"], {f"{nogroup}\t{nogroup}\t{nogroup}\t{nogroup}"},
                "every thread's Gid")
        t.check(all(g != "0" for g in " ".join(f["Groups"]).split()),
                "no supplementary group 0", f["Groups"])
        t.equal(f["CapEff"] | f["CapPrm"] | f["CapAmb"], {"0000000000000000"},
                "every thread's CapEff, CapPrm and CapAmb")
        t.equal(f["NoNewPrivs"], {"1"}, "no_new_privs set")
        t.check(d.wait_for("run-as: running as user 'nobody'", 0, 1), "the log says so",
                d.log_tail(5))
        owners = {os.stat(os.path.join(root, n)).st_uid
                  for root, _, names in os.walk(d.path("state")) for n in names}
        t.check(owners == {nobody}, "files made at start (last good lists) belong to nobody",
                owners)
        d.write_file("kids.txt", "blocked.test\nalso.test\n")
        mark = d.mark()
        d.hup()
        t.check(d.wait_for("reload: ok", mark, 5), "a reload after switching reads its files",
                d.log_tail(5))
        t.check(d.stop() == 0, "stops cleanly on SIGTERM", d.log_tail(5))

    # The state directory root's and not writable by nobody: refused before anything starts.
    d = Shelterd(binary, run_as_config(up, privileged_ports(1)[0]),
                 {"kids.txt": "blocked.test\n"})
    try:
        os.chmod(d.dir, 0o755)
        for name in ("shelterd.yaml", "kids.txt"):
            os.chmod(d.path(name), 0o644)
        os.mkdir(d.path("state"), 0o755)
        r = run([binary, "--config", d.config_path], timeout=10)
        state = d.path("state")
        t.check(r.rc == 1 and f"{state}: not writable" in r.err and "not started" in r.err,
                "a state directory nobody cannot write: refused, naming it", r)
        os.chmod(d.path("shelterd.yaml"), 0o600)
        os.chown(state, nobody, nogroup)
        r = run([binary, "--config", d.config_path], timeout=10)
        t.check(r.rc == 1 and f"{d.config_path}: not readable" in r.err,
                "a configuration file nobody cannot read (a reload would fail): refused", r)
    finally:
        os.system(f"rm -rf {d.dir}")


def check_config_errors(t, binary, up):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "c.yaml")
        for what, run_as, want in (
                ("unknown user", {"user": "no-such-user-shelter"},
                 "run-as.user: no user 'no-such-user-shelter'"),
                ("bad name", {"user": "a:b"}, "run-as.user: 'a:b' is not a user name (line"),
                ("group alone", {"group": "nogroup"}, "run-as: has a group but no user")):
            with open(path, "w") as f:
                f.write(to_yaml(merge(base_config(up.addr), {"run-as": run_as})) + "\n")
            r = run([binary, "--check-config", "--config", path], timeout=5)
            t.check(r.rc == 1 and want in r.out + r.err, f"--check-config: {what}", r)


def body(t):
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        with t.case("notify"):
            check_notify(t, t.args.shelterd, up)
        with t.case("journal"):
            check_journal(t, t.args.shelterd, up)
        with t.case("config"):
            check_config_errors(t, t.args.shelterd, up)
        if os.geteuid() != 0:
            print("SKIP run-as: needs root", flush=True)
            return
        with t.case("run-as"):
            check_run_as(t, t.args.shelterd, up)


if __name__ == "__main__":
    Suite("service").main(body)
