#!/usr/bin/env python3
"""deploy/isp/shelter.yaml as shipped: with its files in place (under a temporary root instead
of /etc/shelter and /var/lib/shelter), shelter-compile makes its snapshot and
`shelterd --check-config` takes it; its addresses agree with the `define`s of the shipped
nftables rules (deploy/isp/inline.nft, deploy/nftables/proxy-steered.nft)."""
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")


def defines(path):
    text = open(path).read()
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\s*define (\w+) = (.*)$", text,
                                                                 re.M)}


def yaml_list(text, section, key):
    """The flow list `key: [...]` inside top-level `section:` (the shipped file's style)."""
    m = re.search(rf"^{section}:\n((?:[ #].*\n|\n)*)", text, re.M)
    body = m.group(1) if m else ""
    k = re.search(rf"^  {key}: \[(.*)\]", body, re.M)
    return [v.strip().strip('"') for v in k.group(1).split(",")] if k else None


def lay_out(root, text):
    """Writes every file the config names under root; returns the rewritten config text."""
    etc, var = os.path.join(root, "etc"), os.path.join(root, "var")
    text = text.replace("/etc/shelter/", etc + "/").replace("/var/lib/shelter-lists/", var + "/")
    lists = os.path.join(var, "src")
    os.makedirs(os.path.join(etc, "lists"))
    shutil.copytree(os.path.join(DEPLOY, "lists", "ut1"), os.path.join(lists, "ut1"))
    os.makedirs(os.path.join(lists, "ut1", "social_networks"))
    files = {
        os.path.join(lists, "ut1", "social_networks", "domains"): "social.example.test\n",
        os.path.join(lists, "hotline-domains.txt"): "abuse-host.example.test\n",
        os.path.join(lists, "hotline-urls.csv"): "pages.example.test/listed/1.html,csam,1\n",
        os.path.join(lists, "threats.rpz"): open(os.path.join(DEPLOY, "lists",
                                                              "threats.rpz")).read(),
        os.path.join(etc, "token-keys"): f"k1 {secrets.token_hex(32)}\n",
        os.path.join(etc, "admin.tokens"): f"noc {secrets.token_urlsafe(32)}\n",
    }
    shutil.copy(os.path.join(DEPLOY, "lists", "doh-endpoints.txt"),
                os.path.join(etc, "lists", "doh-endpoints.txt"))
    for path, body in files.items():
        with open(path, "w") as f:
            f.write(body)
    os.chmod(os.path.join(etc, "admin.tokens"), 0o600)
    return text


def main(t):
    shipped = open(os.path.join(DEPLOY, "isp", "shelter.yaml")).read()
    inline = defines(os.path.join(DEPLOY, "isp", "inline.nft"))
    steered = defines(os.path.join(DEPLOY, "nftables", "proxy-steered.nft"))
    listen = yaml_list(shipped, "dns", "listen")
    t.equal(listen, [f"{inline['RESOLVER_V4']}:53", f"[{inline['RESOLVER_V6']}]:53"],
            "dns.listen is inline.nft's RESOLVER_V4/_V6 on port 53")
    t.equal(yaml_list(shipped, "proxy", "address-ipv4") + yaml_list(shipped, "proxy",
                                                                    "address-ipv6"),
            [steered["PROXY_V4"], steered["PROXY_V6"]],
            "proxy.address-ipv4/-ipv6 are proxy-steered.nft's PROXY_V4/_V6")
    subs = [inline["SUBSCRIBERS_V4"], inline["SUBSCRIBERS_V6"]]
    t.equal(yaml_list(shipped, "proxy", "clients"), subs,
            "proxy.clients are the subscriber networks of the rules")
    t.check(set(subs) <= set(yaml_list(shipped, "dns", "allow-clients")),
            "dns.allow-clients hold the subscriber networks of the rules")
    for name in ("proxy-redirect.nft", "proxy-tproxy.nft"):
        d = defines(os.path.join(DEPLOY, "nftables", name))
        t.equal([d["SUBSCRIBERS_V4"], d["SUBSCRIBERS_V6"]], subs,
                f"{name} names the same subscriber networks")

    with tempfile.TemporaryDirectory(prefix="shelter-isp-") as root:
        text = lay_out(root, shipped)
        config = os.path.join(root, "shelter.yaml")
        with open(config, "w") as f:
            f.write(text)
        snap = os.path.join(root, "var", "lists.snap")
        r = harness.run([t.args.shelter_compile, "--config", config, "--output", snap], 60)
        t.check(r.rc == 0 and os.path.exists(snap),
                "shelter-compile makes the node's snapshot from the shipped config",
                r.out + r.err)
        r = harness.run([t.args.shelterd, "--check-config", "--config", config], 60)
        out = r.out + r.err
        t.check(r.rc == 0 and "configuration ok" in out,
                "shelterd --check-config takes deploy/isp/shelter.yaml", out)
        r = harness.run([t.args.shelter_compile, "--config", config], 60)
        m = re.search(r"^\s*doh-endpoints\s+\S+\s+(\d+) rules", r.out, re.M)
        lines = [ln for ln in open(os.path.join(DEPLOY, "lists", "doh-endpoints.txt"))
                 if ln.strip() and not ln.startswith("#")]
        t.check(r.rc == 0 and m is not None and int(m.group(1)) == len(lines),
                f"deploy/lists/doh-endpoints.txt: all {len(lines)} names taken", r.out + r.err)

if __name__ == "__main__":
    harness.Suite("deploy/isp/shelter.yaml").main(main)
