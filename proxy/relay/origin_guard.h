#pragma once
// Where the filtering proxy may connect: the SSRF guard. A proxy that forwards to whatever a
// client names would let anyone on a subscriber network reach the operator's own management
// network, the node's loopback services (Redis, the admin API) or cloud metadata addresses.
// So an origin address must be public (not loopback, private, shared, link-local, multicast,
// documentation or otherwise special-purpose: IANA's special-purpose registries), not one of
// the proxy's own addresses, and on an allowed port, unless the operator allowed its range.
// Pure: a decision over values, checked for every address a name resolves to.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "policy/address.h"

namespace shelter::proxy::relay {

enum class OriginRefusal : std::uint8_t {
  none,           ///< allowed
  port,           ///< not one of the allowed ports
  special,        ///< loopback, private, link-local, ... (IANA special-purpose)
  own_address,    ///< one of the proxy's own listeners: a request loop
  not_resolving,  ///< the name has no public address (set by the resolver step)
};
constexpr std::size_t kOriginRefusalCount = 5;

/// A lower-case name for logs and metric labels ("special", "own_address", ...).
std::string_view refusal_name(OriginRefusal refusal);

/// An address and port this node listens on.
struct OwnEndpoint {
  policy::Address address;
  std::uint16_t port = 0;
};

struct OriginPolicy {
  std::vector<std::uint16_t> ports;           ///< allowed origin ports
  std::vector<policy::Cidr> private_origins;  ///< special ranges allowed anyway
  /// The proxy's and the web front's listeners (the steering and block addresses with their
  /// ports included): a request to one of them would loop.
  std::vector<OwnEndpoint> own;
};

/// Whether a special-purpose range (IANA IPv4/IPv6 special-purpose registries; for IPv6 also
/// IPv4-mapped, NAT64 and 6to4 forms of a special IPv4 address) holds `address`.
bool is_special(const policy::Address& address);

/// The guard for one candidate origin.
OriginRefusal check_origin(const policy::Address& address, std::uint16_t port,
                           const OriginPolicy& policy);

}  // namespace shelter::proxy::relay
