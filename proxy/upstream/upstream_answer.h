#pragma once
// The result of forwarding one query upstream, as the query pipeline consumes it.

#include <cstdint>
#include <vector>

#include "proxy/dns/message.h"

namespace shelter::proxy::upstream {

struct UpstreamAnswer {
  bool ok = false;                    ///< false: every attempt failed or timed out
  std::vector<std::uint8_t> message;  ///< the validated upstream response
  dns::Response parsed;               ///< its parse (offsets into `message`)
};

}  // namespace shelter::proxy::upstream
