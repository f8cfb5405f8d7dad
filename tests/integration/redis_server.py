"""A private redis-server for the integration tests: a free 127.0.0.1 port, a scratch folder,
no persistence; killed at the end. Python 3 stdlib only; commands go through redis-cli."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import free_port


class RedisServer:
    def __init__(self, password=None, port=None, persist=False, extra=(), tls=None):
        self.port = port or free_port(("127.0.0.1",))
        self.password = password
        self.persist = persist  # an append-only file synced on every write: restarts keep data
        self.extra = list(extra)  # more redis-server arguments (--replicaof ...)
        self.tls = tls            # TestCertificates: the port speaks TLS only
        self.dir = tempfile.mkdtemp(prefix="shelter-redis-")
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--dir", self.dir,
                "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
                "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls:
            args[1:3] = ["--port", "0", "--tls-port", str(self.port)]
            args += ["--tls-cert-file", self.tls.cert, "--tls-key-file", self.tls.key,
                     "--tls-ca-cert-file", self.tls.ca, "--tls-auth-clients", "no"]
        args += self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING", check=False).strip() == "PONG":
                return self
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

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
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "--no-auth-warning"]
        if self.tls:
            cmd += ["--tls", "--cacert", self.tls.ca]
        return cmd

    def cli(self, *args, check=True):
        cmd = self._cli()
        if self.password:
            cmd += ["-a", self.password]
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
        cmd = self._cli()
        if self.password:
            cmd += ["-a", self.password]
        r = subprocess.run(cmd + ["--pipe"], input=data, capture_output=True, timeout=10)
        if r.returncode != 0 or b"errors: 0" not in r.stdout:
            raise RuntimeError(f"redis-cli --pipe: {r.stdout!r} {r.stderr!r}")


class Sentinel(RedisServer):
    """One redis-sentinel monitoring `primary` as master `name`, with short timeouts."""

    def __init__(self, primary, name="shelter"):
        super().__init__()
        self.conf = os.path.join(self.dir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\n"
                    f"sentinel monitor {name} 127.0.0.1 {primary.port} 1\n"
                    f"sentinel down-after-milliseconds {name} 1000\n"
                    f"sentinel failover-timeout {name} 3000\n")

    def start(self):
        self.proc = subprocess.Popen(["redis-server", self.conf, "--sentinel"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING", check=False).strip() == "PONG":
                return self
            time.sleep(0.02)
        raise RuntimeError("redis-sentinel did not start")


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
