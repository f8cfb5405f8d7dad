"""Throwaway networks of Linux network namespaces for the deployment tests (root only).

A `Network` makes namespaces named `shn<pid>-<name>`, joins them with veth pairs, and removes
them all when it ends, whether the test passed, failed or was interrupted: every process still
running in one of its namespaces is killed first. A namespace left by a test that was killed
outright (SIGKILL, a CI timeout) is swept by the next `Network`, which removes every `shn<pid>-`
namespace whose process is gone.

Addresses come from the documentation ranges (100.64.0.0/10 for subscribers, 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32), and every namespace is closed: nothing a
test sends can leave the machine.
"""
import os
import re
import shutil
import signal
import subprocess
import time

PREFIX = "shn"


def available():
    """None when namespaces can be made here, else why not (for a clean skip)."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"needs {tool} (apt-get install iproute2 nftables)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return "cannot make a network namespace: " + made.stderr.strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _sh(cmd, check=True, timeout=20):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def sweep_stale():
    """Removes namespaces left by earlier test processes that no longer exist."""
    listed = _sh(["ip", "netns", "list"], check=False).stdout
    for line in listed.splitlines():
        m = re.match(rf"({PREFIX}(\d+)-\S+)", line)
        if not m or os.path.exists(f"/proc/{m.group(2)}"):
            continue
        _kill_all_in(m.group(1))
        _sh(["ip", "netns", "del", m.group(1)], check=False)


def _kill_all_in(name):
    pids = _sh(["ip", "netns", "pids", name], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    # A killed process may take a moment to leave the namespace.
    deadline = time.monotonic() + 3
    while pids and time.monotonic() < deadline:
        time.sleep(0.02)
        pids = _sh(["ip", "netns", "pids", name], check=False).stdout.split()


class Namespace:
    def __init__(self, network, name):
        self.network, self.short = network, name
        self.name = f"{PREFIX}{os.getpid()}-{name}"
        self.procs = []

    def prefix(self):
        """The command prefix that runs a program in this namespace."""
        return ["ip", "netns", "exec", self.name]

    def run(self, cmd, check=True, timeout=20, input=None):
        """Runs cmd (a list) in the namespace; returns the CompletedProcess (text)."""
        p = subprocess.run(self.prefix() + list(cmd), capture_output=True, text=True,
                           timeout=timeout, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise RuntimeError(f"[{self.short}] {' '.join(cmd)}: exit {p.returncode}: "
                               f"{p.stderr.strip()}")
        return p

    def popen(self, cmd, **kw):
        """Starts cmd in the namespace; killed when the network ends."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(self.prefix() + list(cmd), **kw)
        self.procs.append(proc)
        return proc

    def sysctl(self, key, value):
        self.run(["sysctl", "-q", "-w", f"{key}={value}"])

    def nft(self, ruleset_text):
        """Loads an nftables rule set (text) into this namespace."""
        self.run(["nft", "-f", "-"], input=ruleset_text)

    def route(self, *args, v6=False):
        self.run(["ip"] + (["-6"] if v6 else []) + ["route", "add"] + list(args))


class Network:
    """with Network() as net: a = net.namespace("client"); ...; all removed at the end."""

    def __init__(self):
        self.namespaces = []

    def __enter__(self):
        sweep_stale()
        return self

    def __exit__(self, *exc):
        self.close()

    def namespace(self, name, forwarding=False):
        ns = Namespace(self, name)
        _sh(["ip", "netns", "add", ns.name])
        self.namespaces.append(ns)
        ns.run(["ip", "link", "set", "lo", "up"])
        # Addresses are usable at once: no IPv6 duplicate address detection wait.
        ns.sysctl("net.ipv6.conf.all.accept_dad", 0)
        ns.sysctl("net.ipv6.conf.default.accept_dad", 0)
        if forwarding:
            ns.sysctl("net.ipv4.ip_forward", 1)
            ns.sysctl("net.ipv6.conf.all.forwarding", 1)
        return ns

    def link(self, a, a_if, a_addrs, b, b_if, b_addrs):
        """A veth pair: a_if in a, b_if in b, each given its addresses ("10.0.0.1/24", ...)."""
        tmp_a, tmp_b = f"v{os.getpid() % 100000}{a_if}"[:15], f"v{os.getpid() % 100000}{b_if}b"[:15]
        _sh(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b])
        _sh(["ip", "link", "set", tmp_a, "netns", a.name])
        _sh(["ip", "link", "set", tmp_b, "netns", b.name])
        for ns, tmp, final, addrs in ((a, tmp_a, a_if, a_addrs), (b, tmp_b, b_if, b_addrs)):
            ns.run(["ip", "link", "set", tmp, "name", final])
            for addr in addrs:
                ns.run(["ip", "addr", "add", addr, "dev", final, "nodad"] if ":" in addr
                       else ["ip", "addr", "add", addr, "dev", final])
            ns.run(["ip", "link", "set", final, "up"])

    def close(self):
        for ns in self.namespaces:
            for proc in ns.procs:
                if proc.poll() is None:
                    proc.kill()
                    try:
                        proc.wait(3)
                    except subprocess.TimeoutExpired:
                        pass
            _kill_all_in(ns.name)
            _sh(["ip", "netns", "del", ns.name], check=False)
        self.namespaces = []
