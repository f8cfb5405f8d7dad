#include "proxy/relay/relay_metrics.h"

#include <string>

#include "proxy/metrics/prometheus_writer.h"
#include "proxy/relay/tls_relay.h"

namespace shelter::proxy::relay {
namespace {

constexpr std::array<std::string_view, kClientRefusalCount> kClientRefusalNames{
    "not_a_client", "too_many", "bad_request", "origin", "unreachable"};

std::uint64_t load(const RelayMetrics::Counter& c) {
  return c.load(std::memory_order_relaxed);
}

}  // namespace

std::string render_relay_metrics(const RelayMetrics& m) {
  metrics::Writer w;
  auto one = [&w](std::string_view name, std::string_view type, std::string_view help,
                  std::uint64_t value) {
    w.help(name, type, help);
    w.sample(name, {}, value);
  };
  one("shelter_proxy_connections_total", "counter", "HTTP proxy connections accepted.",
      load(m.connections));
  one("shelter_proxy_requests_total", "counter", "HTTP requests read by the proxy.",
      load(m.http_requests));
  one("shelter_proxy_blocked_total", "counter",
      "HTTP requests and CONNECT tunnels refused by the decision (block page or 403).",
      load(m.http_blocked));
  one("shelter_proxy_forwarded_total", "counter", "HTTP requests forwarded to an origin.",
      load(m.http_forwarded));
  one("shelter_proxy_tunnels_total", "counter", "CONNECT tunnels opened.", load(m.connect_tunnels));
  one("shelter_proxy_upgrades_total", "counter", "Upgraded connections (websockets) relayed.",
      load(m.upgrades));
  one("shelter_proxy_origin_reused_total", "counter",
      "Requests sent on a kept-alive origin connection from the pool.", load(m.origin_reused));
  w.help("shelter_proxy_bytes_total", "counter", "Bytes relayed, by direction.");
  w.sample("shelter_proxy_bytes_total", "direction=\"to_origin\"", load(m.bytes_to_origin));
  w.sample("shelter_proxy_bytes_total", "direction=\"to_client\"", load(m.bytes_to_client));
  w.help("shelter_proxy_refused_total", "counter",
         "Connections and requests refused before forwarding, by reason.");
  for (std::size_t i = 0; i < kClientRefusalCount; ++i) {
    w.sample("shelter_proxy_refused_total",
             "reason=\"" + std::string(kClientRefusalNames[i]) + "\"", load(m.refused[i]));
  }
  w.help("shelter_proxy_origin_refused_total", "counter",
         "Origins refused by the SSRF guard, by reason.");
  for (std::size_t i = 1; i < kOriginRefusalCount; ++i) {
    w.sample("shelter_proxy_origin_refused_total",
             "reason=\"" + std::string(refusal_name(static_cast<OriginRefusal>(i))) + "\"",
             load(m.origin_refused[i]));
  }
  one("shelter_tls_connections_total", "counter", "TLS-SNI proxy connections accepted.",
      load(m.tls_connections));
  one("shelter_tls_spliced_total", "counter", "TLS connections spliced to their origin.",
      load(m.tls_spliced));
  one("shelter_tls_blocked_total", "counter", "TLS handshakes answered with an alert (blocked).",
      load(m.tls_blocked));
  one("shelter_tls_terminated_total", "counter",
      "Blocked TLS connections answered with the block page over TLS (proxy.managed-tls).",
      load(m.tls_terminated));
  one("shelter_tls_terminate_failed_total", "counter",
      "Terminated TLS handshakes that failed: most often a device without the operator's CA.",
      load(m.tls_terminate_failed));
  one("shelter_tls_certificates_minted_total", "counter",
      "Certificates minted for blocked names (proxy.managed-tls).",
      load(m.tls_certificates_minted));
  one("shelter_tls_no_sni_total", "counter", "ClientHellos without a valid server name.",
      load(m.tls_no_sni));
  one("shelter_tls_ech_outer_total", "counter",
      "ClientHellos with an encrypted_client_hello extension (the outer name decided).",
      load(m.tls_ech_outer));
  one("shelter_tls_spliced_bytes_total", "counter", "Bytes spliced both ways.",
      load(m.tls_spliced_bytes));
  w.help("shelter_tls_hello_bytes", "histogram", "ClientHello size on the wire, bytes.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kHelloSizeBuckets.size(); ++i) {
    cumulative += load(m.hello_size[i]);
    w.sample("shelter_tls_hello_bytes_bucket",
             "le=\"" + std::to_string(kHelloSizeBuckets[i]) + "\"", cumulative);
  }
  cumulative += load(m.hello_size[kHelloSizeBuckets.size()]);
  w.sample("shelter_tls_hello_bytes_bucket", "le=\"+Inf\"", cumulative);
  w.sample("shelter_tls_hello_bytes_sum", {}, load(m.hello_size_sum));
  w.sample("shelter_tls_hello_bytes_count", {}, cumulative);
  one("shelter_tls_hello_records_total", "counter", "TLS records over all ClientHellos.",
      load(m.hello_records));
  one("shelter_tls_hello_segments_total", "counter", "TCP reads over all ClientHellos.",
      load(m.hello_segments));
  one("shelter_tls_hello_multi_record_total", "counter", "ClientHellos split over TLS records.",
      load(m.hello_multi_record));
  one("shelter_tls_hello_multi_segment_total", "counter",
      "ClientHellos that took more than one TCP read.", load(m.hello_multi_segment));
  w.help("shelter_tls_hello_failures_total", "counter",
         "Connections closed because their first bytes were not a readable ClientHello.");
  const auto classes = hello_failure_classes();
  for (std::size_t i = 0; i < classes.size(); ++i) {
    w.sample("shelter_tls_hello_failures_total", "class=\"" + std::string(classes[i]) + "\"",
             load(m.hello_failures[i]));
  }
  return w.take();
}

}  // namespace shelter::proxy::relay
