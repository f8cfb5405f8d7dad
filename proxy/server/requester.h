#pragma once
// Who a client is and what applies to it, as the DNS path finds it, without waiting: for the
// pages (the block page decides again for the requester), the proxy, and the admin API's
// decision preview. A household that is not in memory gets the default profile.

#include <memory>
#include <optional>

#include "policy/decide.h"
#include "proxy/net/endpoint.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::server {

struct Requester {
  policy::Subject subject;
  std::shared_ptr<const profiles::Household> keep_alive;  ///< what `subject` points into
  std::optional<policy::Subscriber> who;                  ///< the binding that matched, if any
  bool household = false;                                 ///< the household was found
};

Requester requester_of(const net::Address& client, const Runtime& runtime);

}  // namespace shelter::proxy::server
