#include "proxy/web/web_front.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "blocklist/domain_list.h"
#include "proxy/log.h"
#include "proxy/web/block_page.h"

namespace shelter::proxy::web {
namespace {

namespace asio = boost::asio;

// The requester's subject, as the DNS path finds it, without waiting: a household that is not
// in memory gets the default profile (it was in memory moments ago, when its DNS query was
// answered with the block address).
struct Requester {
  policy::Subject subject;
  std::shared_ptr<const profiles::Household> keep_alive;
  bool household = false;
};

Requester requester_of(const config::Address& client, const server::Runtime& runtime) {
  Requester r;
  r.subject = {.profile = &runtime.profiles->default_profile(),
               .zone = runtime.profiles->default_zone().get()};
  policy::ClientFacts facts;
  facts.source = client;
  const policy::Identity identity =
      runtime.subscribers->identify(facts, runtime.config->subscribers.trust);
  if (!identity.subscriber) return r;
  profiles::Found found = runtime.subscribers->find(identity.subscriber->household);
  if (found.household == nullptr) return r;
  r.keep_alive = std::move(found.keep_alive);
  r.subject = found.household->subject(identity.subscriber->device);
  r.household = true;
  return r;
}

}  // namespace

http::Response answer_block_request(const http::Request& request, const server::Runtime& runtime,
                                    const Pages& pages, std::int64_t now, PageCache* cache) {
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::text_response(405, "method not allowed");
    r.set("Allow", "GET, HEAD");
    return r;
  }
  const std::optional<std::string> site = blocklist::normalise_domain(request.host());
  if (!site) return http::text_response(400, "the Host header does not name a site");
  const Requester requester = requester_of(request.client, runtime);
  const policy::Decision decision =
      policy::decide({.qname = *site, .now = now}, requester.subject, runtime.environment());
  const BlockView view =
      view_of(decision, *site, requester.subject.profile->audience, requester.household);
  return block_response(request, view, pages, runtime.config->web, now, cache);
}

struct WebFront::Impl {
  const server::RuntimeHolder& runtime;
  std::shared_ptr<const Pages> pages;  // guarded by pages_mutex
  mutable std::mutex pages_mutex;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::vector<std::unique_ptr<http::Server>> servers;
  std::vector<std::string> names;
  std::vector<std::thread> threads;
  std::uint32_t thread_count = 1;
  mutable PageCache cache;
  // The runtime and pages the cached pages were rendered with; either changing empties it.
  mutable std::mutex cache_owner_mutex;
  // Weak: the cache must not keep an old list snapshot in memory. Owner equality stays exact
  // after expiry (the control block lives as long as a weak pointer does).
  mutable std::weak_ptr<const server::Runtime> cache_runtime;
  mutable std::weak_ptr<const Pages> cache_pages;

  Impl(const server::RuntimeHolder& r, std::shared_ptr<const Pages> p)
      : runtime(r), pages(std::move(p)) {}

  std::shared_ptr<const Pages> current_pages() const {
    std::lock_guard lock(pages_mutex);
    return pages;
  }

  http::Response handle_block(const http::Request& request) const {
    std::shared_ptr<const server::Runtime> now_runtime = runtime.current();
    std::shared_ptr<const Pages> now_pages = current_pages();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    {
      std::lock_guard lock(cache_owner_mutex);
      auto same = [](const auto& weak, const auto& shared) {
        return !weak.owner_before(shared) && !shared.owner_before(weak);
      };
      if (!same(cache_runtime, now_runtime) || !same(cache_pages, now_pages)) {
        cache.clear();
        cache_runtime = now_runtime;
        cache_pages = now_pages;
      }
    }
    return answer_block_request(request, *now_runtime, *now_pages, now, &cache);
  }
};

WebFront::WebFront(const server::RuntimeHolder& runtime, std::shared_ptr<const Pages> pages)
    : impl_(std::make_unique<Impl>(runtime, std::move(pages))) {
  const config::WebConfig& web = runtime.current()->config->web;
  impl_->thread_count = web.threads;
  http::ServerLimits limits;
  limits.header_timeout = web.header_timeout;
  limits.idle_timeout = web.idle_timeout;
  limits.max_connections = web.max_connections;
  limits.max_connections_per_client = web.max_connections_per_client;
  limits.max_requests_per_connection = web.max_requests_per_connection;
  limits.threads = web.threads;
  for (const config::Endpoint& endpoint : web.block_listen) {
    impl_->servers.push_back(std::make_unique<http::Server>(
        impl_->io, endpoint, limits,
        [impl = impl_.get()](const http::Request& r) { return impl->handle_block(r); },
        "block page"));
    impl_->names.push_back("block page on " + impl_->servers.back()->local_endpoint().to_string());
  }
}

WebFront::~WebFront() {
  stop();
}

void WebFront::start() {
  if (impl_->servers.empty()) return;
  for (std::uint32_t i = 0; i < impl_->thread_count; ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void WebFront::stop() {
  if (impl_->threads.empty() && impl_->io.stopped()) return;
  asio::post(impl_->io, [this] {
    for (auto& server : impl_->servers)
      server->close();
  });
  impl_->work.reset();
  // Connections in keep-alive would hold the threads until their idle deadline: stop now.
  impl_->io.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

void WebFront::set_pages(std::shared_ptr<const Pages> pages) {
  std::lock_guard lock(impl_->pages_mutex);
  impl_->pages = std::move(pages);
}

std::string WebFront::describe() const {
  std::string text;
  for (const std::string& name : impl_->names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

http::Server::Stats WebFront::stats() const {
  http::Server::Stats total;
  for (const auto& server : impl_->servers) {
    const http::Server::Stats s = server->stats();
    total.connections += s.connections;
    total.refused_connections += s.refused_connections;
    total.requests += s.requests;
    total.bad_requests += s.bad_requests;
    total.open += s.open;
  }
  return total;
}

}  // namespace shelter::proxy::web
