#pragma once
// Resolves origin names for the filtering proxy with c-ares, straight from the configured
// resolvers (proxy.resolvers, else the upstreams): never through shelterd's own answers, which
// for a steered name are the proxy's own addresses. One resolver per relay thread, driven by
// that thread's io_context (c-ares's sockets watched with Asio), with a small cache that keeps
// each answer for its TTL (at most five minutes).
// Thread-safety: one thread (the io_context's).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "proxy/net/endpoint.h"

namespace shelter::proxy::relay {

struct Resolved {
  std::vector<net::Address> addresses;  ///< IPv4 first, then IPv6, as the resolver gave them
  std::string error;                    ///< empty on success; "no such name", "timeout", ...
};

class OriginResolver {
 public:
  OriginResolver(boost::asio::any_io_executor executor, const std::vector<net::Endpoint>& servers,
                 std::chrono::milliseconds timeout);
  ~OriginResolver();
  OriginResolver(const OriginResolver&) = delete;
  OriginResolver& operator=(const OriginResolver&) = delete;

  /// The addresses of `host` (a normalised name), from the cache or the resolvers.
  boost::asio::awaitable<Resolved> resolve(std::string host);

  struct Stats {
    std::uint64_t lookups = 0;  ///< sent to the resolvers
    std::uint64_t cache_hits = 0;
    std::uint64_t failures = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::relay
