#!/usr/bin/env python3
"""deploy/fleet as it is shipped: compile.yaml compiles (its lists paths pointed at the stand-in
lists of deploy/lists), shelter-node.yaml loads with that snapshot (shelterd --check-config, its
/etc and /var/lib paths in a scratch folder), HAProxy, keepalived and BIRD accept their files,
and shellcheck finds nothing in readyz-route. test_netns_fleet.py runs the node file for real."""
import os
import shutil
import tempfile

from harness import Suite, run

FLEET = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "fleet"))
STAND_INS = os.path.abspath(os.path.join(FLEET, "..", "lists"))
LISTS = {"/srv/shelter/lists/iwf.csv": "csam-urls.csv",
         "/srv/shelter/lists/ut1/adult/domains": "ut1/adult/domains",
         "/srv/shelter/lists/threats.rpz": "threats.rpz",
         "/srv/shelter/lists/ads.txt": "ads.adblock"}


def shipped(t, name, replacements):
    """The file's text with each (shipped, here) replaced; a check that each is still there."""
    with open(os.path.join(FLEET, name)) as f:
        text = f.read()
    gone = [old for old, _ in replacements if old not in text]
    t.check(not gone, f"{name} still has the lines this test adapts", gone)
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def check_node_config(t, work):
    compile_yaml = os.path.join(work, "compile.yaml")
    with open(compile_yaml, "w") as f:
        f.write(shipped(t, "compile.yaml", [(k, os.path.join(STAND_INS, v))
                                             for k, v in LISTS.items()]))
    snap = os.path.join(work, "var", "lists.snap")
    os.makedirs(os.path.dirname(snap))
    r = run([t.args.shelter_compile, "--config", compile_yaml, "--output", snap], 60)
    t.check(r.rc == 0 and os.path.exists(snap), "compile.yaml compiles into a snapshot",
            r.out + r.err)
    etc = os.path.join(work, "etc")
    os.makedirs(etc)
    with open(os.path.join(etc, "admin.tokens"), "w") as f:
        f.write("operator " + "t" * 40 + "\n")
    with open(os.path.join(etc, "token-keys"), "w") as f:
        f.write("fleet " + "5a" * 32 + "\n")
    node_yaml = os.path.join(work, "shelter-node.yaml")
    with open(node_yaml, "w") as f:
        f.write(shipped(t, "shelter-node.yaml", [("/var/lib/shelter/", work + "/var/"),
                                                 ("/etc/shelter/", etc + "/")]))
    r = run([t.args.shelterd, "--check-config", "--config", node_yaml], 30)
    t.check(r.rc == 0 and "configuration ok" in r.out + r.err,
            "shelter-node.yaml loads with the compiled snapshot (--check-config)", r.out + r.err)


def check_tool(t, name, tool, cmd):
    if shutil.which(tool) is None:
        print(f"SKIP {name}: {tool} is not installed (scripts/install-deps.sh installs it)",
              flush=True)
        return
    r = run(cmd, 30)
    t.check(r.rc == 0, f"{name}: {' '.join(os.path.basename(c) for c in cmd)}", r.out + r.err)


def body(t):
    work = tempfile.mkdtemp(prefix="shelter-fleet-configs-")
    try:
        check_node_config(t, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    check_tool(t, "haproxy.cfg", "haproxy", ["haproxy", "-c", "-q", "-f",
                                             os.path.join(FLEET, "haproxy.cfg")])
    check_tool(t, "keepalived.conf", "keepalived",
               ["keepalived", "--config-test", "-f", os.path.join(FLEET, "keepalived.conf")])
    check_tool(t, "bird.conf", "bird", ["bird", "-p", "-c", os.path.join(FLEET, "bird.conf")])
    check_tool(t, "readyz-route", "shellcheck",
               ["shellcheck", os.path.join(FLEET, "readyz-route")])


if __name__ == "__main__":
    Suite("fleet configs").main(body)
