#!/usr/bin/env python3
"""Captures real ClientHellos for the TLS reader's tests and fuzz seeds (run by hand, never by
the tests): a one-shot TCP listener on 127.0.0.1 records a client's first bytes up to the end of
its ClientHello, then closes the connection. Clients: headless Chromium, openssl s_client
(TLS 1.3, TLS 1.2, no SNI) and curl.

Usage: tests/unit/tls/capture_hellos.py [OUT_DIR]   (default: tests/unit/tls/data)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def hello_complete(data):
    """True once `data` holds whole TLS records carrying a whole first handshake message."""
    handshake = b""
    pos = 0
    while pos + 5 <= len(data):
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        if pos + 5 + length > len(data):
            return False
        handshake += data[pos + 5:pos + 5 + length]
        pos += 5 + length
        if len(handshake) >= 4 and len(handshake) >= 4 + int.from_bytes(handshake[1:4], "big"):
            return True
    return False


def capture(client_argv, out_path, want_sni=None, hold_stdin=False):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(30)
    port = listener.getsockname()[1]
    argv = [a.replace("PORT", str(port)) for a in client_argv]
    # s_client quits at end of input: an open pipe keeps it waiting for the server.
    client = subprocess.Popen(argv, stdin=subprocess.PIPE if hold_stdin else subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        while True:
            conn, _ = listener.accept()
            conn.settimeout(10)
            data = b""
            while not hello_complete(data):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            conn.close()
            if data[:1] == b"\x16" and (want_sni is None or want_sni.encode() in data):
                break
    finally:
        os.killpg(client.pid, 9)
        client.wait()
        listener.close()
    with open(out_path, "wb") as f:
        f.write(data)
    print(f"{os.path.basename(out_path)}: {len(data)} bytes")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    os.makedirs(out, exist_ok=True)
    profile = tempfile.mkdtemp()
    try:
        capture(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * 127.0.0.1:PORT", "https://www.example.com/"],
                os.path.join(out, "chromium_hello.bin"), want_sni="www.example.com")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    s_client = ["openssl", "s_client", "-connect", "127.0.0.1:PORT"]
    capture(s_client + ["-servername", "www.example.org", "-alpn", "h2,http/1.1"],
            os.path.join(out, "openssl_tls13_hello.bin"), hold_stdin=True)
    capture(s_client + ["-servername", "www.example.net", "-tls1_2"],
            os.path.join(out, "openssl_tls12_hello.bin"), hold_stdin=True)
    capture(s_client + ["-noservername"], os.path.join(out, "openssl_no_sni_hello.bin"), hold_stdin=True)
    capture(["curl", "-sk", "--max-time", "20", "--resolve", "curl.example.com:PORT:127.0.0.1",
             "https://curl.example.com:PORT/"], os.path.join(out, "curl_hello.bin"))


if __name__ == "__main__":
    main()
