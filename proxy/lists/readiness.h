#pragma once
// Is this node able to filter as configured? The answer of /readyz, worked out from the
// lists in force and the upstreams' health. Pure: the caller passes the clock.
//
//   unready   a legal (authority) list has no good version in force, or it is stale
//   degraded  a list was refused and its last good version serves; an ordinary list is
//             missing or stale; an upstream (or every one) is down
//   ready     none of that
//   draining  the operator took the node out of service (POST /v1/node/drain) so that a load
//             balancer or a routing daemon moves its traffic away before a stop or an upgrade;
//             whatever else is amiss is still listed
// A node that is not ready goes on answering with what it has: readiness is what a load
// balancer and the operator's alerting read, not a switch that stops filtering.

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/lists/list_loader.h"

namespace shelter::proxy::lists {

struct UpstreamHealth {
  std::size_t up = 0;
  std::size_t total = 0;
};

enum class ReadyState : std::uint8_t { ready, degraded, unready, draining };

struct Readiness {
  ReadyState state = ReadyState::ready;
  std::vector<std::string> problems;  ///< one line each, worst first
  std::string json;                   ///< the /readyz body
  bool ready() const { return state == ReadyState::ready || state == ReadyState::degraded; }
};

/// Whether the version of `list` in force is older than its max-age at `now_unix`.
bool is_stale(const ListStatus& list, std::int64_t now_unix);
/// Seconds since the version in force was written (its files' mtime, else when accepted).
std::int64_t age_seconds(const ListStatus& list, std::int64_t now_unix);

/// `draining`: the node answers 503 whatever its lists, the operator's problem line first.
Readiness assess_readiness(const std::vector<ListStatus>& lists, std::int64_t now_unix,
                           const UpstreamHealth& upstreams, bool draining = false);

/// "ready", "degraded", "unready", "draining".
std::string_view ready_state_name(ReadyState state);

}  // namespace shelter::proxy::lists
