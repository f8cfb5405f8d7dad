#pragma once
// What happens to one DNS query, without any socket: parse, check the client, decide, answer
// from the lists or the cache, or say that it must go upstream. Listeners (UDP, TCP) own the
// I/O and call these two functions; the same code answers both transports.

#include <cstdint>
#include <vector>

#include "proxy/config/address.h"
#include "proxy/dns/cache.h"
#include "proxy/dns/message.h"
#include "proxy/metrics/metrics.h"
#include "proxy/server/runtime.h"
#include "proxy/upstream/upstream_answer.h"

namespace shelter::proxy::server {

struct QueryContext {
  const Runtime& runtime;
  dns::SharedResponseCache& cache;
  metrics::WorkerMetrics& metrics;
  dns::CacheClock::time_point now;
};

enum class Step : std::uint8_t {
  reply,    ///< `out` holds the complete answer
  forward,  ///< ask upstream, then call answer_from_upstream
  drop,     ///< send nothing
};

/// Handles a query as far as it can be handled without waiting.
Step answer_locally(dns::Bytes packet, const config::Address& client, bool over_tcp,
                    dns::Query& query, std::vector<std::uint8_t>& out, QueryContext& context);

/// Completes a forwarded query: relays (and caches) the upstream answer, or SERVFAIL.
void answer_from_upstream(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                          const upstream::UpstreamAnswer& upstream, std::vector<std::uint8_t>& out,
                          QueryContext& context);

/// True when `client` is inside one of the allowed networks.
bool client_allowed(const std::vector<config::Cidr>& allowed, const config::Address& client);

}  // namespace shelter::proxy::server
