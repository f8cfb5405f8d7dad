// Feeds arbitrary bytes to the configuration parser (as YAML), the households file and Redis
// household document parsers, to the resolv.conf parser, and to
// the address, endpoint and prefix parsers. Besides crashes, it checks the invariants the rest of
// shelterd relies on (a Config comes only without errors, and it is consistent), and aborts when
// one fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/config/loader.h"

namespace cfg = shelter::proxy::config;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_config(const cfg::Config& c) {
  require(!c.dns.listen.empty() && !c.dns.allow_clients.empty());
  require(c.dns.udp_payload_size >= 512 && c.dns.udp_payload_size <= 4096);
  require(c.threads <= 256 && c.upstream.attempts >= 1 && c.upstream.attempts <= 10);
  require(c.cache.min_ttl <= c.cache.max_ttl);
  for (const auto& e : c.upstream.servers)
    require(e.port != 0);
  for (const auto& a : c.blocking.block_page_ipv4)
    require(!a.v6);
  for (const auto& a : c.blocking.block_page_ipv6)
    require(a.v6);
  for (const auto& l : c.lists) {
    require(!l.id.empty() && !l.appeal.empty());
    // A squidguard tree takes its categories from its folders.
    require(!l.category.empty() || (l.format == "squidguard" && !l.categories.empty()));
    require(l.path.empty() || l.entries.empty());  // never both
  }
}

// A value that parses prints as text that parses back to the same value.
void check_addresses(std::string_view text) {
  if (const auto e = cfg::Endpoint::parse(text, 53)) {
    require(cfg::Endpoint::parse(e->to_string(), 1) == e);
  }
  if (const auto c = cfg::Cidr::parse(text)) {
    require(cfg::Cidr::parse(c->to_string()) == c);
    require(c->contains(c->network));
    require(cfg::Cidr::parse_masked(text) == c);
  }
  if (const auto m = cfg::Cidr::parse_masked(text)) require(cfg::Cidr::parse(m->to_string()) == m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = cfg::parse_config(text, "fuzz");
  require(result.config.has_value() == result.errors.empty());
  for (const auto& e : result.errors)
    require(!e.empty() && e.find('\n') == std::string::npos);
  if (result.config) check_config(*result.config);

  // The same bytes as a households file and as a household document from Redis.
  for (const auto& households :
       {cfg::parse_households(text), cfg::parse_household_document(text, "fuzz")}) {
    require(households.errors.empty() || households.households.empty());
    for (const auto& h : households.households) {
      require(!h.id.empty());
      for (const auto& d : h.devices)
        require(!d.id.empty());
    }
  }

  const auto resolv = cfg::parse_resolv_conf(text);
  require(resolv.servers.size() <= cfg::kMaxNameservers);
  for (const auto& server : resolv.servers)
    require(server.port == 53);
  if (size <= 64) check_addresses(text);
  return 0;
}
