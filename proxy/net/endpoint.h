#pragma once
// The daemon's vocabulary for where things are: an Endpoint is an address and a port (a listener,
// an upstream, a Redis server, a sentinel); addresses and prefixes are policy's. Below config
// and every I/O library, so the Redis client and the forwarder can name an endpoint without
// linking the YAML loader (library shelter_net).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/address.h"

namespace shelter::proxy::net {

using policy::Address;
using policy::Cidr;

struct Endpoint {
  Address address;
  std::uint16_t port = 0;

  /// "192.0.2.1:53", "[2001:db8::1]:53"; a bare address takes `default_port`.
  static std::optional<Endpoint> parse(std::string_view text, std::uint16_t default_port);
  std::string to_string() const;  ///< "192.0.2.1:53" / "[2001:db8::1]:53"
  bool operator==(const Endpoint&) const = default;
};

}  // namespace shelter::proxy::net
