#pragma once
// Where Redis is and how to talk to it: one Settings for the command Client and the Subscriber.

#include <chrono>
#include <string>
#include <vector>

#include "proxy/net/endpoint.h"

namespace shelter::proxy::redis {

struct Settings {
  /// Tried in order on every (re)connect; any of them will do (no ROLE check without Sentinel),
  /// so a list may hold a primary and its replicas for reads.
  std::vector<net::Endpoint> servers;
  /// AUTH user password (an ACL user), or AUTH password when `user` is empty; nothing when both
  /// are empty.
  std::string user, password;
  int database = 0;  ///< SELECT when not 0

  struct Tls {
    bool enabled = false;     ///< for the servers and the sentinels alike
    std::string ca_file;      ///< PEM; empty: the system's trust store
    std::string cert_file;    ///< client certificate (PEM), for servers that ask for one
    std::string key_file;     ///< its private key (PEM)
    std::string server_name;  ///< SNI and the name checked in the certificate; empty: the IP
  } tls;

  /// When `sentinels` is not empty, they are asked for the primary of `master_name` instead of
  /// using `servers`, and the connection is checked with ROLE (a stale answer after a failover is
  /// caught that way). The Client also listens to the sentinels' +switch-master announcements.
  struct Sentinel {
    std::vector<net::Endpoint> sentinels;
    std::string master_name;
    std::string user, password;  ///< AUTH for the sentinels themselves
  } sentinel;

  /// With Sentinel: connect to a healthy replica (SENTINEL replicas, skipping s_down, o_down,
  /// disconnected and those whose link to the primary is down), falling back to the primary.
  bool prefer_replica = false;

  /// One connection attempt (TCP, TLS, AUTH, SELECT, ROLE; a sentinel's answer) as a whole.
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{250};  ///< one command, from call to reply
  /// Waits between reconnection attempts: doubling from min to max, with jitter.
  std::chrono::milliseconds backoff_min{100}, backoff_max{5000};
  /// Subscriber only: PING this often, so a silently dead connection is noticed.
  std::chrono::milliseconds keepalive_interval{2000};
};

}  // namespace shelter::proxy::redis
