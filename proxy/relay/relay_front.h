#pragma once
// The filtering proxy's listeners: HTTP (proxy.http-listen) and TLS-SNI (proxy.tls-listen),
// each served by `proxy.threads` threads with an io_context, a resolver and an origin pool of
// their own (SO_REUSEPORT spreads the connections). Only clients of proxy.clients are served,
// with connection caps per client and in total; everything else is refused and counted.

#include <memory>
#include <string>

#include "proxy/relay/relay_context.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::relay {

class RelayFront {
 public:
  /// Binds every listener of the runtime's configuration (throws std::system_error naming the
  /// one that failed). `resolvers`: the servers for origin names. Serves once start() is called.
  RelayFront(const server::RuntimeHolder& runtime, PageGate gate,
             std::vector<net::Endpoint> resolvers);
  ~RelayFront();
  RelayFront(const RelayFront&) = delete;
  RelayFront& operator=(const RelayFront&) = delete;

  void start();
  void stop();
  /// "HTTP proxy on 127.0.0.1:8082, TLS proxy on 127.0.0.1:8443", for the ready line; empty
  /// when no listener is configured.
  std::string describe() const;
  const RelayMetrics& metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::relay
