#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/net/asio_endpoint.h"
#include "proxy/relay/relay_context.h"

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// An idle pooled connection is good if the origin has neither closed it nor sent anything
// (bytes before a request would belong to no response).
bool still_idle(tcp::socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::optional<net::Address> literal_address(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return net::Address::parse_v6(host.substr(1, host.size() - 2));
  }
  return net::Address::parse_v4(host);
}

asio::awaitable<boost::system::error_code> connect_within(tcp::socket& socket,
                                                          const tcp::endpoint& endpoint,
                                                          std::chrono::milliseconds timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(timeout);
  auto result = co_await (socket.async_connect(endpoint, kUseTuple) || timer.async_wait(kUseTuple));
  if (result.index() == 1) co_return asio::error::timed_out;
  co_return std::get<0>(std::get<0>(result));
}

}  // namespace

bool OriginPool::take(const std::string& key, tcp::socket& out) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return false;
  const auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    Idle idle = std::move(it->second.back());
    it->second.pop_back();
    --total_;
    if (now - idle.since < kMaxIdle && still_idle(idle.socket)) {
      out = std::move(idle.socket);
      if (it->second.empty()) idle_.erase(it);
      return true;
    }
  }
  idle_.erase(it);
  return false;
}

void OriginPool::put(const std::string& key, tcp::socket socket) {
  if (total_ >= kMaxTotal) {
    // Full: drop the oldest of every key rather than refuse the newest (it is the warmest).
    for (auto& [k, list] : idle_) {
      if (!list.empty()) {
        list.erase(list.begin());
        --total_;
      }
    }
  }
  auto& list = idle_[key];
  if (list.size() >= kMaxPerKey) {
    list.erase(list.begin());
    --total_;
  }
  list.push_back({std::move(socket), std::chrono::steady_clock::now()});
  ++total_;
}

asio::awaitable<OriginConnection> connect_origin(RelayThreadContext& context, std::string_view host,
                                                 std::uint16_t port, const net::Address* fixed) {
  auto executor = co_await asio::this_coro::executor;
  OriginConnection out{tcp::socket(executor), OriginRefusal::none, {}};
  std::vector<net::Address> candidates;
  if (fixed != nullptr) {
    candidates.push_back(*fixed);
  } else if (auto literal = literal_address(host)) {
    candidates.push_back(*literal);
  } else {
    Resolved resolved = co_await context.resolver.resolve(std::string(host));
    if (!resolved.error.empty()) {
      out.refusal = OriginRefusal::not_resolving;
      out.error = "cannot resolve " + std::string(host) + ": " + resolved.error;
      co_return out;
    }
    candidates = std::move(resolved.addresses);
  }
  const OriginPolicy& policy = context.shared.origins;
  OriginRefusal first_refusal = OriginRefusal::none;
  for (const net::Address& address : candidates) {
    const OriginRefusal refusal = check_origin(address, port, policy);
    if (refusal != OriginRefusal::none) {
      if (first_refusal == OriginRefusal::none) first_refusal = refusal;
      continue;
    }
    tcp::socket socket(executor);
    const auto endpoint = net::to_asio_endpoint<tcp>({.address = address, .port = port});
    const boost::system::error_code ec =
        co_await connect_within(socket, endpoint, context.shared.settings.connect_timeout);
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      out.socket = std::move(socket);
      co_return out;
    }
    out.error = "cannot connect to " + std::string(host) + " (" + address.to_string() +
                "): " + ec.message();
  }
  if (out.error.empty()) {
    out.refusal = first_refusal;
    out.error = std::string(host) + " is not a public address (" +
                std::string(refusal_name(first_refusal)) + ")";
  }
  co_return out;
}

}  // namespace shelter::proxy::relay
