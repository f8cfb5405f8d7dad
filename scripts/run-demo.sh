#!/usr/bin/env bash
# `make run`: starts shelterd in the foreground with the embedded defaults and says how to try it.
set -euo pipefail
shelterd=${1:-build/proxy/shelterd}
cat <<'TEXT'
Shelter is starting on loopback with its embedded defaults (no configuration file, no Redis).

Try it from another terminal:
  dig -p 5300 @127.0.0.1 blocked.shelter.test        # blocked: block-page address + EDE 17 (Filtered)
  dig -p 5300 @127.0.0.1 legal-block.shelter.test    # legal list: EDE 16 (Censored)
  dig -p 5300 @127.0.0.1 www.example.org             # allowed: forwarded to your /etc/resolv.conf resolvers
  dig -p 5300 @127.0.0.1 blocked.shelter.test +ednsopt=15:0000   # a structured DNS error (I-JSON)
  curl -s http://127.0.0.1:9300/metrics | grep shelter_dns   # counters
  curl -s http://127.0.0.1:9300/readyz                       # ready? (JSON: lists, upstreams)
  curl -H 'Host: blocked.shelter.test' -H 'Accept: text/html' http://127.0.0.1:8081/   # the block page
  chromium --host-resolver-rules="MAP * 127.0.0.1:8081" http://blocked.shelter.test/   # in a browser
  (also legal-block.shelter.test and malware.shelter.test; docs/block-page.md)

A broken list file (emptied, an HTML error page, half a download) is refused and its last good
version kept: docs/list-updates.md shows how to try it, monitor it and accept a real shrink.

Configuration: deploy/shelter.example.yaml documents every key; run with
  build/proxy/shelterd --config deploy/shelter.example.yaml
Stop with Ctrl-C.

TEXT
exec "$shelterd"
