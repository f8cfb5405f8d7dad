#pragma once
// Reading Redis Sentinel's answers and announcements: pure functions over replies and text.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/net/endpoint.h"
#include "proxy/redis/resp.h"
#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

/// SENTINEL get-master-addr-by-name's reply, ["127.0.0.1", "6379"]; nothing for nil (a master
/// the sentinel does not know) or anything else. Only IP addresses (no host names).
std::optional<net::Endpoint> parse_master_address(const Reply& reply);

/// SENTINEL replicas's reply (one flat field/value array per replica): the replicas a client may
/// read from, in the sentinel's order. Skipped: flags s_down, o_down or disconnected, and a
/// master-link-status other than "ok".
std::vector<net::Endpoint> parse_healthy_replicas(const Reply& reply);

/// A +switch-master announcement: "<master-name> <old-ip> <old-port> <new-ip> <new-port>".
struct SwitchMaster {
  std::string master_name;
  net::Endpoint from, to;
};
std::optional<SwitchMaster> parse_switch_master(std::string_view message);

/// The sentinels as plain servers, for a +switch-master subscription.
Settings sentinel_watch_settings(const Settings& s);

/// ROLE's reply names `role` ("master", "slave", "sentinel") as its first element.
bool role_is(const Reply& role_reply, std::string_view role);

}  // namespace shelter::proxy::redis
