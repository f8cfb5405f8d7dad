#pragma once
// Counters of the filtering proxy, shared by its threads (relaxed atomics), rendered by
// metrics/metrics.cc. Names and meanings in docs/proxy.md ("Metrics").

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "proxy/relay/origin_guard.h"

namespace shelter::proxy::relay {

/// Why a client was refused before anything was forwarded.
enum class ClientRefusal : std::uint8_t {
  not_a_client,  ///< the source is outside proxy.clients
  too_many,      ///< over a connection cap
  bad_request,   ///< framing, target or Host refused
  origin,        ///< the origin is refused by the guard (OriginRefusal says why)
  unreachable,   ///< resolution or connection failed
};
constexpr std::size_t kClientRefusalCount = 5;

/// Buckets of ClientHello sizes, bytes: <= 512, 1024, 1536, 2048, 4096, 16384.
inline constexpr std::array<std::uint32_t, 6> kHelloSizeBuckets{512, 1024, 1536, 2048, 4096, 16384};

struct RelayMetrics {
  using Counter = std::atomic<std::uint64_t>;
  Counter connections{0};
  Counter http_requests{0};
  Counter http_blocked{0};
  Counter http_forwarded{0};
  Counter connect_tunnels{0};
  Counter upgrades{0};
  Counter bytes_to_origin{0};
  Counter bytes_to_client{0};
  Counter origin_reused{0};
  std::array<Counter, kClientRefusalCount> refused{};
  std::array<Counter, kOriginRefusalCount> origin_refused{};
  // TLS
  Counter tls_connections{0};
  Counter tls_spliced{0};
  Counter tls_blocked{0};
  Counter tls_terminated{0};        ///< managed-tls: block page served over TLS
  Counter tls_terminate_failed{0};  ///< managed-tls: the client refused our certificate
  Counter tls_certificates_minted{0};
  Counter tls_no_sni{0};
  Counter tls_ech_outer{0};
  Counter tls_spliced_bytes{0};
  std::array<Counter, kHelloSizeBuckets.size() + 1> hello_size{};  ///< last: over 16384
  Counter hello_size_sum{0};
  Counter hello_records{0};   ///< sum over hellos
  Counter hello_segments{0};  ///< sum over hellos
  Counter hello_multi_record{0};
  Counter hello_multi_segment{0};
  std::array<Counter, 8> hello_failures{};  ///< by failure class (tls_relay.cc's table)
};

/// The counters in the Prometheus text format.
std::string render_relay_metrics(const RelayMetrics& metrics);

inline void count(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace shelter::proxy::relay
