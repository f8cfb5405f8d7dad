"""A private redis-server for the integration tests: a free 127.0.0.1 port, a scratch folder,
no persistence; killed at the end. Python 3 stdlib only; commands go through redis-cli.

With `netns` (a netns.Namespace) the server, and every redis-cli call to it, runs inside that
namespace, bound to `host` (one of the namespace's own addresses) on the usual port."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import free_port


class RedisServer:
    DEFAULT_PORT = 6379

    def __init__(self, password=None, port=None, persist=False, extra=(), tls=None, netns=None,
                 host="127.0.0.1", user=None):
        self.netns, self.host = netns, host
        self.user = user  # with password: redis-cli logs in as this ACL user (extra: --aclfile)
        self.port = port or (self.DEFAULT_PORT if netns else free_port(("127.0.0.1",)))
        self.password = password
        self.persist = persist  # an append-only file synced on every write: restarts keep data
        self.extra = list(extra)  # more redis-server arguments (--replicaof ...)
        self.tls = tls            # TestCertificates: the port speaks TLS only
        self.dir = tempfile.mkdtemp(prefix="shelter-redis-")
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", self.host,
                "--save", "", "--dir", self.dir,
                "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
                "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password and not self.user:
            args += ["--requirepass", self.password]
        # Reached from the namespace's neighbours, not only its loopback: protected mode must
        # go, unless ACL users (no password-less default user) keep strangers out.
        if self.netns and not self.user:
            args += ["--protected-mode", "no"]
        if self.tls:
            args[1:3] = ["--port", "0", "--tls-port", str(self.port)]
            args += ["--tls-cert-file", self.tls.cert, "--tls-key-file", self.tls.key,
                     "--tls-ca-cert-file", self.tls.ca, "--tls-auth-clients", "no"]
        args += self.extra
        return self._launch(args, "redis-server")

    def _prefix(self):
        return self.netns.prefix() if self.netns else []

    def _launch(self, args, what):
        self.proc = subprocess.Popen(self._prefix() + args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING", check=False).strip() == "PONG":
                return self
            time.sleep(0.02)
        log = os.path.join(self.dir, "redis.log")
        tail = open(log).read()[-500:] if os.path.exists(log) else ""
        self.stop()  # nothing left behind: no process, no scratch folder
        raise RuntimeError(f"{what} did not start {tail}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _cli(self):
        cmd = self._prefix() + ["redis-cli", "-h", self.host, "-p", str(self.port),
                                "--no-auth-warning"]
        if self.tls:
            cmd += ["--tls", "--cacert", self.tls.ca]
        return cmd

    def _auth(self):
        if not self.password:
            return []
        return ["--user", self.user, "--pass", self.password] if self.user else ["-a", self.password]

    def cli(self, *args, check=True):
        cmd = self._cli() + self._auth()
        r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=10)
        if check and (r.returncode != 0 or r.stdout.startswith("(error)") or
                      r.stdout.startswith("ERR") or r.stdout.startswith("NOAUTH")):
            raise RuntimeError(f"redis-cli {' '.join(args)}: {r.stdout} {r.stderr}")
        return r.stdout

    def pipe(self, commands):
        """Runs commands (lists of arguments) on one connection, e.g. MULTI ... EXEC."""
        def bulk(s):
            b = s.encode()
            return b"$%d\r\n%s\r\n" % (len(b), b)
        data = b"".join(b"*%d\r\n" % len(c) + b"".join(bulk(a) for a in c) for c in commands)
        cmd = self._cli() + self._auth()
        r = subprocess.run(cmd + ["--pipe"], input=data, capture_output=True, timeout=10)
        if r.returncode != 0 or b"errors: 0" not in r.stdout:
            raise RuntimeError(f"redis-cli --pipe: {r.stdout!r} {r.stderr!r}")


class Sentinel(RedisServer):
    """One redis-sentinel monitoring `primary` as master `name`, with short timeouts; `quorum`
    sentinels must agree the primary is down (one of several: give each the same quorum)."""

    DEFAULT_PORT = 26379

    def __init__(self, primary, name="shelter", quorum=1, netns=None, host="127.0.0.1",
                 auth=None):
        super().__init__(netns=netns, host=host)
        self.conf = os.path.join(self.dir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write(f"port {self.port}\nbind {host}\ndir {self.dir}\n"
                    f"protected-mode {'no' if netns else 'yes'}\n"
                    f"sentinel monitor {name} {primary.host} {primary.port} {quorum}\n"
                    f"sentinel down-after-milliseconds {name} 1000\n"
                    f"sentinel failover-timeout {name} 3000\n")
            if auth:  # (ACL user, password) it logs in to the servers with
                f.write(f"sentinel auth-user {name} {auth[0]}\nsentinel auth-pass {name} {auth[1]}\n")

    def start(self):
        return self._launch(["redis-server", self.conf, "--sentinel"], "redis-sentinel")


class TestCertificates:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost (openssl CLI)."""

    def __init__(self, directory):
        def p(name):
            return os.path.join(directory, name)
        key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
        run("req", "-x509", *key, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2",
            "-subj", "/CN=Shelter-test-CA")
        run("req", *key, "-keyout", p("server.key"), "-out", p("server.csr"),
            "-subj", "/CN=localhost")
        with open(p("ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", p("ext.cnf"), "-out", p("server.crt"))
        self.ca, self.cert, self.key = p("ca.crt"), p("server.crt"), p("server.key")
