#include "proxy/web/web_front.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <mutex>
#include <thread>

#include "proxy/clock.h"
#include "proxy/web/block_page.h"

namespace shelter::proxy::web {

namespace asio = boost::asio;

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
  std::unique_ptr<WebRoutes> routes;

  Impl(const server::RuntimeHolder& r, std::shared_ptr<const Pages> p)
      : runtime(r), pages(std::move(p)) {}

  std::shared_ptr<const Pages> current_pages() const {
    std::lock_guard lock(pages_mutex);
    return pages;
  }

  // The pages in the cache were rendered with the runtime and pages in force: forget them when
  // either changed (a reload, an override published).
  void check_cache() const {
    std::shared_ptr<const server::Runtime> now_runtime = runtime.current();
    std::shared_ptr<const Pages> now_pages = current_pages();
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
};

WebFront::WebFront(const server::RuntimeHolder& runtime, std::shared_ptr<const Pages> pages,
                   std::shared_ptr<cases::CaseStore> store, std::shared_ptr<const TokenKeys> keys,
                   ReferralSender send_referral, std::shared_ptr<server::BlockTally> tally,
                   server::SharedBlockCounters* page_blocks)
    : impl_(std::make_unique<Impl>(runtime, std::move(pages))) {
  const config::WebConfig& web = runtime.current()->config->web;
  impl_->thread_count = web.threads;
  impl_->routes = std::make_unique<WebRoutes>(
      RouteContext{.runtime = runtime,
                   .pages = [impl = impl_.get()] { return impl->current_pages(); },
                   .store = std::move(store),
                   .keys = std::move(keys),
                   .send_referral = std::move(send_referral),
                   .cache = &impl_->cache,
                   .tally = std::move(tally),
                   .page_blocks = page_blocks});
  http::ServerLimits limits;
  limits.header_timeout = web.header_timeout;
  limits.idle_timeout = web.idle_timeout;
  limits.max_connections = web.max_connections;
  limits.max_connections_per_client = web.max_connections_per_client;
  limits.max_requests_per_connection = web.max_requests_per_connection;
  limits.threads = web.threads;
  Impl* impl = impl_.get();
  for (const net::Endpoint& endpoint : web.block_listen) {
    impl_->servers.push_back(std::make_unique<http::Server>(
        impl_->io, endpoint, limits, http::Handler([impl](const http::Request& r) {
          impl->check_cache();
          return impl->routes->block_page(r, clock::now());
        }),
        http::AsyncHandler(
            [impl](const http::Request& r) { return impl->routes->block_listener(r); }),
        [](const http::Request& r) { return WebRoutes::awaits(r); }, "block page"));
    impl_->names.push_back("block page on " + impl_->servers.back()->local_endpoint().to_string());
  }
  for (const net::Endpoint& endpoint : web.public_listen) {
    impl_->servers.push_back(std::make_unique<http::Server>(
        impl_->io, endpoint, limits, http::AsyncHandler([impl](const http::Request& r) {
          return impl->routes->public_listener(r);
        }),
        "public pages"));
    impl_->names.push_back("public pages on " +
                           impl_->servers.back()->local_endpoint().to_string());
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

std::shared_ptr<const Pages> WebFront::pages() const {
  return impl_->current_pages();
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

std::optional<http::Response> WebFront::proxy_page(
    const net::Address& client, std::string_view host, std::string_view path, std::int64_t now,
    const std::function<http::Request()>& request) const {
  // The page cache is checked only for a page to render: forwarded requests take no lock.
  return impl_->routes->proxy_page(client, host, path, now, [this, &request] {
    impl_->check_cache();
    return request();
  });
}

policy::HostVerdict WebFront::host_verdict(const net::Address& client, std::string_view host,
                                           std::int64_t now) const {
  return impl_->routes->host_verdict(client, host, now);
}

asio::awaitable<http::Response> WebFront::shelter_path(const http::Request& request) const {
  return impl_->routes->block_listener(request);
}

}  // namespace shelter::proxy::web
