#!/usr/bin/env bash
# `make run`: starts shelterd in the foreground on loopback with a demo configuration (the
# embedded defaults, plus one demo household, a state directory and an admin API token, all in
# build/demo/) and says how to try it.
set -euo pipefail
shelterd=${1:-build/proxy/shelterd}
demo=${DEMO_DIR:-build/demo}
mkdir -p "$demo/state"
demo=$(cd "$demo" && pwd)
# A token for the admin API (shelterctl), made once, readable by its owner only.
if [[ ! -s $demo/admin.token ]]; then
  (umask 077 && printf 'demo %s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$demo/admin.token")
fi
# Managed networks (docs/proxy.md): with DEMO_MANAGED_TLS=1, a demo CA (made once) lets the
# TLS-SNI proxy show blocked HTTPS hosts the block page instead of a TLS alert.
managed_tls=""
if [[ ${DEMO_MANAGED_TLS:-0} == 1 ]]; then
  if [[ ! -s $demo/managed-ca.pem ]]; then
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
      -subj "/CN=Shelter demo managed-network CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$demo/managed-ca.key" -out "$demo/managed-ca.pem" 2>/dev/null)
  fi
  managed_tls="  managed-tls: {ca-certificate: $demo/managed-ca.pem, ca-key: $demo/managed-ca.key}"
fi
# The demo household is written afresh on each run (the portal and the admin API edit it).
cat >"$demo/households.yaml" <<'YAML'
# One demo household: a child's tablet at 127.0.0.2 (curl --interface 127.0.0.2, dig -b
# 127.0.0.2) and a teenager's laptop at 127.0.0.3; and a café's visitor at 127.0.0.4.
households:
  demo-family:
    profile: 15-17
    devices:
      tablet:
        profile: under-9
        addresses: [127.0.0.2/32]
      laptop:
        addresses: [127.0.0.3/32]
  # A café's guest Wi-Fi on the same demo network: its visitor at 127.0.0.4 gets the public
  # Wi-Fi profile and the venue's block page (docs/deploy-hotspot.md).
  demo-cafe:
    profile: public-wifi
    addresses: [127.0.0.4/32]
YAML
cat >"$demo/shelter.yaml" <<YAML
# Written by scripts/run-demo.sh (make run): the embedded defaults and a demo household.
dns:
  listen: ["127.0.0.1:5300", "[::1]:5300"]
  allow-clients: ["127.0.0.0/8", "::1/128"]
blocking:
  block-page-ipv4: ["127.0.0.1"]
  block-page-ipv6: ["::1"]
  contact: ["mailto:help@shelter.test"]
  appeal-url: http://127.0.0.1:8080/appeal
lists:
  - {id: demo-parental, category: adult, entries: [blocked.shelter.test], authority: Shelter demo list}
  - {id: demo-legal, category: csam, legal: true, entries: [legal-block.shelter.test], authority: Shelter demo authority list}
  - {id: demo-security, category: malware, entries: [malware.shelter.test], authority: Shelter demo threat list}
  # One page, not its host: example.com is steered to the proxy, which blocks only this page.
  - {id: demo-pages, format: urls, category: adult, entries: ["example.com/shelter-demo/blocked.html"], authority: Shelter demo page list}
proxy:
  address-ipv4: ["127.0.0.1"]        # steered names are answered with this (port 80 in production)
  address-ipv6: ["::1"]
  http-listen: ["127.0.0.1:8082"]    # the HTTP proxy: steered (Host) and explicit (curl -x)
  tls-listen: ["127.0.0.1:8443"]     # the TLS-SNI proxy
$managed_tls
list-updates:
  state-directory: $demo/state
subscribers:
  file: $demo/households.yaml
web:
  block-listen: ["127.0.0.1:8081"]
  public-listen: ["127.0.0.1:8080"]
  organisation: Shelter demo network
  contact: "mailto:help@shelter.test"
  venue:                             # the venue's page: http://127.0.0.1:8080/venue
    name: Shelter demo café
    terms: |
      This Wi-Fi is free for our customers. Please be considerate of others and do not download
      material you have no right to.

      The café may end a session that breaks these terms.
    contact: {email: wifi@cafe.shelter.test, phone: "+44 20 7946 0000", web: "https://cafe.shelter.test/"}
admin:
  listen: "127.0.0.1:9300"
  token-file: $demo/admin.token
portal:
  listen: ["127.0.0.1:8090"]        # plain HTTP on loopback only; HTTPS with certificate/key
YAML
cat <<TEXT
Shelter is starting on loopback (demo configuration: $demo/shelter.yaml; no Redis).

Try it from another terminal:
  dig -p 5300 @127.0.0.1 blocked.shelter.test        # blocked: block-page address + EDE 17 (Filtered)
  dig -p 5300 @127.0.0.1 legal-block.shelter.test    # legal list: EDE 16 (Censored)
  dig -p 5300 @127.0.0.1 www.example.org             # allowed: forwarded to your /etc/resolv.conf resolvers
  dig -p 5300 @127.0.0.1 blocked.shelter.test +ednsopt=15:0000   # a structured DNS error (I-JSON)
  curl -s http://127.0.0.1:9300/metrics | grep shelter_dns   # counters
  curl -s http://127.0.0.1:9300/readyz                       # ready? (JSON: lists, upstreams)

The block page (docs/block-page.md), as anyone and as the demo household's child (127.0.0.2):
  curl -H 'Host: blocked.shelter.test' -H 'Accept: text/html' http://127.0.0.1:8081/
  curl --interface 127.0.0.2 -H 'Host: blocked.shelter.test' -H 'Accept: text/html' http://127.0.0.1:8081/
  chromium --host-resolver-rules="MAP * 127.0.0.1:8081" http://blocked.shelter.test/   # in a browser

A café's public Wi-Fi (docs/deploy-hotspot.md): its visitor (127.0.0.4) gets the venue's block
page, which links the venue's acceptable-use page (its terms, what is filtered and why, contact):
  curl --interface 127.0.0.4 -H 'Host: blocked.shelter.test' -H 'Accept: text/html' http://127.0.0.1:8081/
  http://127.0.0.1:8080/venue

Report a mistake, check a site (anyone; docs/appeals.md):
  http://127.0.0.1:8080/check?site=blocked.shelter.test      # also /check.json?site=...
  http://127.0.0.1:8080/appeal?site=blocked.shelter.test     # the appeal form; then follow your case

The parents' portal (docs/portal.md): open http://127.0.0.1:8090/first-access, give the
household "demo-family" and the first-access code printed below once shelterd is ready, choose a
password; then set the tablet to "9-12" or pause it, and see it with
  dig -p 5300 @127.0.0.1 -b 127.0.0.2 blocked.shelter.test
  build/tools/shelterctl household access-code demo-family   # another code (as the operator)

Decide appeals and answer "Ask my parent" as the operator (docs/appeals.md):
  export SHELTER_ADMIN_TOKEN=\$(cut -d' ' -f2 $demo/admin.token)
  build/tools/shelterctl appeals list
  build/tools/shelterctl appeals decide ID overturn --reason "a school site"
  build/tools/shelterctl requests list
  build/tools/shelterctl requests answer ID 15m

Block the page, not the host (docs/proxy.md): example.com has one listed page, so DNS steers it
to the proxy, which checks each URL; the rest of example.com keeps working.
  dig -p 5300 @127.0.0.1 example.com                  # the proxy's address (steered), the real TTL
  curl -x http://127.0.0.1:8082 -H 'Accept: text/html' http://example.com/shelter-demo/blocked.html  # the block page
  curl -x http://127.0.0.1:8082 http://example.com/    # the real page, forwarded
  curl --connect-to example.com:80:127.0.0.1:8082 http://example.com/       # as a steered client
  curl --connect-to example.com:443:127.0.0.1:8443 https://example.com/     # TLS, spliced by SNI
  curl --connect-to blocked.shelter.test:443:127.0.0.1:8443 https://blocked.shelter.test/  # a TLS alert
$(if [[ -n $managed_tls ]]; then cat <<MANAGED
Managed network (DEMO_MANAGED_TLS=1): a device that trusts the demo CA gets the block page over HTTPS
  curl --cacert $demo/managed-ca.pem --connect-to blocked.shelter.test:443:127.0.0.1:8443 -H 'Accept: text/html' https://blocked.shelter.test/
MANAGED
else
  echo "  (DEMO_MANAGED_TLS=1 make run: the block page over HTTPS for devices that trust a demo CA)"
fi)

A broken list file (emptied, an HTML error page, half a download) is refused and its last good
version kept: docs/list-updates.md shows how to try it, monitor it and accept a real shrink.

Configuration: deploy/shelter.example.yaml documents every key. Stop with Ctrl-C.

TEXT
# shelterd in the foreground of this script: Ctrl-C stops it. Once it is ready, the demo
# household gets a first-access code for the portal.
"$shelterd" --config "$demo/shelter.yaml" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
for _ in $(seq 100); do
  curl -fsS http://127.0.0.1:9300/healthz >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
if code=$(curl -fsS -X POST -H "Authorization: Bearer $(cut -d' ' -f2 "$demo/admin.token")" \
    http://127.0.0.1:9300/v1/households/demo-family/access-code 2>/dev/null); then
  code=${code#*\"code\":\"}
  echo "Portal first-access code for demo-family: ${code%%\"*}  (http://127.0.0.1:8090/first-access)"
fi
# A signal ends the first wait early; the second lets shelterd finish stopping.
wait $pid || wait $pid 2>/dev/null || true
