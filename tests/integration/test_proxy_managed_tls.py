#!/usr/bin/env python3
"""proxy.managed-tls (managed networks, off by default), through the real shelterd with a CA
made by openssl here: a blocked HTTPS host gets the real block page over TLS under a minted
certificate that curl, openssl s_client and headless Chromium verify against that CA (the
SNI proxy and CONNECT), a device without the CA fails cleanly, allowed hosts are still spliced
with the origin's own certificate, hosts refused only for listed pages still get the alert, and
broken CA files stop shelterd and --check-config with a clear error."""
import base64
import datetime
import os
import shutil
import subprocess
import tempfile

from fake_upstream import FakeUpstream
from harness import Shelterd, Suite, free_port, http_get, metric, parse_metrics
from origin_server import Origin, TlsOrigin
from test_proxy import (BLOCKED, LEGAL_CSV, NAV, OTHER, PAGES_CSV, SHARED, TLS_OK, TLS_PAGES,
                        TLS_STRICT, config, curl)

TLS_BLOCKED = "tls-blocked.test"
CA_NAME = "Test School CA"


def make_ca(directory):
    cert, key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", f"/CN={CA_NAME}",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def s_client(port, name, *extra, data=b""):
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                        name, "-showcerts", *extra], input=data, capture_output=True, timeout=15)
    return (p.stdout + p.stderr).decode(errors="replace")


def leaf_pem(text):
    begin = text.find("-----BEGIN CERTIFICATE-----")
    end = text.find("-----END CERTIFICATE-----", begin)
    return text[begin:end + len("-----END CERTIFICATE-----")] + "\n" if begin >= 0 else ""


def x509(pem, *args):
    return subprocess.run(["openssl", "x509", "-noout", *args], input=pem.encode(),
                          capture_output=True).stdout.decode()


def spki_hash(pem):
    """base64(SHA-256(SubjectPublicKeyInfo)), as Chromium's --ignore-certificate-errors-spki-list
    takes it."""
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout"], input=pem.encode(),
                         capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            capture_output=True).stdout
    return base64.b64encode(digest).decode()


def tls_metrics(d):
    m = parse_metrics(http_get(d.admin_port, "/metrics")[2])
    return {name: metric(m, f"shelter_tls_{name}_total") or 0
            for name in ("terminated", "terminate_failed", "certificates_minted", "blocked",
                         "spliced")}


def check_block_page(t, d, ports, ca_cert):
    tls = ports["tls"]
    via_sni = ["--cacert", ca_cert, "--connect-to", f"{TLS_BLOCKED}:443:127.0.0.1:{tls}"]
    code, status, headers, body, err = curl(via_sni + NAV + [f"https://{TLS_BLOCKED}/a/page"])
    t.check(code == 0, "a blocked host's minted certificate verifies against the CA (curl, no -k)",
            err)
    t.check(status is not None and status >= 400 and b"<html" in body.lower()
            and TLS_BLOCKED.encode() in body,
            "the child sees the real block page over HTTPS, naming the site",
            f"{status} {body[:300]!r}")
    t.check("content-security-policy" in headers and "strict-transport-security" not in headers,
            "... with the block page's CSP and no HSTS (the name is not ours)", str(headers))
    code, status, _, body, _ = curl(via_sni + ["-H", "Sec-Fetch-Dest: image",
                                               f"https://{TLS_BLOCKED}/logo.png"])
    t.check(code == 0 and status == 403 and b"<html" not in body.lower(),
            "a sub-resource on the blocked host gets the short 403", f"{status} {body[:200]!r}")

    out = s_client(tls, TLS_BLOCKED, "-CAfile", ca_cert, "-verify_return_error",
                   "-verify_hostname", TLS_BLOCKED)
    t.check("Verify return code: 0 (ok)" in out, "openssl s_client verifies the chain and name",
            out[-600:])
    pem = leaf_pem(out)
    issuer, subject = x509(pem, "-issuer"), x509(pem, "-subject")
    t.check(CA_NAME in issuer and TLS_BLOCKED in subject, "the leaf is issued by the operator's CA "
            "for the name", issuer + subject)
    t.check(f"DNS:{TLS_BLOCKED}" in x509(pem, "-ext", "subjectAltName"),
            "the name is in subjectAltName")
    end = x509(pem, "-enddate").strip().split("=", 1)[-1]
    not_after = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y %Z").replace(
        tzinfo=datetime.timezone.utc)
    left = (not_after - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    t.check(7200 - 120 < left <= 7200 + 5,
            "the certificate is short-lived (certificate-lifetime: 2h)", f"{left:.0f} s left")
    t.check("ALPN protocol: http/1.1" in s_client(tls, TLS_BLOCKED, "-alpn", "h2,http/1.1"),
            "ALPN: http/1.1 is chosen when a client offers h2 as well")

    # Through the explicit proxy: CONNECT to the blocked host, the block page in the tunnel.
    # (The test's TLS origin port stands for 443: tls-origin-port.)
    code, status, _, body, err = curl(["-x", f"http://127.0.0.1:{ports['http']}",
                                       "--suppress-connect-headers", "--cacert", ca_cert] + NAV +
                                      [f"https://{TLS_BLOCKED}:{ports['origin_tls']}/"])
    t.check(code == 0 and status is not None and status >= 400 and b"<html" in body.lower(),
            "CONNECT to a blocked host: the block page inside the tunnel",
            f"{code} {status} {err} {body[:200]!r}")
    m = tls_metrics(d)
    t.check(m["certificates_minted"] == 1,
            "one certificate minted for the name, then taken from the cache", str(m))
    t.check(m["terminated"] >= 4, "terminated connections are counted", str(m))


def check_untrusted_device(t, d, ports, ca_cert):
    before = tls_metrics(d)["terminate_failed"]
    code, _, _, _, err = curl(["--connect-to", f"{TLS_BLOCKED}:443:127.0.0.1:{ports['tls']}",
                               f"https://{TLS_BLOCKED}/"])
    t.check(code == 60, "a device without the operator's CA refuses the certificate (curl 60)",
            f"{code} {err}")
    t.check(tls_metrics(d)["terminate_failed"] == before + 1, "... and the failure is counted")


def check_others_unchanged(t, d, ports, ca_cert):
    tls = ports["tls"]
    code, status, _, body, err = curl(["-k", "--connect-to", f"{TLS_OK}:443:127.0.0.1:{tls}",
                                       f"https://{TLS_OK}/"])
    t.check(code == 0 and status == 200 and b"hello over tls from " + TLS_OK.encode() in body,
            "an allowed host is still spliced to its origin", err)
    out = s_client(tls, TLS_OK)
    t.check(CA_NAME not in x509(leaf_pem(out), "-issuer"),
            "... with the origin's own certificate, never one of ours", out[-400:])
    code, status, _, _, err = curl(["-k", "--connect-to", f"{TLS_PAGES}:443:127.0.0.1:{tls}",
                                    f"https://{TLS_PAGES}/bad.html"])
    t.check(code == 0 and status == 200,
            "a host with listed pages (https-pages: pass) is still spliced", err)
    code, _, _, _, err = curl(["--cacert", ca_cert, "--connect-to",
                               f"{TLS_STRICT}:443:127.0.0.1:{tls}", f"https://{TLS_STRICT}/"])
    t.check(code == 35, "a host refused for its listed pages (https-pages: block) still gets the "
            "alert: nothing on it is decrypted", f"{code} {err}")


def check_chromium(t, d, ports, ca_cert):
    chromium = shutil.which("chromium") or os.environ.get("CHROMIUM")
    if not chromium:
        t.check(False, "chromium is installed (make test installs it)")
        return
    # Chromium trusts the minted certificate's key as a managed device trusts the CA.
    pem = leaf_pem(s_client(ports["tls"], TLS_BLOCKED))
    profile = tempfile.mkdtemp(prefix="shelter-chromium-")
    args = [chromium, "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--ignore-certificate-errors-spki-list={spki_hash(pem)}",
            f"--host-resolver-rules=MAP {TLS_BLOCKED} 127.0.0.1:{ports['tls']}",
            "--dump-dom", f"https://{TLS_BLOCKED}/some/page"]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    p = subprocess.run(args, capture_output=True, timeout=60)
    shutil.rmtree(profile, ignore_errors=True)
    dom = p.stdout.decode(errors="replace")
    t.check(TLS_BLOCKED in dom and "This site is blocked" in dom,
            "Chromium shows the block page for a blocked HTTPS host", dom[:500] +
            p.stderr.decode(errors="replace")[-400:])


def check_bad_ca(t, up, tls_origin, ca_cert, scratch):
    ports = {"http": free_port(("127.0.0.1",)), "tls": free_port(("127.0.0.1",))}
    _, other_key = make_ca(tempfile.mkdtemp(dir=scratch))
    for name, managed, want in (
            ("a missing key file", {"ca-certificate": ca_cert,
                                    "ca-key": os.path.join(scratch, "nope.key")}, "cannot read"),
            ("a key of another CA", {"ca-certificate": ca_cert, "ca-key": other_key},
             "is not the key of"),
            ("a certificate without its key", {"ca-certificate": ca_cert}, "needs both")):
        cfg = config(up, ports["http"], ports["tls"], free_port(("127.0.0.1",)), tls_origin.port,
                     **{"managed-tls": managed})
        # The files and the config as the suite writes them, without starting shelterd.
        written = Shelterd(t.args.shelterd, cfg, {"pages.csv": PAGES_CSV, "legal.csv": LEGAL_CSV})
        try:
            p = subprocess.run([t.args.shelterd, "--check-config", "--config",
                                written.config_path], capture_output=True, text=True, timeout=60)
            t.check(p.returncode == 1 and want in p.stderr,
                    f"--check-config refuses {name} with a clear error", p.stderr[-400:])
            p = subprocess.run([t.args.shelterd, "--config", written.config_path],
                               capture_output=True, text=True, timeout=30)
            t.check(p.returncode != 0 and want in p.stderr, f"shelterd does not start with {name}",
                    p.stderr[-400:])
        finally:
            shutil.rmtree(written.dir, ignore_errors=True)


def main(t):
    up = FakeUpstream()
    for name in (SHARED, OTHER, BLOCKED, TLS_OK, TLS_PAGES, TLS_STRICT, TLS_BLOCKED):
        up.add(name, a=["127.0.0.1"], ttl=300)
    scratch = tempfile.mkdtemp(prefix="shelter-managed-tls-")
    try:
        ca_cert, ca_key = make_ca(scratch)
        with up, Origin() as origin, TlsOrigin([TLS_OK, TLS_PAGES, TLS_STRICT]) as tls_origin:
            ports = {"http": free_port(("127.0.0.1",)), "tls": free_port(("127.0.0.1",)),
                     "origin_tls": tls_origin.port}
            cfg = config(up, ports["http"], ports["tls"], free_port(("127.0.0.1",)),
                         tls_origin.port, ports=[80, 443, origin.port, tls_origin.port],
                         **{"managed-tls": {"ca-certificate": ca_cert, "ca-key": ca_key,
                                            "certificate-lifetime": "2h"}})
            files = {"pages.csv": PAGES_CSV, "legal.csv": LEGAL_CSV}
            with t.shelterd(cfg, files) as d:
                t.run_cases([("block page over TLS", check_block_page),
                             ("device without the CA", check_untrusted_device),
                             ("other hosts unchanged", check_others_unchanged),
                             ("chromium", check_chromium)], d, ports, ca_cert)
            with t.case("broken CA files"):
                check_bad_ca(t, up, tls_origin, ca_cert, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    Suite("proxy-managed-tls").main(main)
