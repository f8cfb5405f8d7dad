#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/loader.h"

namespace cfg = shelter::proxy::config;
using cfg::BlockMode;
using cfg::Config;
using cfg::LoadResult;
using namespace std::chrono_literals;

namespace {

LoadResult parse(std::string_view yaml) {
  return cfg::parse_config(yaml, "test.yaml");
}

std::string joined(const std::vector<std::string>& errors) {
  std::string all;
  for (const auto& e : errors)
    all += e + "\n";
  return all;
}

// The config of `yaml`, which must have no errors.
Config valid(std::string_view yaml) {
  auto r = parse(yaml);
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return *r.config;
}

std::string ep(const cfg::Endpoint& e) {
  return e.to_string();
}

std::vector<std::string> eps(const std::vector<cfg::Endpoint>& v) {
  std::vector<std::string> out;
  for (const auto& e : v)
    out.push_back(e.to_string());
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("an empty document keeps every default") {
  for (const auto yaml : {"", "# only a comment\n", "---\n", "dns:\nupstream:\nlists:\n"}) {
    DYNAMIC_SECTION(yaml) {
      const auto c = valid(yaml);
      CHECK(c.source == "test.yaml");
      CHECK(c.threads == 0);
      CHECK(eps(c.dns.listen) == Strings{"127.0.0.1:5300", "[::1]:5300"});
      REQUIRE(c.dns.allow_clients.size() == 2);
      CHECK(c.dns.allow_clients[0].to_string() == "127.0.0.0/8");
      CHECK(c.dns.allow_clients[1].to_string() == "::1/128");
      CHECK(c.dns.udp_payload_size == 1232);
      CHECK(c.dns.tcp_idle_timeout == 10s);
      CHECK(c.dns.max_tcp_connections == 1000);
      CHECK(c.upstream.servers.empty());
      CHECK(c.upstream.resolv_conf == "/etc/resolv.conf");
      CHECK(c.upstream.timeout == 1s);
      CHECK(c.upstream.attempts == 3);
      CHECK(c.upstream.queries_per_socket == 1);
      CHECK(c.cache.max_entries == 100000);
      CHECK(c.cache.max_ttl == 86400);
      CHECK(c.blocking.mode == BlockMode::block_page);
      REQUIRE(c.blocking.block_page_ipv4.size() == 1);
      CHECK(c.blocking.block_page_ipv4[0].to_string() == "127.0.0.1");
      REQUIRE(c.blocking.block_page_ipv6.size() == 1);
      CHECK(c.blocking.block_page_ipv6[0].to_string() == "::1");
      CHECK(c.lists.empty());
      REQUIRE(c.admin.listen);
      CHECK(ep(*c.admin.listen) == "127.0.0.1:9300");
      CHECK(c.logging.level == "info");
    }
  }
}

TEST_CASE("each key is read into the Config") {
  struct Case {
    const char* yaml;
    std::function<bool(const Config&)> check;
  };
  const Case cases[] = {
      {"threads: 4", [](const Config& c) { return c.threads == 4; }},
      {"threads: 256", [](const Config& c) { return c.threads == 256; }},
      {"dns: {listen: ['0.0.0.0:53', '::', '[::1]:0']}",
       [](const Config& c) {
         return eps(c.dns.listen) == Strings{"0.0.0.0:53", "[::]:53", "[::1]:0"};
       }},
      {"dns: {allow-clients: [10.0.0.0/8, 192.0.2.7, '2001:db8::/32', 0.0.0.0/0]}",
       [](const Config& c) {
         return c.dns.allow_clients.size() == 4 &&
                c.dns.allow_clients[1].to_string() == "192.0.2.7/32";
       }},
      {"dns: {udp-payload-size: 4096}",
       [](const Config& c) { return c.dns.udp_payload_size == 4096; }},
      {"dns: {udp-payload-size: 512}",
       [](const Config& c) { return c.dns.udp_payload_size == 512; }},
      {"dns: {chaos: {version: 'shelter 8', id: node-7}}",
       [](const Config& c) {
         return c.dns.chaos_version == "shelter 8" && c.dns.chaos_id == "node-7";
       }},
      {"dns: {chaos: {id: node-7}}",
       [](const Config& c) { return c.dns.chaos_version.empty() && c.dns.chaos_id == "node-7"; }},
      {"dns: {tcp-idle-timeout: 30s}",
       [](const Config& c) { return c.dns.tcp_idle_timeout == 30s; }},
      {"dns: {max-tcp-connections: 50}",
       [](const Config& c) { return c.dns.max_tcp_connections == 50; }},
      {"upstream: {servers: [9.9.9.9, '[2620:fe::fe]:5353', '2620:fe::9']}",
       [](const Config& c) {
         return eps(c.upstream.servers) ==
                Strings{"9.9.9.9:53", "[2620:fe::fe]:5353", "[2620:fe::9]:53"};
       }},
      {"upstream: {resolv-conf: /run/resolv.conf}",
       [](const Config& c) { return c.upstream.resolv_conf == "/run/resolv.conf"; }},
      {"upstream: {timeout: 250ms}", [](const Config& c) { return c.upstream.timeout == 250ms; }},
      {"upstream: {timeout: 10ms}", [](const Config& c) { return c.upstream.timeout == 10ms; }},
      {"upstream: {timeout: 1m}", [](const Config& c) { return c.upstream.timeout == 60s; }},
      {"upstream: {attempts: 10}", [](const Config& c) { return c.upstream.attempts == 10; }},
      {"upstream: {queries-per-socket: 256}",
       [](const Config& c) { return c.upstream.queries_per_socket == 256; }},
      {"cache: {max-entries: 0}", [](const Config& c) { return c.cache.max_entries == 0; }},
      {"cache: {max-memory-mb: 512}", [](const Config& c) { return c.cache.max_memory_mb == 512; }},
      {"cache: {min-ttl: 30, max-ttl: 30}",
       [](const Config& c) { return c.cache.min_ttl == 30 && c.cache.max_ttl == 30; }},
      {"cache: {max-negative-ttl: 900}",
       [](const Config& c) { return c.cache.max_negative_ttl == 900; }},
      {"cache: {servfail-ttl: 0}", [](const Config& c) { return c.cache.servfail_ttl == 0; }},
      {"blocking: {mode: nxdomain}",
       [](const Config& c) { return c.blocking.mode == BlockMode::nxdomain; }},
      {"blocking: {mode: nodata}",
       [](const Config& c) { return c.blocking.mode == BlockMode::nodata; }},
      {"blocking: {mode: refused}",
       [](const Config& c) { return c.blocking.mode == BlockMode::refused; }},
      {"blocking: {mode: refused, block-page-ipv4: [], block-page-ipv6: []}",
       [](const Config& c) { return c.blocking.block_page_ipv4.empty(); }},
      {"blocking: {block-page-ipv4: [192.0.2.10, 192.0.2.11], block-page-ipv6: []}",
       [](const Config& c) {
         return c.blocking.block_page_ipv4.size() == 2 && c.blocking.block_page_ipv6.empty();
       }},
      {"blocking: {block-page-ipv6: ['2001:db8::10']}",
       [](const Config& c) { return c.blocking.block_page_ipv6[0].to_string() == "2001:db8::10"; }},
      {"blocking: {ttl: 0}", [](const Config& c) { return c.blocking.ttl == 0; }},
      {"blocking: {appeal-url: 'https://appeal.example/'}",
       [](const Config& c) { return c.blocking.appeal_url == "https://appeal.example/"; }},
      {"admin: {listen: null}", [](const Config& c) { return !c.admin.listen; }},
      {"admin: {listen: ~}", [](const Config& c) { return !c.admin.listen; }},
      {"admin: {listen: 127.0.0.2}",
       [](const Config& c) { return ep(*c.admin.listen) == "127.0.0.2:9300"; }},
      {"admin: {listen: '[::1]:0'}",
       [](const Config& c) { return ep(*c.admin.listen) == "[::1]:0"; }},
      {"logging: {level: debug}", [](const Config& c) { return c.logging.level == "debug"; }},
      {"logging: {level: error}", [](const Config& c) { return c.logging.level == "error"; }},
      {"lists: []", [](const Config& c) { return c.lists.empty(); }},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.yaml) {
      CHECK(c.check(valid(c.yaml)));
    }
  }
}

TEST_CASE("lists are read with every field") {
  const auto c = valid(R"(
blocking:
  appeal-url: https://appeal.example/
lists:
  - id: iwf
    format: hosts
    path: /var/lib/shelter/iwf.hosts
    category: csam
    legal: true
    authority: Internet Watch Foundation
    appeal: mailto:appeals@iwf.example
  - id: ads.local
    entries: [ads.example, tracker.example]
    category: ads
)");
  REQUIRE(c.lists.size() == 2);
  const auto& iwf = c.lists[0];
  CHECK(iwf.id == "iwf");
  CHECK(iwf.format == "hosts");
  CHECK(iwf.path == "/var/lib/shelter/iwf.hosts");
  CHECK(iwf.entries.empty());
  CHECK(iwf.category == "csam");
  CHECK(iwf.legal);
  CHECK(iwf.authority == "Internet Watch Foundation");
  CHECK(iwf.appeal == "mailto:appeals@iwf.example");
  const auto& ads = c.lists[1];
  CHECK(ads.format == "domains");
  CHECK(ads.path.empty());
  CHECK(ads.entries == Strings{"ads.example", "tracker.example"});
  CHECK_FALSE(ads.legal);
  CHECK(ads.appeal == "https://appeal.example/");  // from blocking.appeal-url
}

TEST_CASE("lists: steer defaults by format, legal lists always steer") {
  const auto c = valid(R"(
lists:
  - {id: iwf, format: urls, path: iwf.csv, category: csam, legal: true, authority: IWF}
  - {id: pages, format: urls, path: pages.csv, category: adult}
  - {id: ut1, format: squidguard, path: ut1, categories: {adult: adult}}
  - {id: ads, format: adblock, path: ads.txt, category: ads}
  - {id: rpz, format: rpz, path: zone.rpz, category: malware}
  - {id: ads-steered, format: adblock, path: ads.txt, category: ads, steer: true}
  - {id: pages-not, format: urls, path: pages.csv, category: adult, steer: false}
  - {id: iwf-yes, format: urls, path: iwf.csv, category: csam, legal: true, authority: IWF,
     steer: true}
)");
  std::vector<bool> steer;
  for (const auto& l : c.lists)
    steer.push_back(l.steer);
  CHECK(steer == std::vector<bool>{true, true, true, false, false, true, false, true});
}

TEST_CASE("lists: https-pages per list, defaulting to proxy.https-pages") {
  const char* lists = R"(
lists:
  - {id: a, format: urls, path: a.csv, category: adult}
  - {id: b, format: urls, path: b.csv, category: adult, https-pages: block}
  - {id: c, format: urls, path: c.csv, category: adult, https-pages: pass}
)";
  auto blocks = [](const auto& c) {
    std::vector<bool> out;
    for (const auto& l : c.lists)
      out.push_back(l.https_block);
    return out;
  };
  CHECK(blocks(valid(lists)) == std::vector<bool>{false, true, false});
  const std::string strict = std::string("proxy:\n  https-pages: block\n") + lists;
  CHECK(blocks(valid(strict.c_str())) == std::vector<bool>{true, true, false});
}

TEST_CASE("proxy: listeners, clients and the SSRF guard's settings") {
  const auto c = valid(R"(
dns:
  allow-clients: [10.0.0.0/8]
proxy:
  http-listen: ["192.0.2.80:80", "[2001:db8::80]"]
  tls-listen: ["192.0.2.80"]
  ports: [80, 443, 8080]
  private-origins: [10.1.0.0/16]
  idle-timeout: 30s
)");
  REQUIRE(c.proxy.http_listen.size() == 2);
  CHECK(c.proxy.http_listen[1].port == 80);
  CHECK(c.proxy.tls_listen[0].port == 443);
  CHECK(c.proxy.ports == std::vector<std::uint16_t>{80, 443, 8080});
  CHECK(c.proxy.clients == c.dns.allow_clients);  // never an open proxy by default
  CHECK(c.proxy.idle_timeout == std::chrono::seconds(30));
  CHECK(c.proxy.https_pages == "pass");
  for (const auto& [yaml, message] :
       {std::pair{"proxy:\n  ports: [80, 80]\n", "repeats port 80"},
        std::pair{"proxy:\n  https-pages: maybe\n", "proxy.https-pages"}}) {
    const auto r = parse(yaml);
    INFO(joined(r.errors));
    CHECK_FALSE(r.config);
    CHECK(joined(r.errors).find(message) != std::string::npos);
  }
}

TEST_CASE("proxy: managed-tls is off by default, and needs both files") {
  CHECK_FALSE(valid("proxy:\n  https-pages: pass\n").proxy.managed_tls.enabled());
  const auto c = valid(R"(
proxy:
  managed-tls: {ca-certificate: /etc/shelter/ca.pem, ca-key: /etc/shelter/ca.key, certificate-lifetime: 6h}
)");
  CHECK(c.proxy.managed_tls.enabled());
  CHECK(c.proxy.managed_tls.ca_key == "/etc/shelter/ca.key");
  CHECK(c.proxy.managed_tls.certificate_lifetime == std::chrono::hours(6));
  for (const auto& [yaml, message] :
       {std::pair{"proxy:\n  managed-tls: {ca-certificate: /ca.pem}\n", "needs both"},
        std::pair{"proxy:\n  managed-tls: {ca-key: /ca.key}\n", "needs both"},
        std::pair{"proxy:\n  managed-tls: {ca-certificate: /a, ca-key: /b, "
                  "certificate-lifetime: 30d}\n",
                  "proxy.managed-tls.certificate-lifetime"},
        std::pair{"proxy:\n  managed-tls: {ca-cert: /a}\n", "proxy.managed-tls.ca-cert"}}) {
    const auto r = parse(yaml);
    INFO(joined(r.errors));
    CHECK_FALSE(r.config);
    CHECK(joined(r.errors).find(message) != std::string::npos);
  }
}

TEST_CASE("proxy: cover names are normalised") {
  const auto c = valid(R"(
proxy:
  address-ipv4: [192.0.2.44]
  cover-names: [Example.COM., www.wikipedia.org]
)");
  CHECK(c.proxy.cover_names == Strings{"example.com", "www.wikipedia.org"});
}

TEST_CASE("each kind of error names the key path and the line") {
  struct Case {
    const char* yaml;
    const char* message;  // the whole error, or the part before the line when `exact` is false
    bool exact = true;
  };
  const std::string long_chaos = "dns:\n  chaos:\n    version: " + std::string(256, 'v') + "\n";
  const Case cases[] = {
      {"dns:\n  lisen: [127.0.0.1]\n", "dns.lisen: unknown key (line 2); did you mean 'listen'?"},
      {"dns:\n  udp_payload_size: 1232\n",
       "dns.udp_payload_size: unknown key (line 2); did you mean 'udp-payload-size'?"},
      {"treads: 2\n", "treads: unknown key (line 1); did you mean 'threads'?"},
      {"colour: blue\n", "colour: unknown key (line 1)"},
      {"threads: 1\nthreads: 2\n", "threads: duplicate key (line 2)"},
      {"threads: 300\n", "threads: 300 is out of range 0..256 (line 1)"},
      {"threads: -1\n", "threads: -1 is out of range 0..256 (line 1)"},
      {"threads: 99999999999999999999999\n",
       "threads: 99999999999999999999999 is out of range 0..256 (line 1)"},
      {"threads: four\n", "threads: 'four' is not a whole number (line 1)"},
      {"threads: 0x10\n", "threads: '0x10' is not a whole number (line 1)"},
      {"threads: [1]\n", "threads: expected a whole number, got a list (line 1)"},
      {"\nthreads:\n", "threads: expected a whole number, got nothing (line 2)"},
      {"dns: 5\n", "dns: expected a mapping of keys, got the value '5' (line 1)"},
      {"- a\n", "(top level): expected a mapping of keys, got a list (line 1)"},
      {"dns:\n  listen:\n    - 127.0.0.1:53\n    - abc\n",
       "dns.listen[1]: 'abc' is not an address:port (line 4)", false},
      {"dns:\n  listen: [127.0.0.1:53, 127.0.0.1:53]\n",
       "dns.listen[1]: 127.0.0.1:53 is listed twice (line 2)"},
      {"dns:\n  listen: []\n", "dns.listen: is empty; give at least one endpoint (line 2)"},
      {"dns:\n  listen: 127.0.0.1:53\n",
       "dns.listen: expected a list, got the value '127.0.0.1:53' (line 2)"},
      {"dns:\n  allow-clients: [10.0.0.1/8]\n",
       "dns.allow-clients[0]: '10.0.0.1/8' has host bits set (line 2); did you mean '10.0.0.0/8'?"},
      {"dns:\n  allow-clients: [10.0.0.0/33]\n",
       "dns.allow-clients[0]: '10.0.0.0/33' is not an address or address/prefix (line 2)"},
      {"dns:\n  allow-clients: []\n",
       "dns.allow-clients: is empty, so every client would be refused (line 2)"},
      {"dns:\n  udp-payload-size: 511\n",
       "dns.udp-payload-size: 511 is out of range 512..4096 (line 2)"},
      {"dns:\n  udp-payload-size: 4097\n",
       "dns.udp-payload-size: 4097 is out of range 512..4096 (line 2)"},
      {"dns:\n  chaos:\n    versoin: x\n",
       "dns.chaos.versoin: unknown key (line 3); did you mean 'version'?"},
      {"dns:\n  chaos:\n    id: ''\n", "dns.chaos.id: must not be empty (line 3)"},
      {long_chaos.c_str(),
       "dns.chaos.version: must be at most 255 bytes (one TXT string) (line 3)"},
      {"dns:\n  tcp-idle-timeout: 1000\n",
       "dns.tcp-idle-timeout: '1000' has no unit (line 2); write 1000ms or 1000s"},
      {"dns:\n  tcp-idle-timeout: 61s\n",
       "dns.tcp-idle-timeout: 61s is out of range 10ms..60s (line 2)"},
      {"dns:\n  max-tcp-connections: 0\n",
       "dns.max-tcp-connections: 0 is out of range 1..1000000 (line 2)"},
      {"upstream:\n  timeout: 9ms\n", "upstream.timeout: 9ms is out of range 10ms..60s (line 2)"},
      {"upstream:\n  timeout: 9999999999h\n",
       "upstream.timeout: 9999999999h is out of range 10ms..60s (line 2)"},
      {"upstream:\n  timeout: 2x\n", "upstream.timeout: '2x' is not a duration (line 2)", false},
      {"upstream:\n  timeout: 1.5s\n", "upstream.timeout: '1.5s' is not a duration (line 2)",
       false},
      {"upstream:\n  timeout: s\n", "upstream.timeout: 's' is not a duration (line 2)", false},
      {"upstream:\n  attempts: 0\n", "upstream.attempts: 0 is out of range 1..10 (line 2)"},
      {"upstream:\n  attempts: 11\n", "upstream.attempts: 11 is out of range 1..10 (line 2)"},
      {"upstream:\n  queries-per-socket: 0\n",
       "upstream.queries-per-socket: 0 is out of range 1..10000 (line 2)"},
      {"upstream:\n  servers: ['192.0.2.1:0']\n",
       "upstream.servers[0]: '192.0.2.1:0': port 0 is not allowed here (line 2)"},
      {"upstream:\n  servers: [dns.google]\n",
       "upstream.servers[0]: 'dns.google' is not an address:port (line 2)", false},
      {"upstream:\n  servers: []\n  resolv-conf: ''\n",
       "upstream.resolv-conf: must not be empty (line 3)"},
      {"cache:\n  min-ttl: 100\n  max-ttl: 50\n",
       "cache.min-ttl: is greater than cache.max-ttl (50) (line 2)"},
      {"cache:\n  max-ttl: 604801\n", "cache.max-ttl: 604801 is out of range 0..604800 (line 2)"},
      {"cache:\n  servfail-ttl: 301\n", "cache.servfail-ttl: 301 is out of range 0..300 (line 2)"},
      {"cache:\n  max-memory-mb: 0\n",
       "cache.max-memory-mb: 0 is out of range 1..1048576 (line 2)"},
      {"blocking:\n  mode: nxdomian\n",
       "blocking.mode: 'nxdomian' is not one of block-page, nxdomain, nodata, refused (line 2); "
       "did you mean 'nxdomain'?"},
      {"blocking:\n  block-page-ipv4: ['::1']\n",
       "blocking.block-page-ipv4[0]: '::1' is not an IPv4 address (line 2)"},
      {"blocking:\n  block-page-ipv6: [127.0.0.1]\n",
       "blocking.block-page-ipv6[0]: '127.0.0.1' is not an IPv6 address (line 2)"},
      {"blocking:\n  block-page-ipv4: []\n  block-page-ipv6: []\n",
       "blocking.mode: block-page needs block-page-ipv4 or block-page-ipv6"},
      {"blocking:\n  appeal-url: ftp://appeal.example/\n",
       "blocking.appeal-url: 'ftp://appeal.example/' is not an http:// or https:// URL (line 2)"},
      {"blocking:\n  ttl: 86401\n", "blocking.ttl: 86401 is out of range 0..86400 (line 2)"},
      {"admin:\n  listen: 127.0.0.1:5300\n",
       "admin.listen: 127.0.0.1:5300 is also a dns.listen endpoint (TCP) (line 2)"},
      {"admin:\n  listen: nowhere\n", "admin.listen: 'nowhere' is not an address:port (line 2)",
       false},
      {"logging:\n  level: verbose\n",
       "logging.level: 'verbose' is not one of error, warn, info, debug (line 2)"},
      {"logging:\n  query-log: true\n",
       "logging.query-log: expected a mapping of keys, got the value 'true' (line 2)"},
      {"logging:\n  query-log:\n    enabled: true\n    directory: /var/log/q\n",
       "logging.query-log.retention: is missing and enabled is true (line 3); say how long files "
       "are kept, at most 90d (e.g. retention: 7d)"},
      {"logging:\n  query-log:\n    enabled: true\n    retention: 7d\n",
       "logging.query-log.directory: is missing and enabled is true (line 3); name the directory "
       "the files go to"},
      {"logging:\n  query-log:\n    retention: 91d\n",
       "logging.query-log.retention: 91d is out of range 60s..90d (line 3)"},
      {"logging:\n  query-log:\n    key-rotation: 1500ms\n",
       "logging.query-log.key-rotation: 1500ms is out of range 60s..7d (line 3)"},
      {"lists:\n  - id: a\n    category: adult\n",
       "lists[0]: needs either path or entries (line 2)"},
      {"lists:\n  - id: a\n    category: adult\n    path: a.txt\n    entries: [a.test]\n",
       "lists[0]: has both path and entries; give one (line 2)"},
      {"lists:\n  - category: adult\n    entries: [a.test]\n",
       "lists[0].id: missing; every list needs an id (line 2)"},
      {"lists:\n  - id: 'a b'\n    category: adult\n    entries: [a.test]\n",
       "lists[0].id: 'a b' may hold only letters, digits, '.', '_', '-' (line 2)"},
      {"lists:\n  - id: a\n    entries: [a.test]\n",
       "lists[0].category: missing; every list needs one (line 2)"},
      {"lists:\n  - id: a\n    category: csam\n    legal: true\n    entries: [a.test]\n",
       "lists[0].authority: missing; a legal list must name its authority (line 2)"},
      {"lists:\n  - id: a\n    category: csam\n    legal: true\n    authority: X\n    format: "
       "urls\n"
       "    path: a.csv\n    steer: false\n",
       "lists[0].steer: a legal list cannot turn steering off: its URL entries must reach the "
       "proxy (without a proxy they block the whole host) (line 8)"},
      {"proxy:\n  cover-names: [ok.example, 'bad..name']\n",
       "proxy.cover-names[1]: 'bad..name' is not a domain name (line 2)"},
      {"lists:\n  - id: a\n    category: adult\n    format: csv\n    path: a.csv\n",
       "lists[0].format: 'csv' is not one of domains, hosts, adblock, rpz, urls, squidguard "
       "(line 4)"},
      {"lists:\n  - id: a\n    category: adult\n    action: deny\n    path: a.txt\n",
       "lists[0].action: 'deny' is not one of block, allow (line 4)"},
      {"lists:\n  - id: ut1\n    format: squidguard\n    path: /srv/ut1\n",
       "lists[0].categories: missing; a squidguard tree needs a folder -> category mapping (line "
       "2)"},
      {"lists:\n  - id: a\n    category: adult\n    path: a.txt\n    categories: {x: y}\n",
       "lists[0].categories: only squidguard lists map folders to categories (line 2)"},
      {"lists:\n  - id: ut1\n    format: squidguard\n    path: /srv/ut1\n    categories: {adult: "
       "''}\n",
       "lists[0].categories.adult: category is empty (line 5)"},
      {"proxy:\n  address-ipv4: [::1]\n",
       "proxy.address-ipv4[0]: '::1' is not an IPv4 address (line 2)"},
      {"snapshot:\n  check-interval: 5\n",
       "snapshot.check-interval: '5' has no unit (line 2); write 5ms or 5s"},
      {"lists:\n  - id: a\n    category: adult\n    entries: ['']\n",
       "lists[0].entries[0]: entry is empty (line 4)"},
      {"lists:\n  - id: a\n    category: adult\n    path: ''\n",
       "lists[0].path: must not be empty (line 4)"},
      {"lists:\n  - id: a\n    category: x\n    entries: [a.test]\n"
       "  - id: a\n    category: x\n    entries: [b.test]\n",
       "lists[1].id: duplicate id, first used at lists[0] (line 5)"},
      {"lists:\n  - id: a\n    categroy: x\n    entries: [a.test]\n    category: x\n",
       "lists[0].categroy: unknown key (line 3); did you mean 'category'?"},
      {"lists:\n  - just-a-name\n",
       "lists[0]: expected a mapping with id, category and path or entries, got the value "
       "'just-a-name' (line 2)"},
      {"lists: {id: a}\n", "lists: expected a list, got a mapping (line 1)"},
      {"threads: 1\n---\nthreads: 2\n", "(file): holds more than one YAML document (line 2)"},
      {"dns: [\n", "yaml syntax error: ", false},
      {"dns:\n  listen: [a\n threads: 1\n", "yaml syntax error: ", false},
      {"dns:\n  listen:\n    a: x\n", "dns.listen: expected a list, got a mapping (line 3)"},
      // Untrusted text is escaped and cut short in messages.
      {"\"a\\nb\": 1\n", "a\\x0ab: unknown key (line 1)"},
      {"threads: \"\\e[31m\"\n", "threads: '\\x1b[31m' is not a whole number (line 1)"},
      {"threads: 1234567890123456789012345678901234567890123456789012345678901234567890\n",
       "threads: 1234567890123456789012345678901234567890123456789012345678901234... is out of "
       "range 0..256 (line 1)"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.yaml) {
      const auto r = parse(c.yaml);
      INFO(joined(r.errors));
      CHECK_FALSE(r.config);
      REQUIRE(r.errors.size() == 1);
      if (c.exact) {
        CHECK(r.errors[0] == c.message);
      } else {
        CHECK(r.errors[0].starts_with(c.message));
      }
    }
  }
}

TEST_CASE("a YAML syntax error gives its line") {
  const auto r = parse("dns:\n  listen: [127.0.0.1\nthreads: 1\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("(line ") != std::string::npos);
  CHECK_FALSE(r.config);
}

TEST_CASE("malformed input found by fuzzing") {
  using namespace std::string_view_literals;
  SECTION("yaml-cpp reports endless empty documents for this; we stop at the second") {
    const auto r = parse(",\xe9\x03:"sv);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "(file): holds more than one YAML document (line 1)");
  }
  SECTION("a yaml-cpp message that quotes a newline stays on one line") {
    const auto r = parse("20@\0\nn32"sv);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "yaml syntax error: unknown escape character: \\x0a (line 2, column 1)");
  }
}

TEST_CASE("every error is collected, not just the first") {
  const auto r = parse(R"(threads: 999
dns:
  lisen: []
  allow-clients: [10.0.0.1/8, nonsense]
upstream:
  timeout: 5
lists:
  - id: a
    category: adult
  - id: a
    category: adult
    entries: [a.test]
logging:
  level: loud
)");
  INFO(joined(r.errors));
  CHECK_FALSE(r.config);
  const std::vector<std::string> expected_prefixes = {
      "threads: 999 is out of range 0..256 (line 1)",
      "dns.lisen: unknown key (line 3)",
      "dns.allow-clients[0]: '10.0.0.1/8' has host bits set (line 4)",
      "dns.allow-clients[1]: 'nonsense' is not an address or address/prefix (line 4)",
      "upstream.timeout: '5' has no unit (line 6)",
      "lists[0]: needs either path or entries (line 8)",
      "lists[1].id: duplicate id, first used at lists[0] (line 10)",
      "logging.level: 'loud' is not one of error, warn, info, debug (line 14)",
  };
  REQUIRE(r.errors.size() == expected_prefixes.size());
  for (std::size_t i = 0; i < expected_prefixes.size(); ++i) {
    CHECK(r.errors[i].starts_with(expected_prefixes[i]));
  }
}

TEST_CASE("reading stops after 100 errors, or when aliases repeat too much") {
  SECTION("errors") {
    std::string yaml;
    for (int i = 0; i < 150; ++i)
      yaml += "unknown" + std::to_string(i) + ": 1\n";
    const auto r = parse(yaml);
    CHECK_FALSE(r.config);
    REQUIRE(r.errors.size() == 101);
    CHECK(r.errors[99] == "unknown99: unknown key (line 100)");
    CHECK(r.errors[100] == "(file): more than 100 errors; stopped reading");
  }
  SECTION("aliases") {
    // 110 lists that each repeat the same 1,000 entries: 110,000 values from 12 kB.
    std::string yaml = "lists:\n  - {id: l0, category: x, entries: &e [";
    for (int i = 0; i < 1000; ++i)
      yaml += "a.test, ";
    yaml += "]}\n";
    for (int i = 1; i < 110; ++i) {
      yaml += "  - {id: l" + std::to_string(i) + ", category: x, entries: *e}\n";
    }
    const auto r = parse(yaml);
    CHECK_FALSE(r.config);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].find("more than 100000 values; stopped reading") != std::string::npos);
  }
}

TEST_CASE("the embedded defaults parse and hold the demo lists") {
  const auto r = cfg::embedded_defaults();
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  const auto& c = *r.config;
  CHECK(c.source == "embedded defaults");
  CHECK(eps(c.dns.listen) == Strings{"127.0.0.1:5300", "[::1]:5300"});
  CHECK(c.upstream.servers.empty());
  CHECK(c.upstream.resolv_conf == "/etc/resolv.conf");
  REQUIRE(c.admin.listen);
  CHECK(ep(*c.admin.listen) == "127.0.0.1:9300");
  REQUIRE(c.lists.size() == 3);
  CHECK(c.lists[0].id == "demo-parental");
  CHECK(c.lists[0].category == "adult");
  CHECK_FALSE(c.lists[0].legal);
  CHECK(c.lists[0].entries == Strings{"blocked.shelter.test"});
  CHECK(c.lists[0].authority == "Shelter demo list");
  CHECK(c.lists[1].id == "demo-legal");
  CHECK(c.lists[1].category == "csam");
  CHECK(c.lists[1].legal);
  CHECK(c.lists[1].entries == Strings{"legal-block.shelter.test"});
  CHECK(c.lists[1].authority == "Shelter demo authority list");
  CHECK(c.lists[1].appeal == c.blocking.appeal_url);
  CHECK(c.lists[2].id == "demo-security");
  CHECK(c.lists[2].category == "malware");
  // The web front's block page, on a port that needs no privileges.
  CHECK(eps(c.web.block_listen) == Strings{"127.0.0.1:8081"});
  CHECK(c.web.organisation == "Shelter demo network");
}

TEST_CASE("the web section: listeners, limits, links and errors") {
  const auto r = cfg::parse_config(R"(web:
  block-listen: ["192.0.2.80", "[2001:db8::80]:8080"]
  threads: 2
  header-timeout: 5s
  idle-timeout: 30s
  max-connections-per-client: 8
  organisation: Example ISP
  contact: mailto:abuse@example.net
  helpline: {name: Childline, url: "https://www.childline.org.uk/"}
)",
                                   "test.yaml");
  INFO(joined(r.errors));
  REQUIRE(r.config);
  const auto& w = r.config->web;
  CHECK(eps(w.block_listen) == Strings{"192.0.2.80:80", "[2001:db8::80]:8080"});
  CHECK(w.threads == 2);
  CHECK(w.header_timeout == std::chrono::seconds(5));
  CHECK(w.idle_timeout == std::chrono::seconds(30));
  CHECK(w.max_connections_per_client == 8);
  CHECK(w.helpline.name == "Childline");
  CHECK(w.hotline.name == "INHOPE");  // the default stays
  // Without a web section, a file configures no web listener.
  CHECK(cfg::parse_config("threads: 1\n", "t.yaml").config->web.block_listen.empty());
  const auto bad = cfg::parse_config(R"y(web:
  contact: "javascript:alert(1)"
  idle-timeout: 2m
  helpline: {name: X, url: "ftp://x"}
)y",
                                     "bad.yaml");
  CHECK_FALSE(bad.config);
  const std::string all = joined(bad.errors);
  CHECK(all.find("web.contact") != std::string::npos);
  CHECK(all.find("web.idle-timeout") != std::string::npos);
  CHECK(all.find("web.helpline.url") != std::string::npos);
}

TEST_CASE("deploy/shelter.example.yaml parses and documents every key") {
  const std::string path = SHELTER_SOURCE_DIR "/deploy/shelter.example.yaml";
  const auto r = cfg::load_config_file(path);
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  const auto& c = *r.config;
  CHECK(c.source == path);
  CHECK(c.dns.udp_payload_size == 1232);
  CHECK(c.upstream.timeout == 1s);
  CHECK(c.blocking.mode == BlockMode::block_page);
  REQUIRE(c.admin.listen);
  CHECK(ep(*c.admin.listen) == "127.0.0.1:9300");
  REQUIRE(c.lists.size() >= 2);
  CHECK(c.lists[0].legal);
  // Relative list paths are resolved against the directory of the file.
  for (const auto& l : c.lists) {
    if (!l.path.empty()) CHECK(std::filesystem::path(l.path).is_absolute());
  }

  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const char* keys[] = {
      "threads",
      "dns",
      "listen",
      "allow-clients",
      "chaos",
      "udp-payload-size",
      "tcp-idle-timeout",
      "max-tcp-connections",
      "upstream",
      "servers",
      "resolv-conf",
      "timeout",
      "attempts",
      "queries-per-socket",
      "cache",
      "max-entries",
      "max-memory-mb",
      "min-ttl",
      "max-ttl",
      "max-negative-ttl",
      "servfail-ttl",
      "blocking",
      "mode",
      "block-page-ipv4",
      "block-page-ipv6",
      "ttl",
      "appeal-url",
      "lists",
      "id",
      "format",
      "path",
      "entries",
      "category",
      "legal",
      "authority",
      "appeal",
      "profiles",
      "base",
      "block",
      "unblock",
      "allow",
      "deny",
      "safe-search",
      "block-bypass",
      "schedules",
      "subscribers",
      "default-profile",
      "time-zone",
      "never-block",
      "trust",
      "mac-from",
      "cpe-id-from",
      "client-subnet-from",
      "store",
      "file",
      "redis",
      "key-prefix",
      "connect-timeout",
      "command-timeout",
      "lookup-timeout",
      "cache-households",
      "cache-memory-mb",
      "admin",
      "logging",
      "level",
      "format",
      "run-as",
      "user",
      "group",
  };
  for (const auto* key : keys) {
    DYNAMIC_SECTION(key) {
      CHECK(text.find(std::string(key) + ":") != std::string::npos);
    }
  }
}

TEST_CASE("load_config_file reports an unreadable file and resolves relative list paths") {
  SECTION("missing file") {
    const auto r = cfg::load_config_file("/nonexistent/shelter.yaml");
    CHECK_FALSE(r.config);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "cannot read /nonexistent/shelter.yaml: No such file or directory");
  }
  SECTION("a directory") {
    const auto dir = std::filesystem::temp_directory_path().string();
    const auto r = cfg::load_config_file(dir);
    CHECK_FALSE(r.config);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "cannot read " + dir + ": Is a directory");
  }
  SECTION("relative paths") {
    const auto dir = std::filesystem::temp_directory_path() / "shelter_config_test";
    std::filesystem::create_directories(dir);
    const auto file = dir / "shelter.yaml";
    std::ofstream(file) << "upstream: {resolv-conf: r.conf}\nlists:\n"
                           "  - {id: a, category: x, path: lists/a.txt}\n"
                           "  - {id: b, category: x, path: /abs/b.txt}\n"
                           "  - {id: c, category: x, entries: [c.test]}\n";
    const auto r = cfg::load_config_file(file.string());
    std::filesystem::remove_all(dir);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    CHECK(r.config->lists[0].path == (dir / "lists/a.txt").string());
    CHECK(r.config->lists[1].path == "/abs/b.txt");
    CHECK(r.config->lists[2].path.empty());
    CHECK(r.config->upstream.resolv_conf == (dir / "r.conf").string());
    CHECK(r.config->source == file.string());
  }
  SECTION("parse_config keeps paths as written") {
    const auto c = valid("lists: [{id: a, category: x, path: lists/a.txt}]");
    CHECK(c.lists[0].path == "lists/a.txt");
  }
}

TEST_CASE("parse_resolv_conf takes nameserver lines only") {
  struct Case {
    const char* text;
    Strings servers;
  };
  const Case cases[] = {
      {"", {}},
      {"nameserver 192.0.2.53\n", {"192.0.2.53:53"}},
      {"nameserver 192.0.2.53", {"192.0.2.53:53"}},  // no final newline
      {"# generated\n; also a comment\nsearch example.com\noptions edns0 trust-ad\n"
       "nameserver 192.0.2.1\nnameserver\t2001:db8::53\r\n",
       {"192.0.2.1:53", "[2001:db8::53]:53"}},
      {"nameserver fe80::1%eth0\n", {"[fe80::1]:53"}},
      {"nameserver 192.0.2.1 # office\nnameserver 192.0.2.2;x\n", {"192.0.2.1:53", "192.0.2.2:53"}},
      {"  nameserver   192.0.2.1   \n", {"192.0.2.1:53"}},
      {"nameserver 192.0.2.1\nnameserver 192.0.2.1\n", {"192.0.2.1:53"}},  // duplicates dropped
      {"#nameserver 192.0.2.1\n;nameserver 192.0.2.2\n", {}},
      {"nameserver\nnameserver dns.example\nnameserver 192.0.2.300\nnameserver 192.0.2.1%x\n"
       "nameservers 192.0.2.9\nNAMESERVER 192.0.2.8\nnameserver192.0.2.7\n\x01\xff garbage\n",
       {}},
      {"nameserver 127.0.0.53\noptions edns0\nsearch .\n", {"127.0.0.53:53"}},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.text) {
      const auto resolv = cfg::parse_resolv_conf(c.text);
      CHECK(eps(resolv.servers) == c.servers);
      CHECK(resolv.ignored.empty());
    }
  }
}

TEST_CASE("parse_resolv_conf uses the first three nameservers, as glibc does") {
  struct Case {
    const char* text;
    Strings servers;
    Strings ignored;
  };
  const Case cases[] = {
      {"nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n",
       {"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"},
       {}},
      {"# four\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n"
       "nameserver 192.0.2.4\n",
       {"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"},
       {"192.0.2.4"}},
      {"search example.com\nnameserver 192.0.2.1\n; nameserver 198.51.100.1\n"
       "nameserver 2001:db8::1\n#nameserver 198.51.100.2\nnameserver fe80::1%eth0 # link\n"
       "options edns0\nnameserver 192.0.2.4\nnameserver fe80::2%2\n",
       {"192.0.2.1:53", "[2001:db8::1]:53", "[fe80::1]:53"},
       {"192.0.2.4", "fe80::2%2"}},
      // Lines that do not parse take no place; a repeated address takes one, as in glibc.
      {"nameserver dns.example\nnameserver 192.0.2.300\nnameserver 192.0.2.1\n"
       "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n",
       {"192.0.2.1:53", "192.0.2.2:53"},
       {"192.0.2.3"}},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.text) {
      const auto resolv = cfg::parse_resolv_conf(c.text);
      CHECK(eps(resolv.servers) == c.servers);
      CHECK(resolv.ignored == c.ignored);
    }
  }
}

TEST_CASE("parse_resolv_conf: a generated resolv.conf with five nameservers") {
  constexpr std::string_view kFile =
      "# Generated by NetworkManager\n"
      "search home.example\n"
      "nameserver 192.0.2.53\n"
      "nameserver 2001:db8::53\n"
      "nameserver fe80::53%wlan0\n"
      "# NOTE: the libc resolver may not support more than 3 nameservers.\n"
      "# The nameservers listed below may not be recognized.\n"
      "nameserver 198.51.100.53\n"
      "nameserver 203.0.113.53\n"
      "options edns0 trust-ad\n";
  const auto resolv = cfg::parse_resolv_conf(kFile);
  CHECK(eps(resolv.servers) == Strings{"192.0.2.53:53", "[2001:db8::53]:53", "[fe80::53]:53"});
  CHECK(resolv.ignored == Strings{"198.51.100.53", "203.0.113.53"});
}
