#pragma once
// shelterd's web front: the block page listener (on the block addresses) and the public pages
// listener (check a site, appeals), served by threads of their own, so that a long list reload
// on the control thread never stalls a page. The routes (web_routes.h) read the published
// Runtime and the pages and await the case store; the HTTP core (proxy/http) does the I/O.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/cases/case_store.h"
#include "proxy/http/message.h"
#include "proxy/http/server.h"
#include "proxy/server/runtime.h"
#include "proxy/web/pages.h"
#include "proxy/web/signed_token.h"
#include "proxy/web/web_routes.h"

namespace shelter::proxy::web {

class WebFront {
 public:
  /// Binds every web listener of the runtime's configuration (throws std::system_error naming
  /// the one that failed). Serves once start() is called. `store` null: no appeals or access
  /// requests (the pages say where to write instead). `tally` null: no transparency page;
  /// `page_blocks` (outliving the front): where the proxy's page blocks are counted.
  WebFront(const server::RuntimeHolder& runtime, std::shared_ptr<const Pages> pages,
           std::shared_ptr<cases::CaseStore> store, std::shared_ptr<const TokenKeys> keys,
           ReferralSender send_referral, std::shared_ptr<server::BlockTally> tally = nullptr,
           server::SharedBlockCounters* page_blocks = nullptr);
  ~WebFront();
  WebFront(const WebFront&) = delete;
  WebFront& operator=(const WebFront&) = delete;

  void start();
  void stop();
  /// New pages after a reload (a changed pages directory).
  void set_pages(std::shared_ptr<const Pages> pages);
  /// The pages in force (the portal writes with them too).
  std::shared_ptr<const Pages> pages() const;
  /// "block page on 127.0.0.1:8081, public pages on 127.0.0.1:8080", for the ready line.
  std::string describe() const;
  http::Server::Stats stats() const;

  /// For the filtering proxy (proxy/relay): the page decision and its block page, the host
  /// decision, and the block listener's own paths (/.shelter/..., "Ask my parent") on a steered
  /// host.
  std::optional<http::Response> proxy_page(const net::Address& client, std::string_view host,
                                           std::string_view path, std::int64_t now,
                                           const std::function<http::Request()>& request) const;
  policy::HostVerdict host_verdict(const net::Address& client, std::string_view host,
                                   std::int64_t now) const;
  boost::asio::awaitable<http::Response> shelter_path(const http::Request& request) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::web
