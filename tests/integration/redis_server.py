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
    def __init__(self, password=None, port=None, persist=False):
        self.port = port or free_port(("127.0.0.1",))
        self.password = password
        self.persist = persist  # an append-only file synced on every write: restarts keep data
        self.dir = tempfile.mkdtemp(prefix="shelter-redis-")
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--dir", self.dir,
                "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
                "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
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

    def cli(self, *args, check=True):
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "--no-auth-warning"]
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
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "--no-auth-warning"]
        if self.password:
            cmd += ["-a", self.password]
        r = subprocess.run(cmd + ["--pipe"], input=data, capture_output=True, timeout=10)
        if r.returncode != 0 or b"errors: 0" not in r.stdout:
            raise RuntimeError(f"redis-cli --pipe: {r.stdout!r} {r.stderr!r}")
