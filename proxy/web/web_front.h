#pragma once
// shelterd's web front: the block page listener (on the block addresses) served by threads of
// its own, so that a long list reload on the control thread never stalls a page. The handlers
// read the published Runtime (lists, profiles, subscribers) and the pages; the HTTP core
// (proxy/http) does the I/O.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/http/message.h"
#include "proxy/http/server.h"
#include "proxy/server/runtime.h"
#include "proxy/web/block_page.h"
#include "proxy/web/pages.h"

namespace shelter::proxy::web {

/// Decides again, for the requester, whether the site in the Host header is blocked, and
/// answers with the block page (or the tiny 403). The decision is the DNS one: the requester is
/// identified by source address (its household's cached profile, else the default profile),
/// then policy::decide runs on the Host. Pure given its arguments.
http::Response answer_block_request(const http::Request& request, const server::Runtime& runtime,
                                    const Pages& pages, std::int64_t now,
                                    PageCache* cache = nullptr);

class WebFront {
 public:
  /// Binds every web listener of the runtime's configuration (throws std::system_error naming
  /// the one that failed). Serves once start() is called.
  WebFront(const server::RuntimeHolder& runtime, std::shared_ptr<const Pages> pages);
  ~WebFront();
  WebFront(const WebFront&) = delete;
  WebFront& operator=(const WebFront&) = delete;

  void start();
  void stop();
  /// New pages after a reload (a changed pages directory).
  void set_pages(std::shared_ptr<const Pages> pages);
  /// "block page on 127.0.0.1:8081", ... for the ready line.
  std::string describe() const;
  http::Server::Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::web
