#include "policy/identify.h"

#include <algorithm>

namespace shelter::policy {
namespace {

bool from_any(const std::vector<Cidr>& networks, const Address& source) {
  return std::any_of(networks.begin(), networks.end(),
                     [&](const Cidr& network) { return network.contains(source); });
}

Identity found(const Subscriber* subscriber, IdentifiedBy by) {
  return Identity{*subscriber, by};
}

}  // namespace

Identity identify(const ClientFacts& facts, const SubscriberBindings& bindings,
                  const TrustRules& trust) {
  if (facts.mac && from_any(trust.mac_from, facts.source)) {
    if (const Subscriber* s = bindings.by_mac(*facts.mac)) return found(s, IdentifiedBy::mac);
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
