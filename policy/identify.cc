#include "policy/identify.h"

#include <algorithm>
#include <cstdio>

namespace shelter::policy {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string format_mac(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::optional<MacAddress> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress mac{};
  for (std::size_t i = 0; i < 6; ++i) {
    int high = hex_value(text[3 * i]);
    int low = hex_value(text[3 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    if (i < 5 && text[3 * i + 2] != ':' && text[3 * i + 2] != '-') return std::nullopt;
    mac[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return mac;
}
namespace {

bool from_any(const std::vector<Cidr>& networks, const Address& source) {
  return std::any_of(networks.begin(), networks.end(),
                     [&](const Cidr& network) { return network.contains(source); });
}

Identity found(const Subscriber* subscriber, IdentifiedBy by) {
  return Identity{*subscriber, by};
}

}  // namespace

const MacAddress* believed_mac(const ClientFacts& facts, const TrustRules& trust) {
  return facts.mac && from_any(trust.mac_from, facts.source) ? &*facts.mac : nullptr;
}

Identity identify(const ClientFacts& facts, const SubscriberBindings& bindings,
                  const TrustRules& trust) {
  if (const MacAddress* mac = believed_mac(facts, trust)) {
    if (const Subscriber* s = bindings.by_mac(*mac)) return found(s, IdentifiedBy::mac);
  }
  if (facts.cpe_id && from_any(trust.cpe_id_from, facts.source)) {
    if (const Subscriber* s = bindings.by_cpe_id(*facts.cpe_id))
      return found(s, IdentifiedBy::cpe_id);
  }
  if (facts.client_subnet && from_any(trust.client_subnet_from, facts.source)) {
    // The subnet's own address: a household's prefix contains it when it contains the subnet
    // (ECS carries a prefix no longer than the household's in practice).
    if (const Subscriber* s = bindings.by_address(facts.client_subnet->network))
      return found(s, IdentifiedBy::client_subnet);
  }
  if (const Subscriber* s = bindings.by_address(facts.source))
    return found(s, IdentifiedBy::source_address);
  return Identity{};
}

}  // namespace shelter::policy
