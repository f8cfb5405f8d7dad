#pragma once
// The operator's admin API (JSON over HTTP on the admin listener, bearer tokens): appeals
// (list, show, decide), access requests (list, answer), households and their devices
// (households_api.h) and the audit trail. shelterctl is its command-line client;
// docs/admin-api.md is the contract.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/admin/audit.h"
#include "proxy/cases/case_store.h"
#include "proxy/http/message.h"
#include "proxy/portal/account_store.h"
#include "proxy/profiles/household_store.h"
#include "proxy/server/block_tally.h"
#include "proxy/server/runtime.h"
#include "proxy/web/signed_token.h"
#include "proxy/web/web_routes.h"

namespace shelter::proxy::admin {

struct ApiToken {
  std::string name;   ///< who: written in the audit log and on decisions ("by")
  std::string token;  ///< at least 32 characters
};

/// Reads admin.token-file: one "name token" per line, '#' comments. Null, with the line and
/// what is wrong in `error`, when a line does not read or a token is short or repeated.
std::optional<std::vector<ApiToken>> read_api_tokens(std::string_view text, std::string& error);

struct ApiContext {
  const server::RuntimeHolder& runtime;
  std::shared_ptr<cases::CaseStore> store;
  std::vector<ApiToken> tokens;
  web::ReferralSender send_referral;
  bool test_clock = false;                                 ///< POST /v1/test/clock is allowed
  std::shared_ptr<profiles::HouseholdStore> households{};  ///< null: /v1/households is off
  std::shared_ptr<AuditTrail> audit{};                     ///< null: changes are not audited
  std::shared_ptr<portal::AccountStore> accounts{};        ///< the portal's; null: no portal
  std::int64_t access_code_lifetime = 7 * 86400;           ///< seconds
  /// GET /v1/lists: the lists in force, as /readyz says them (JSON).
  std::function<std::string()> lists_status{};
  /// POST /v1/lists/reload: reads the lists again now; "swapped in", "partial" or "failed".
  std::function<std::string()> reload_lists{};
  /// POST (true) and DELETE (false) /v1/node/drain: /readyz answers 503 while draining.
  std::function<void(bool)> set_draining{};
  /// Signs self-test reports (the web front's keys); null: no self-test.
  std::shared_ptr<const web::TokenKeys> keys{};
  std::string node{};  ///< this node's name, in self-test reports
  /// The transparency report's block counts; null: /v1/transparency is off.
  std::shared_ptr<server::BlockTally> tally{};
};

/// Answers an access request as `by` (the rules, then the store, which puts the grant in
/// force). Throws cases::RuleViolation (no longer waiting) or cases::CaseConflict (answered
/// meanwhile), and what the store throws. Shared by the admin API and the portal.
boost::asio::awaitable<cases::AccessRequest> answer_access_request(cases::CaseStore& store,
                                                                   const server::Runtime& runtime,
                                                                   cases::AccessRequest request,
                                                                   cases::Answer answer,
                                                                   std::string by);

/// One request to /v1/...: authenticated, checked, answered with JSON ({"error": ...} when
/// refused).
boost::asio::awaitable<http::Response> handle_api(const http::Request& request,
                                                  const ApiContext& context);

}  // namespace shelter::proxy::admin
