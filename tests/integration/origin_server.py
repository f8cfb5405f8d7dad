"""A small origin for the proxy tests: HTTP/1.1 on a free 127.0.0.1 port (keep-alive, fixed,
chunked and close-delimited bodies, uploads, an upgrade that echoes raw bytes, and a few broken
answers), and an HTTPS origin with a throwaway self-signed certificate. Python stdlib only.

Paths (HTTP):
  /bytes/N          N bytes of a fixed pattern (pattern_sha(N) is their SHA-256), Content-Length
  /chunked/N        the same N bytes, chunked in uneven pieces
  /close/N          the same N bytes, no length: the body ends when the connection closes
  /echo             the request body's SHA-256 and length ("<hex> <n>"), any method
  /headers          the request head as received
  /drop-after       an answer that promises keep-alive, then the connection closed
  /ws               101 Switching Protocols, then every byte sent back
  /bad/cl-te        a response with both Content-Length and Transfer-Encoding (smuggling)
  /bad/two-cl       a response with two different Content-Length values
  anything else     "page <path>" (text/html)
Every request is recorded in `requests` as (method, path, headers dict) and every connection
counted in `connections`.
"""
import hashlib
import os
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading

PATTERN = bytes(range(256)) * 256  # 64 KiB


def pattern_bytes(n):
    out = bytearray()
    while len(out) < n:
        out += PATTERN[: n - len(out)]
    return bytes(out)


def pattern_sha(n):
    h = hashlib.sha256()
    left = n
    while left:
        piece = PATTERN[: min(left, len(PATTERN))]
        h.update(piece)
        left -= len(piece)
    return h.hexdigest()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        origin = self.server.origin
        with origin.lock:
            origin.connections += 1
        sock = self.request
        sock.settimeout(30)
        reader = sock.makefile("rb")
        try:
            while self._one(origin, sock, reader):
                pass
        except (OSError, ValueError):
            pass

    def _one(self, origin, sock, reader):
        line = reader.readline(65536)
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers, raw = {}, [line]
        while True:
            h = reader.readline(65536)
            raw.append(h)
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        with origin.lock:
            origin.requests.append((method, path, headers))
        body = self._body(reader, headers)
        keep = headers.get("connection", "").lower() != "close"
        if path.startswith("/bytes/"):
            n = int(path.split("/")[2])
            self._send_head(sock, 200, {"Content-Length": str(n),
                                        "Content-Type": "application/octet-stream"}, keep)
            if method != "HEAD":
                self._send_pattern(sock, n)
        elif path.startswith("/chunked/"):
            n = int(path.split("/")[2])
            self._send_head(sock, 200, {"Transfer-Encoding": "chunked"}, keep)
            data, sizes, i = pattern_bytes(n), [1, 7, 4096, 65536, 100000, 3], 0
            pos = 0
            while pos < n:
                size = min(sizes[i % len(sizes)], n - pos)
                sock.sendall(b"%x;ext=1\r\n" % size + data[pos:pos + size] + b"\r\n")
                pos, i = pos + size, i + 1
            sock.sendall(b"0\r\nX-Trailer: t\r\n\r\n")
        elif path.startswith("/close/"):
            n = int(path.split("/")[2])
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            self._send_pattern(sock, n)
            return False
        elif path == "/echo":
            text = f"{hashlib.sha256(body).hexdigest()} {len(body)}".encode()
            self._send_head(sock, 200, {"Content-Length": str(len(text))}, keep)
            sock.sendall(text)
        elif path == "/headers":
            text = b"".join(raw)
            self._send_head(sock, 200, {"Content-Length": str(len(text))}, keep)
            sock.sendall(text)
        elif path == "/ws":
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                         b"Upgrade: websocket\r\n\r\n")
            while True:
                data = sock.recv(65536)
                if not data:
                    return False
                sock.sendall(data)
        elif path == "/drop-after":
            # Answers as if the connection stays open, then closes it: an origin ending an idle
            # keep-alive connection just as the next request comes.
            text = b"dropped after this"
            self._send_head(sock, 200, {"Content-Length": str(len(text))}, True)
            sock.sendall(text)
            return False
        elif path == "/bad/cl-te":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
                         b"\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")
            return False
        elif path == "/bad/two-cl":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
            return False
        else:
            text = f"page {path}".encode()
            self._send_head(sock, 200, {"Content-Length": str(len(text)),
                                        "Content-Type": "text/html"}, keep)
            if method != "HEAD":
                sock.sendall(text)
        return keep

    @staticmethod
    def _body(reader, headers):
        if "content-length" in headers:
            return reader.read(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(reader.readline().split(b";")[0], 16)
                if size == 0:
                    while reader.readline() not in (b"\r\n", b""):
                        pass
                    return bytes(out)
                out += reader.read(size)
                reader.readline()
        return b""

    @staticmethod
    def _send_head(sock, status, fields, keep):
        head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        if not keep:
            head += "Connection: close\r\n"
        sock.sendall((head + "\r\n").encode())

    @staticmethod
    def _send_pattern(sock, n):
        left = n
        while left:
            piece = PATTERN[: min(left, len(PATTERN))]
            sock.sendall(piece)
            left -= len(piece)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Origin:
    """The HTTP origin: `with Origin() as o:` serves on 127.0.0.1:o.port."""

    def __init__(self):
        self.requests, self.connections, self.lock = [], 0, threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.origin = self
        self.port = self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def paths(self):
        with self.lock:
            return [p for _, p, _ in self.requests]


class TlsOrigin:
    """An HTTPS origin with a self-signed certificate for `names`: answers every request with
    "hello over tls from <SNI>" and closes."""

    def __init__(self, names):
        self.dir = tempfile.mkdtemp(prefix="shelter-tls-origin-")
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        san = ",".join(f"DNS:{n}" for n in names)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={san}",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.set_alpn_protocols(["http/1.1"])
        self.sni_seen = []
        self.context.sni_callback = lambda s, name, ctx: self.sni_seen.append(name) or None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = False

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.listener.close()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            conn.settimeout(10)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                sni = self.sni_seen[-1] if self.sni_seen else ""
                body = f"<html><body><p id=t>hello over tls from {sni}</p></body></html>".encode()
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        except (OSError, ssl.SSLError):
            pass
