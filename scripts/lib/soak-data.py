#!/usr/bin/env python3
"""Data for scripts/soak.sh, written into WORK:

  base.txt            the blocklist's fixed part: LIST_SIZE names under bench.test (nsd answers
                      every one of them when it is not blocked); soak.sh adds the part that
                      changes at each reload (rK-N.rot.bench.test)
  extra.txt           1,000 more names, in the list at odd K only, so its size changes too
  urls.csv            URL_COUNT entries of an IWF-style URL list (a legal list: its hosts steered)
  queries-C.txt       one query file per dnsperf client C: 40 % cached (1,000 names), 30 %
                      blocked (below a listed name), 5 % steered (URL-list hosts), 25 % misses
                      (names no other line asks for: each goes to nsd)
  probe-names.txt     listed names the probes ask for
  households.resp     the Redis commands (RESP) that load HOUSEHOLDS households and bindings

Usage: soak-data.py WORK LIST_SIZE URL_COUNT HOUSEHOLDS CLIENTS"""
import json
import random
import sys

work, list_size, url_count, households, clients = (
    sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
random.seed(16)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"


def label(lo, hi):
    return "".join(random.choice(alphabet) for _ in range(random.randrange(lo, hi)))


listed = [f"{label(5, 14)}{i}.bench.test" for i in range(list_size)]
with open(f"{work}/base.txt", "w") as f:
    f.write("# soak: the fixed part of the list\n")
    f.writelines(n + "\n" for n in listed)
with open(f"{work}/extra.txt", "w") as f:
    f.writelines(f"x{i}.extra.bench.test\n" for i in range(1000))

hosts = [f"h{i % max(1, url_count // 10)}.share.bench.test" for i in range(url_count)]
with open(f"{work}/urls.csv", "w") as f:
    f.write("url,category,id\n")
    f.writelines(f"http://{h}/{label(3, 8)}/{i}.html,csam,{i}\n" for i, h in enumerate(hosts))

for c in range(clients):
    with open(f"{work}/queries-{c}.txt", "w") as f:
        for i in range(400_000):
            r = random.random()
            if r < 0.40:
                f.write(f"c{random.randrange(1000)}.bench.test A\n")
            elif r < 0.70:
                f.write(f"www.{random.choice(listed)} A\n")
            elif r < 0.75:
                f.write(f"{random.choice(hosts)} A\n")
            else:
                f.write(f"m{c}-{i}-{random.randrange(1 << 30)}.bench.test A\n")

with open(f"{work}/probe-names.txt", "w") as f:
    f.writelines(random.choice(listed) + "\n" for _ in range(256))

# Households: most bound to subscriber addresses nobody queries from (the realistic shape of a
# node's table); one per dnsperf client on 127.0.0.(2+C); 250 probe households on
# 127.0.1.1-250 on the `adult` preset (it blocks no ordinary list), so a probe's answer says
# which profile decided it: its own (the listed name is forwarded) or the default
# (`all-lists`: blocked).
out = open(f"{work}/households.resp", "wb")


def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        b = a.encode()
        out.write(b"$%d\r\n%s\r\n" % (len(b), b))


presets = ["under-9", "9-12", "13-14", "15-17", "public-wifi"]
custom = {"profile": "evenings", "time-zone": "Europe/London",
          "profiles": {"evenings": {"base": "9-12", "allow": ["school.example"],
                                    "deny": ["games.example"],
                                    "schedules": [{"name": "bedtime", "days": "sun-thu",
                                                   "from": "21:00", "to": "07:00",
                                                   "allow": ["school.example"]}]}}}
cmd("SET", "shelter:schema", "1")
for i in range(households):
    doc = custom if i % 10 == 0 else {"profile": presets[i % len(presets)]}
    cmd("SET", f"shelter:v1:household:h{i}", json.dumps(doc))
    cmd("HSET", "shelter:v1:bindings", f"addr:10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32",
        f"h{i}")
for c in range(clients):
    cmd("HSET", "shelter:v1:bindings", f"addr:127.0.0.{2 + c}/32", f"h{c}")
for p in range(1, 251):
    cmd("SET", f"shelter:v1:household:hp{p}", json.dumps({"profile": "adult"}))
    cmd("HSET", "shelter:v1:bindings", f"addr:127.0.1.{p}/32", f"hp{p}")
out.close()
