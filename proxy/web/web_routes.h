#pragma once
// The web front's routes beyond the block page itself: "Ask my parent" on the block listener,
// and the public pages (check a site, the appeal form, a case's status, a block explained by
// its token). Each handler checks what it is sent (form token, rate limit, every field), asks
// the case store, and renders a page; the store is awaited, so a slow store never holds a
// web thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "policy/decide.h"
#include "proxy/cases/case_store.h"
#include "proxy/http/message.h"
#include "proxy/http/rate_limiter.h"
#include "proxy/server/block_tally.h"
#include "proxy/server/runtime.h"
#include "proxy/web/block_page.h"
#include "proxy/web/pages.h"
#include "proxy/web/signed_token.h"

namespace shelter::proxy::web {

/// Delivers a legal list's referral to its authority (configured command or webhook) away from
/// the web threads, then records the outcome on the case.
using ReferralSender = std::function<void(const cases::Appeal& appeal)>;

struct RouteContext {
  const server::RuntimeHolder& runtime;
  std::function<std::shared_ptr<const Pages>()> pages;
  std::shared_ptr<cases::CaseStore> store;  ///< null: no appeals or requests on this node
  std::shared_ptr<const TokenKeys> keys;
  ReferralSender send_referral;
  PageCache* cache = nullptr;
  /// The transparency report's block counts; null: no /transparency page.
  std::shared_ptr<server::BlockTally> tally{};
  /// Where page blocks (URL-level entries, decided for the filtering proxy) are counted per
  /// list and category; null: not counted.
  server::SharedBlockCounters* page_blocks = nullptr;
};

class WebRoutes {
 public:
  explicit WebRoutes(RouteContext context);

  /// Whether a request to the block listener must wait for the store ("Ask my parent");
  /// every other one is the block page, answered by block_page() at once.
  static bool awaits(const http::Request& request);
  /// The block listener: the block page for any path, and "Ask my parent" (kAskPath).
  boost::asio::awaitable<http::Response> block_listener(const http::Request& request);
  /// The public listener: /, /check, /check.json, /appeal, /appeal/case, /blocked,
  /// /transparency, /transparency.csv, /venue.
  boost::asio::awaitable<http::Response> public_listener(const http::Request& request);

  /// The block page for `request` at `now`, with its "Report a mistake" link and "Ask my
  /// parent" button. Synchronous: the block page never waits for the store.
  http::Response block_page(const http::Request& request, std::int64_t now) const;

  /// The filtering proxy's question, answered with one decision: for `client` on this page (a
  /// canonical host and path, blocklist::canonicalise_url) at `now`, the block page
  /// (navigation) or a short 403 (sub-resource) when it is blocked, built from `request()`
  /// (called only then); nullopt: forward it. The same decision the block page shows.
  std::optional<http::Response> proxy_page(const net::Address& client, std::string_view host,
                                           std::string_view path, std::int64_t now,
                                           const std::function<http::Request()>& request) const;
  /// The decision on a host alone (TLS, CONNECT): pass it, or refuse it, and why (a host
  /// blocked whole, or only its HTTPS, for a list whose https-pages is "block").
  policy::HostVerdict host_verdict(const net::Address& client, std::string_view host,
                                   std::int64_t now) const;

 private:
  boost::asio::awaitable<http::Response> ask(const http::Request& request);
  boost::asio::awaitable<http::Response> ask_status(const http::Request& request);
  http::Response check(const http::Request& request, bool json);
  http::Response venue(const http::Request& request) const;
  boost::asio::awaitable<http::Response> appeal_form(const http::Request& request);
  boost::asio::awaitable<http::Response> appeal_submit(const http::Request& request);
  boost::asio::awaitable<http::Response> appeal_status(const http::Request& request);
  http::Response explained_block(const http::Request& request);
  boost::asio::awaitable<http::Response> transparency(const http::Request& request, bool csv);
  http::Response page_for(const http::Request& request, std::string_view site,
                          std::string_view path, std::int64_t now) const;
  http::Response render_page(const http::Request& request, std::string_view site,
                             const policy::Decision& decision, const server::Runtime& runtime,
                             policy::Audience audience, bool household, std::int64_t now) const;
  http::Response limited(const http::Request& request, std::int64_t retry_after) const;
  http::Response unavailable(const http::Request& request) const;
  http::Response not_found(const http::Request& request, std::string_view lead_key) const;

  /// A signature of the minute, memoised: the same block asked for again and again (a child
  /// reloading, a page retrying) signs its report link once a minute, not once a request.
  std::string signed_once(std::string key, const std::function<std::string()>& sign) const;

  RouteContext context_;
  mutable std::mutex memo_mutex_;
  mutable std::unordered_map<std::string, std::string> memo_;
  mutable std::int64_t memo_minute_ = 0;
  http::RateLimiter appeal_limiter_;
  http::RateLimiter ask_limiter_;
  http::RateLimiter check_limiter_;
};

}  // namespace shelter::proxy::web
