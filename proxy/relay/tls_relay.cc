#include "proxy/relay/tls_relay.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <string>

#include "proxy/clock.h"
#include "proxy/relay/tls_terminate.h"
#include "proxy/relay/tunnel.h"
#include "proxy/tls/client_hello.h"

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The failure classes of tls::ClientHelloReader, in the order of RelayMetrics::hello_failures.
constexpr std::array<std::string_view, 8> kFailureClasses{
    "not_tls",       "bad_record",    "too_large",           "not_client_hello",
    "bad_handshake", "bad_extension", "duplicate_extension", "truncated"};

void count_failure(RelayMetrics& metrics, std::string_view failure) {
  for (std::size_t i = 0; i < kFailureClasses.size(); ++i) {
    if (kFailureClasses[i] == failure) {
      count(metrics.hello_failures[i]);
      return;
    }
  }
}

void count_hello(RelayMetrics& metrics, const tls::ClientHello& hello) {
  std::size_t bucket = 0;
  while (bucket < kHelloSizeBuckets.size() && hello.hello_bytes > kHelloSizeBuckets[bucket])
    ++bucket;
  count(metrics.hello_size[bucket]);
  count(metrics.hello_size_sum, hello.hello_bytes);
  count(metrics.hello_records, hello.records);
  count(metrics.hello_segments, hello.segments);
  if (hello.records > 1) count(metrics.hello_multi_record);
  if (hello.segments > 1) count(metrics.hello_multi_segment);
  if (hello.ech) count(metrics.tls_ech_outer);
}

// Reads until the reader has a verdict (need_more: the client closed first).
asio::awaitable<tls::HelloStatus> read_hello(tcp::socket& client, tls::ClientHelloReader& reader,
                                             std::string& seen) {
  std::array<char, 4096> chunk;
  tls::HelloStatus status = tls::HelloStatus::need_more;
  while (status == tls::HelloStatus::need_more) {
    auto [ec, n] = co_await client.async_read_some(asio::buffer(chunk), kUseTuple);
    if (ec) break;
    seen.append(chunk.data(), n);
    status = reader.feed(std::string_view(chunk.data(), n));
  }
  co_return status;
}

}  // namespace

std::span<const std::string_view> hello_failure_classes() {
  return kFailureClasses;
}

asio::awaitable<void> serve_tls(RelayThreadContext& context, tcp::socket socket,
                                ClientConnection connection) {
  RelayShared& shared = context.shared;
  RelayMetrics& metrics = shared.metrics;
  count(metrics.tls_connections);
  socket.set_option(tcp::no_delay(true));
  tcp::socket client(std::move(socket));
  tls::ClientHelloReader reader;
  std::string seen;  // every byte read: the origin gets them all, the hello first
  asio::steady_timer timer(client.get_executor());
  timer.expires_after(shared.settings.hello_timeout);
  auto first = co_await (read_hello(client, reader, seen) || timer.async_wait(kUseTuple));
  if (first.index() == 1) {
    if (!seen.empty()) count_failure(metrics, "truncated");
    co_return;  // the hello deadline passed
  }
  const tls::HelloStatus status = std::get<0>(first);
  if (status == tls::HelloStatus::need_more) {
    if (!seen.empty()) count_failure(metrics, "truncated");
    co_return;  // closed before a whole hello
  }
  if (status != tls::HelloStatus::complete) {
    count_failure(metrics, reader.failure());
    co_return;  // not TLS, or a hello no server would take: close
  }
  const tls::ClientHello& hello = reader.hello();
  count_hello(metrics, hello);
  std::string host;
  if (hello.sni == tls::SniStatus::valid) {
    host = std::string(hello.server_name);
  } else {
    count(metrics.tls_no_sni);
    // No name to decide on. Steered clients always send one (they came by name); a
    // transparent connection goes to the address it was meant for, decided by that address.
    if (!connection.original_destination) co_return;
    host = connection.original_destination->address.v6
               ? "[" + connection.original_destination->address.to_string() + "]"
               : connection.original_destination->address.to_string();
  }
  const policy::HostVerdict verdict =
      shared.gate.host_verdict(connection.client, host, clock::now());
  if (verdict != policy::HostVerdict::pass) {
    count(metrics.tls_blocked);
    // Managed networks: the real block page, under a certificate of the operator's CA. Only
    // for hosts blocked whole: a host refused for its listed pages has pages that are not
    // blocked, and a terminated connection is never forwarded.
    if (verdict == policy::HostVerdict::block && shared.managed_tls) {
      co_await serve_block_page_over_tls(context, client, seen, host, connection);
      co_return;
    }
    // One small write into an empty send buffer: it does not block, so no deadline.
    const auto alert = tls::alert_record();
    co_await asio::async_write(client, asio::buffer(alert), kUseTuple);
    boost::system::error_code ignored;
    client.shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }
  const std::uint16_t port = connection.original_destination ? connection.original_destination->port
                                                             : shared.settings.tls_origin_port;
  const net::Address* fixed =
      connection.original_destination ? &connection.original_destination->address : nullptr;
  OriginConnection origin = co_await connect_origin(context, host, port, fixed);
  if (!origin.error.empty()) {
    if (origin.refusal != OriginRefusal::none) {
      count(metrics.origin_refused[static_cast<std::size_t>(origin.refusal)]);
    }
    const bool guarded =
        origin.refusal != OriginRefusal::none && origin.refusal != OriginRefusal::not_resolving;
    count(metrics.refused[static_cast<std::size_t>(guarded ? ClientRefusal::origin
                                                           : ClientRefusal::unreachable)]);
    const auto alert = tls::alert_record(tls::AlertDescription::internal_error);
    co_await asio::async_write(client, asio::buffer(alert), kUseTuple);
    co_return;
  }
  count(metrics.tls_spliced);
  const TunnelBytes bytes =
      co_await run_tunnel(client, origin.socket, shared.settings.idle_timeout, seen);
  count(metrics.tls_spliced_bytes, bytes.to_origin + bytes.to_client);
  count(metrics.bytes_to_origin, bytes.to_origin);
  count(metrics.bytes_to_client, bytes.to_client);
}

}  // namespace shelter::proxy::relay
