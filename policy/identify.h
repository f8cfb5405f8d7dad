#pragma once
// Subscriber identification: which household (and, when the network says, which device) a
// query comes from. Pure: the facts are gathered by the listener, the bindings come from a
// store; this only decides which facts to believe and in which order.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/address.h"
#include "policy/prefix_map.h"

namespace shelter::policy {

using MacAddress = std::array<std::uint8_t, 6>;

/// "02:00:5e:10:00:01" (':' or '-' between the bytes, hex digits of either case).
std::optional<MacAddress> parse_mac(std::string_view text);
/// "02:00:5e:10:00:01": lower case, colons; parse_mac reads it back.
std::string format_mac(const MacAddress& mac);

/// What one query says about its sender. `mac`, `cpe_id` and `client_subnet` come from EDNS
/// options (dns::read_client_options) and are claims: identify() believes them only from the
/// networks TrustRules names.
struct ClientFacts {
  Address source;
  std::optional<MacAddress> mac;
  std::optional<std::string> cpe_id;
  std::optional<Cidr> client_subnet;
};

/// A MAC its device made up (locally administered: bit 0x02 of the first octet set), as phones
/// and laptops do per network for privacy; a new one turns up when such a device rejoins.
constexpr bool is_private_mac(const MacAddress& mac) {
  return (mac[0] & 0x02) != 0;
}

/// The networks whose EDNS claims are believed: the ISP's own CPEs and forwarders. A claim from
/// anywhere else is ignored, so that a client cannot pose as another household by adding an
/// option.
struct TrustRules {
  std::vector<Cidr> mac_from;
  std::vector<Cidr> cpe_id_from;
  std::vector<Cidr> client_subnet_from;
};

/// A household, and a device of it when known.
struct Subscriber {
  std::string household;
  std::string device;  ///< empty: the household as a whole
  bool operator==(const Subscriber&) const = default;
};

/// Which fact identified the subscriber.
enum class IdentifiedBy : std::uint8_t { mac, cpe_id, client_subnet, source_address, nothing };

struct Identity {
  std::optional<Subscriber> subscriber;  ///< empty: unknown (the operator's default profile)
  IdentifiedBy by = IdentifiedBy::nothing;
};

/// Address, prefix, MAC and CPE-ID bindings, as a store hands them over. Built, then read.
class SubscriberBindings {
 public:
  /// An address (a /32 or /128) or a network (an ISP's per-household prefix).
  void bind_prefix(const Cidr& prefix, Subscriber subscriber) {
    prefixes_.insert(prefix, std::move(subscriber));
  }
  void bind_mac(const MacAddress& mac, Subscriber subscriber) {
    macs_.insert_or_assign(mac, std::move(subscriber));
  }
  void bind_cpe_id(const std::string& cpe_id, Subscriber subscriber) {
    cpe_ids_.insert_or_assign(cpe_id, std::move(subscriber));
  }

  void unbind_prefix(const Cidr& prefix) { prefixes_.erase(prefix); }
  void unbind_mac(const MacAddress& mac) { macs_.erase(mac); }
  void unbind_cpe_id(const std::string& cpe_id) { cpe_ids_.erase(cpe_id); }

  const Subscriber* by_address(const Address& a) const { return prefixes_.find(a); }
  const Subscriber* exact_prefix(const Cidr& prefix) const { return prefixes_.find_exact(prefix); }
  const Subscriber* by_mac(const MacAddress& mac) const { return find(macs_, mac); }
  const Subscriber* by_cpe_id(const std::string& id) const { return find(cpe_ids_, id); }

 private:
  template <typename Map, typename Key>
  static const Subscriber* find(const Map& map, const Key& key) {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }

  PrefixMap<Subscriber> prefixes_;
  std::map<MacAddress, Subscriber> macs_;
  std::map<std::string, Subscriber, std::less<>> cpe_ids_;
};

/// The MAC claim of `facts` when its sender is believed to make it (TrustRules::mac_from),
/// else null.
const MacAddress* believed_mac(const ClientFacts& facts, const TrustRules& trust);

/// The subscriber of a query. The most specific believed fact that has a binding wins: the
/// MAC (a device), then the CPE-ID (a household's router), then the EDNS Client Subnet (its
/// network address, matched like a source address), then the packet's source address, by the
/// longest bound prefix. Nothing bound: unknown.
Identity identify(const ClientFacts& facts, const SubscriberBindings& bindings,
                  const TrustRules& trust);

}  // namespace shelter::policy
