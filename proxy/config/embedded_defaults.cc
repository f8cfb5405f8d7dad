// The configuration shelterd uses without --config. It is YAML, read by the same parser as a
// file, so the defaults are validated like any operator's file (and by the unit tests).

#include "proxy/config/loader.h"

namespace shelter::proxy::config {
namespace {

// Loopback only, so that a first `make run` exposes nothing to the network. The demo lists use
// the reserved .test TLD (RFC 6761): no real name is ever blocked by them.
constexpr std::string_view kEmbeddedDefaults = R"yaml(# shelterd embedded defaults
dns:
  listen: ["127.0.0.1:5300", "[::1]:5300"]
  allow-clients: ["127.0.0.0/8", "::1/128"]
upstream:
  servers: []                  # empty: the first three nameservers of resolv-conf
  resolv-conf: /etc/resolv.conf
blocking:
  mode: block-page
  block-page-ipv4: ["127.0.0.1"]
  block-page-ipv6: ["::1"]
  contact: ["mailto:help@shelter.test"]
lists:
  - id: demo-parental
    category: adult
    entries: [blocked.shelter.test]
    authority: Shelter demo list
  - id: demo-legal
    category: csam
    legal: true
    entries: [legal-block.shelter.test]
    authority: Shelter demo authority list
  - id: demo-security
    category: malware
    entries: [malware.shelter.test]
    authority: Shelter demo threat list
web:
  block-listen: ["127.0.0.1:8081"]   # in production: the block addresses, port 80
  public-listen: ["127.0.0.1:8080"]  # check a site, appeals, case status
  organisation: Shelter demo network
  contact: "mailto:help@shelter.test"
admin:
  listen: "127.0.0.1:9300"
logging:
  level: info
)yaml";

}  // namespace

std::string_view embedded_defaults_yaml() {
  return kEmbeddedDefaults;
}

LoadResult embedded_defaults() {
  return parse_config(kEmbeddedDefaults, "embedded defaults");
}

}  // namespace shelter::proxy::config
