#include "proxy/relay/origin_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxCached = 16384;
constexpr std::chrono::seconds kMaxCacheTime{300};
constexpr std::chrono::seconds kNegativeCacheTime{5};

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
      throw std::runtime_error("c-ares: library initialisation failed");
    }
  });
}

std::string servers_csv(const std::vector<net::Endpoint>& servers) {
  std::string csv;
  for (const net::Endpoint& s : servers) {
    if (!csv.empty()) csv += ',';
    csv += s.to_string();
  }
  return csv;
}

std::string describe(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
      return "no such name";
    case ARES_ENODATA:
      return "no address";
    case ARES_ETIMEOUT:
      return "timeout";
    case ARES_ECONNREFUSED:
      return "resolver refused";
    case ARES_ESERVFAIL:
      return "resolver failure (SERVFAIL)";
    case ARES_EREFUSED:
      return "resolver refused (REFUSED)";
    default:
      return ares_strerror(status);
  }
}

}  // namespace

struct OriginResolver::Impl : std::enable_shared_from_this<Impl> {
  using Done = std::function<void(Resolved)>;

  struct Watch {
    asio::posix::stream_descriptor descriptor;
    bool read = false, write = false;
    bool reading = false, writing = false;
    explicit Watch(asio::any_io_executor ex, int fd) : descriptor(ex, fd) {}
  };
  struct CacheEntry {
    Resolved answer;
    Clock::time_point expires;
  };
  struct Pending {
    std::weak_ptr<Impl> owner;
    std::string host;
    Done done;
  };

  asio::any_io_executor executor;
  ares_channel channel = nullptr;
  asio::steady_timer timer;
  std::unordered_map<int, std::unique_ptr<Watch>> watches;
  std::unordered_map<std::string, CacheEntry> cache;
  Stats stats;

  explicit Impl(asio::any_io_executor ex) : executor(std::move(ex)), timer(executor) {}

  ~Impl() {
    // The descriptors belong to c-ares: let it close them, not Asio.
    for (auto& [fd, watch] : watches)
      watch->descriptor.release();
    if (channel != nullptr) ares_destroy(channel);
  }

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Impl*>(data);
    if (!readable && !writable) {
      auto it = self->watches.find(fd);
      if (it != self->watches.end()) {
        boost::system::error_code ignored;
        it->second->descriptor.cancel(ignored);
        it->second->descriptor.release();
        self->watches.erase(it);
      }
      return;
    }
    auto& watch = self->watches[fd];
    if (!watch) watch = std::make_unique<Watch>(self->executor, fd);
    watch->read = readable != 0;
    watch->write = writable != 0;
    self->arm(fd);
  }

  // Waits for the socket's readiness in the directions c-ares asked for.
  void arm(int fd) {
    auto it = watches.find(fd);
    if (it == watches.end()) return;
    Watch& w = *it->second;
    std::weak_ptr<Impl> weak = weak_from_this();
    if (w.read && !w.reading) {
      w.reading = true;
      w.descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                              [weak, fd](const boost::system::error_code& ec) {
                                if (auto self = weak.lock()) self->ready(fd, ec, true);
                              });
    }
    if (w.write && !w.writing) {
      w.writing = true;
      w.descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                              [weak, fd](const boost::system::error_code& ec) {
                                if (auto self = weak.lock()) self->ready(fd, ec, false);
                              });
    }
  }

  void ready(int fd, const boost::system::error_code& ec, bool read) {
    auto it = watches.find(fd);
    if (it != watches.end()) (read ? it->second->reading : it->second->writing) = false;
    if (ec == asio::error::operation_aborted) return;
    ares_process_fd(channel, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
    arm(fd);  // still watched: wait again
    schedule_timeout();
  }

  void schedule_timeout() {
    timeval max{5, 0};
    timeval next{};
    timeval* t = ares_timeout(channel, &max, &next);
    timer.expires_after(std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec));
    std::weak_ptr<Impl> weak = weak_from_this();
    timer.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self) return;
      ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      if (!self->pending_none()) self->schedule_timeout();
    });
  }

  bool pending_none() const { return watches.empty(); }

  static void on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* info) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
    Resolved answer;
    int ttl = static_cast<int>(kMaxCacheTime.count());
    if (status != ARES_SUCCESS) {
      answer.error = describe(status);
    } else {
      std::vector<net::Address> v6;
      for (ares_addrinfo_node* n = info->nodes; n != nullptr; n = n->ai_next) {
        net::Address a;
        if (n->ai_family == AF_INET) {
          const auto* sin = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
          std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
          answer.addresses.push_back(a);
        } else if (n->ai_family == AF_INET6) {
          const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
          a.v6 = true;
          std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
          v6.push_back(a);
        } else {
          continue;
        }
        ttl = std::min(ttl, std::max(n->ai_ttl, 1));
      }
      answer.addresses.insert(answer.addresses.end(), v6.begin(), v6.end());
      if (answer.addresses.empty()) answer.error = "no address";
    }
    if (info != nullptr) ares_freeaddrinfo(info);
    auto self = pending->owner.lock();
    if (!self) return;
    if (!answer.error.empty()) ++self->stats.failures;
    const auto keep = answer.error.empty() ? std::chrono::seconds(ttl) : kNegativeCacheTime;
    if (self->cache.size() >= kMaxCached) self->cache.clear();
    self->cache[pending->host] = CacheEntry{answer, Clock::now() + keep};
    // Completed outside c-ares's callback: the resumed coroutine may start another lookup.
    asio::post(self->executor,
               [done = std::move(pending->done), answer = std::move(answer)]() { done(answer); });
  }

  void start(std::string host, Done done) {
    ++stats.lookups;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    // No sorting: RFC 6724 sorting in c-ares opens a socket per address to learn routes.
    hints.ai_flags = ARES_AI_NOSORT;
    auto* pending = new Pending{weak_from_this(), host, std::move(done)};
    ares_getaddrinfo(channel, host.c_str(), nullptr, &hints, &Impl::on_answer, pending);
    schedule_timeout();
  }
};

OriginResolver::OriginResolver(asio::any_io_executor executor,
                               const std::vector<net::Endpoint>& servers,
                               std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>(std::move(executor))) {
  library_init();
  ares_options options{};
  options.sock_state_cb = &Impl::on_socket_state;
  options.sock_state_cb_data = impl_.get();
  options.timeout = static_cast<int>(std::max<std::int64_t>(timeout.count(), 100));
  options.tries = 2;
  char lookups[] = "b";  // DNS only: never the node's own hosts file
  options.lookups = lookups;
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (const int rc = ares_init_options(&impl_->channel, &options, mask); rc != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares: ") + ares_strerror(rc));
  }
  const std::string csv = servers_csv(servers);
  if (!csv.empty()) {
    if (const int rc = ares_set_servers_ports_csv(impl_->channel, csv.c_str());
        rc != ARES_SUCCESS) {
      throw std::runtime_error("c-ares: cannot use resolvers " + csv + ": " + ares_strerror(rc));
    }
  }
}

OriginResolver::~OriginResolver() = default;

asio::awaitable<Resolved> OriginResolver::resolve(std::string host) {
  Impl& impl = *impl_;
  if (auto it = impl.cache.find(host); it != impl.cache.end()) {
    if (it->second.expires > Clock::now()) {
      ++impl.stats.cache_hits;
      co_return it->second.answer;
    }
    impl.cache.erase(it);
  }
  auto initiate = [impl = impl_, host](auto handler) mutable {
    auto work = std::make_shared<decltype(handler)>(std::move(handler));
    impl->start(host, [work](Resolved r) { std::move (*work)(std::move(r)); });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Resolved)>(
      std::move(initiate), asio::use_awaitable);
}

OriginResolver::Stats OriginResolver::stats() const {
  return impl_->stats;
}

}  // namespace shelter::proxy::relay
