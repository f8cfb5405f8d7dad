"""Clients of a running shelterd for the integration tests: HTTP with curl (never following a
redirect), the admin API with its bearer token, and shelterctl ($SHELTERCTL, else beside
shelterd in the build tree)."""
import json
import os
import re
import shlex
import subprocess
import urllib.parse

from harness import run

ADMIN_TOKEN = "tester-admin-token-0123456789abcdefghijkl"


class Resp:
    def __init__(self, r):
        self.cmd = r.cmd
        head, _, self.body = r.out.replace("\r\n", "\n").partition("\n\n")
        lines = head.splitlines()
        self.status = (int(lines[0].split()[1])
                       if lines and len(lines[0].split()) > 1 and r.rc == 0 else None)
        self.headers = {k.strip().lower(): v.strip()
                        for k, _, v in (h.partition(":") for h in lines[1:])}
        self.header_lines = lines[1:]
        self.err = r.err

    def set_cookies(self):
        """Every Set-Cookie value (the dict of headers keeps only the last)."""
        return [v.strip() for k, _, v in (h.partition(":") for h in self.header_lines)
                if k.strip().lower() == "set-cookie"]

    def h1(self):
        m = re.search(r"<h1[^>]*>(.*?)</h1>", self.body, re.S)
        return m.group(1).strip() if m else None

    def field(self, name):
        """The value of the form input `name` (HTML-escaped as served), or None."""
        m = re.search(r'name="' + re.escape(name) + r'" value="([^"]*)"', self.body)
        return m.group(1) if m else None

    def __str__(self):
        return (f"$ {' '.join(shlex.quote(c) for c in self.cmd)}\n-> {self.status} "
                f"{json.dumps(self.headers)}\n{self.body[:700]}{self.err}")


def http(port, path, method="GET", host=None, data=None, headers=(), source=None):
    """One request to 127.0.0.1:port with curl (never follows a redirect)."""
    cmd = ["curl", "-sS", "-i", "--noproxy", "*", "--max-time", "5", "-H", "Expect:"]
    if host:
        cmd += ["-H", f"Host: {host}"]
    if source:
        cmd += ["--interface", source]
    for h in headers:
        cmd += ["-H", h]
    if data is not None:
        cmd += ["--data-raw", data if isinstance(data, str) else urllib.parse.urlencode(data)]
        if method != "POST":
            cmd += ["-X", method]
    elif method != "GET":
        cmd += ["-X", method]
    return Resp(run(cmd + [f"http://127.0.0.1:{port}{path}"], timeout=8))


def api(d, method, path, body=None, token=ADMIN_TOKEN):
    """(status, parsed JSON or None, Resp) from the admin API."""
    headers = ["Content-Type: application/json"]
    if token is not None:
        headers.append(f"Authorization: Bearer {token}")
    r = http(d.admin_port, path, method, data=None if body is None else json.dumps(body),
             headers=headers)
    try:
        parsed = json.loads(r.body)
    except ValueError:
        parsed = None
    return r.status, parsed, r


def shelterctl_path(t):
    path = os.environ.get("SHELTERCTL")
    if not path and t.args.shelterd:
        path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(t.args.shelterd))),
                            "tools", "shelterctl")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"no shelterctl binary (set SHELTERCTL): {path!r}")
    return path


def ctl(t, d, *args, token=ADMIN_TOKEN, stdin=None):
    """Runs shelterctl against d's admin API (`stdin`: text for its standard input); returns the
    CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if k not in ("SHELTER_ADMIN", "SHELTER_ADMIN_TOKEN")}
    env["SHELTER_ADMIN_TOKEN"] = token
    cmd = [shelterctl_path(t), "--admin", f"http://127.0.0.1:{d.admin_port}", *args]
    given = {"stdin": subprocess.DEVNULL} if stdin is None else {"input": stdin}
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20, env=env, **given)
    p.shown = (f"$ {' '.join(shlex.quote(c) for c in cmd[1:])}\n[rc={p.returncode}]\n"
               f"{p.stdout}{p.stderr}")
    return p


def ctl_json(t, d, *args):
    p = ctl(t, d, *args, "--json")
    try:
        return json.loads(p.stdout), p
    except ValueError:
        return None, p
