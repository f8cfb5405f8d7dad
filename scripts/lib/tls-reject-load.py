#!/usr/bin/env python3
"""TLS ClientHellos with a blocked SNI, as fast as THREADS blocking clients can send them, for
SECONDS; prints "attempts rejected accepted errors". A proxy rejects when the handshake fails
(an alert, a reset or a close before the ServerHello); one that completes counts as accepted.

Usage: tls-reject-load.py HOST PORT SNI SECONDS THREADS [CONNECT_TARGET]
  With CONNECT_TARGET (host:port) every connection first asks the proxy for a CONNECT tunnel
  to it (explicit proxies: the SNI is checked by peeking at the ClientHello in the tunnel).
"""
import socket
import ssl
import sys
import threading
import time

host, port, sni = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seconds, nthreads = float(sys.argv[4]), int(sys.argv[5])
target = sys.argv[6] if len(sys.argv) > 6 else None
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
counts = {"rejected": 0, "accepted": 0, "errors": 0}
lock = threading.Lock()
deadline = time.monotonic() + seconds


def one():
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        if target:
            s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    return "errors"
                head += chunk
            if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                return "rejected"   # refused before the ClientHello (not an SNI check)
        try:
            t = ctx.wrap_socket(s, server_hostname=sni)
            t.close()
            return "accepted"
        except (ssl.SSLError, ConnectionError, OSError):
            return "rejected"
    finally:
        s.close()


def worker():
    local = {"rejected": 0, "accepted": 0, "errors": 0}
    while time.monotonic() < deadline:
        try:
            local[one()] += 1
        except OSError:
            local["errors"] += 1
    with lock:
        for k, v in local.items():
            counts[k] += v


threads = [threading.Thread(target=worker) for _ in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
attempts = sum(counts.values())
print(attempts, counts["rejected"], counts["accepted"], counts["errors"])
