#pragma once
// The parents' portal (docs/portal.md): sign-in per household, first access with the code the
// operator issued, and the household's page where a parent gives each device an age band,
// pauses the internet, changes what is blocked beyond the age band (categories, sites always
// allowed or blocked, safe search, bedtime), and answers "ask my parent" requests in one tap.
// HTML forms that work without script; every change goes through the household store (so it
// is audited, atomic and in force on every node) and says when it took effect.
//
// Security: HTTPS with the operator's certificate (plain HTTP only on loopback); sessions are
// signed, expiring cookies (secure, HttpOnly, SameSite=Strict) that sign-out and a new password
// revoke; every change carries a CSRF token bound to the session; sign-in is throttled per
// account and per address before any password is hashed; cross-site posts are refused; a
// household reaches only its own devices and requests.
//
// Threads: served on the control thread (with the admin API and the stores' writers);
// password hashing runs on a thread of its own so that a sign-in does not hold up the rest.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "proxy/admin/audit.h"
#include "proxy/cases/case_store.h"
#include "proxy/config/config.h"
#include "proxy/http/server.h"
#include "proxy/portal/account_store.h"
#include "proxy/portal/login_throttle.h"
#include "proxy/portal/portal_pages.h"
#include "proxy/profiles/household_activity.h"
#include "proxy/profiles/household_store.h"
#include "proxy/server/runtime.h"
#include "proxy/web/pages.h"
#include "proxy/web/signed_token.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace shelter::proxy::portal {

struct PortalDeps {
  const server::RuntimeHolder& runtime;
  std::shared_ptr<profiles::HouseholdStore> households;
  std::shared_ptr<AccountStore> accounts;
  std::shared_ptr<cases::CaseStore> cases;  ///< null: no requests shown
  std::shared_ptr<const web::TokenKeys> keys;
  std::shared_ptr<admin::AuditTrail> audit;  ///< null: changes are only logged
  std::function<std::shared_ptr<const web::Pages>()> pages;
  /// Weekly block counts and new private-MAC devices (null: those sections are not shown).
  std::shared_ptr<profiles::HouseholdActivity> activity{};
};

/// The portal's TLS context: the certificate chain and key of `settings`, TLS 1.2 and later.
/// Throws std::runtime_error naming the file and what is wrong.
std::shared_ptr<boost::asio::ssl::context> portal_tls_context(const config::PortalConfig& settings);

/// A request's pages, runtime and reader's texts (portal_front.cc).
struct Wording;

class PortalFront {
 public:
  /// Binds every portal.listen endpoint on `io` (throws std::system_error naming it, or
  /// std::runtime_error for the certificate).
  PortalFront(boost::asio::io_context& io, const config::PortalConfig& settings, PortalDeps deps);
  ~PortalFront();
  std::vector<net::Endpoint> local_endpoints() const;
  void stop();

  /// One request (public for tests that need no socket).
  boost::asio::awaitable<http::Response> handle(const http::Request& request);

 private:
  struct Session;
  boost::asio::awaitable<std::optional<Session>> session_of(const http::Request& request);
  // The handlers below write with handle()'s Wording: one per request.
  boost::asio::awaitable<http::Response> sign_in(const http::Request& request, bool post,
                                                 const Wording& w);
  boost::asio::awaitable<http::Response> first_access(const http::Request& request, bool post,
                                                      const Wording& w);
  boost::asio::awaitable<http::Response> home(const http::Request& request, const Session& s,
                                              const Wording& w);
  boost::asio::awaitable<http::Response> change(const http::Request& request, const Session& s,
                                                const Wording& w);
  boost::asio::awaitable<http::Response> settings(const http::Request& request, const Session& s,
                                                  const Wording& w);
  boost::asio::awaitable<http::Response> save_settings(const http::Request& request,
                                                       const Session& s, const Wording& w);
  boost::asio::awaitable<http::Response> answer(const http::Request& request, const Session& s,
                                                const Wording& w);
  boost::asio::awaitable<http::Response> new_device(const http::Request& request, const Session& s,
                                                    const Wording& w);
  boost::asio::awaitable<std::vector<AppealView>> household_appeals(std::string household,
                                                                    const server::Runtime& runtime);
  boost::asio::awaitable<std::optional<ActivitySection>> activity_of(
      const config::HouseholdConfig* household, std::string id);
  boost::asio::awaitable<http::Response> saved(std::chrono::steady_clock::time_point started,
                                               std::uint64_t version);
  boost::asio::awaitable<http::Response> sign_out(const http::Request& request, const Session& s,
                                                  const Wording& w);
  boost::asio::awaitable<bool> password_matches(std::string password, std::string hash);
  boost::asio::awaitable<std::string> new_password_hash(std::string password);
  http::Response signed_in(const Account& account, std::string_view notice);
  std::string cookie_name() const;

  config::PortalConfig settings_;
  PortalDeps deps_;
  bool https_ = false;
  LoginThrottle throttle_;
  boost::asio::thread_pool hashing_{1};
  std::vector<std::unique_ptr<http::Server>> servers_;
};

}  // namespace shelter::proxy::portal
