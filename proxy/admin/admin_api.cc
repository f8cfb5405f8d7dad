#include "proxy/admin/admin_api.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <sstream>

#include "proxy/admin/api_reply.h"
#include "proxy/admin/explain_api.h"
#include "proxy/admin/households_api.h"
#include "proxy/admin/profiles_api.h"
#include "proxy/admin/self_test.h"
#include "proxy/admin/transparency_api.h"
#include "proxy/cases/case_json.h"
#include "proxy/cases/rules.h"
#include "proxy/clock.h"
#include "proxy/http/form.h"
#include "proxy/json_text.h"
#include "proxy/log.h"
#include "proxy/profiles/household.h"
#include "proxy/server/requester.h"

namespace shelter::proxy::admin {
namespace {

namespace json = boost::json;

constexpr std::size_t kMinTokenLength = 32;

// The token's name, when the request carries one of ours (compared in constant time, each).
std::optional<std::string> caller(const http::Request& request, const ApiContext& context) {
  const std::string_view header = request.header("authorization").value_or("");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header.starts_with(kBearer)) return std::nullopt;
  const std::string_view given = header.substr(kBearer.size());
  std::optional<std::string> who;
  for (const ApiToken& t : context.tokens) {
    if (t.token.size() == given.size() &&
        CRYPTO_memcmp(t.token.data(), given.data(), given.size()) == 0) {
      who = t.name;
    }
  }
  return who;
}

template <typename T, typename Write>
std::string json_list(std::string_view key, const std::vector<T>& items, Write write) {
  std::string body = "{\"" + std::string(key) + "\":[";
  for (std::size_t i = 0; i < items.size(); ++i)
    body += (i ? "," : "") + write(items[i]);
  return body + "]}";
}

// Records a case decision in the audit trail (who decided which case; never the site).
boost::asio::awaitable<void> audit_case(const ApiContext& context, const char* action,
                                        std::string target, std::string who, std::string detail) {
  if (!context.audit) co_return;
  AuditEntry entry{.at = clock::now(),
                   .who = std::move(who),
                   .action = action,
                   .target = std::move(target),
                   .detail = std::move(detail)};
  co_await context.audit->record(std::move(entry));
}

// The client's household read from the store, when this node does not hold it in memory yet
// (a fleet node reads a household on its first query from it): so that a preview or a
// self-test gives what that query would get, not the default profile. Null otherwise, and when
// the store cannot be read (then memory decides, as the pages do).
boost::asio::awaitable<std::shared_ptr<const profiles::Household>> stored_household(
    const net::Address& client, const ApiContext& context, const server::Runtime& runtime) {
  if (!context.households) co_return nullptr;
  const server::Requester requester = server::requester_of(client, runtime);
  if (!requester.who || requester.household) co_return nullptr;
  std::optional<config::HouseholdConfig> spec;
  std::string id = requester.who->household;
  try {
    spec = co_await context.households->get(std::move(id));
  } catch (const std::exception& e) {
    log_warn("admin: household " + requester.who->household + " not read: " + e.what());
  }
  if (!spec) co_return nullptr;
  std::vector<std::string> errors;
  co_return profiles::compile_household(*spec, runtime.profiles, errors);
}

boost::asio::awaitable<http::Response> appeals(const http::Request& request,
                                               const ApiContext& context,
                                               const std::vector<std::string_view>& path,
                                               const std::string& who) {
  const std::int64_t now = clock::now();
  if (path.size() == 2 && request.method == "GET") {
    cases::AppealQuery query;
    const std::string status = query_value(request, "status");
    if (status == "all") {
      query.which = cases::AppealQuery::Which::all;
    } else if (status == "closed") {
      query.which = cases::AppealQuery::Which::closed;
    } else if (!status.empty() && status != "open") {
      co_return error_answer(400, "status is open, closed or all");
    }
    query.household = query_value(request, "household");
    const std::vector<cases::Appeal> found = co_await context.store->appeals(query);
    co_return json_answer(200, json_list("appeals", found, [](const cases::Appeal& a) {
                            return cases::to_json(a, cases::Detail::summary);
                          }));
  }
  if (path.size() < 3) co_return error_answer(404, "no such resource");
  const std::string id(path[2]);
  std::optional<cases::Appeal> appeal = co_await context.store->appeal(id);
  if (!appeal) co_return error_answer(404, "no appeal " + id);
  if (path.size() == 3 && request.method == "GET") {
    co_return json_answer(200, cases::to_json(*appeal, cases::Detail::full));
  }
  if (path.size() != 4 || path[3] != "decision" || request.method != "POST") {
    co_return error_answer(404, "no such resource");
  }
  std::string error;
  std::optional<json::object> body = body_object(request, error);
  if (!body) co_return error_answer(400, error);
  const std::optional<cases::Outcome> outcome =
      cases::parse_outcome(string_field(*body, "outcome"));
  if (!outcome) co_return error_answer(400, "outcome is uphold, overturn or refer");
  std::string by = string_field(*body, "by");
  if (by.empty()) by = who;
  cases::Appeal decided;
  try {
    decided = cases::decide_appeal(*appeal, *outcome, string_field(*body, "reason"),
                                   who + (by == who ? "" : " (" + by + ")"), now);
  } catch (const cases::RuleViolation& e) {
    error = e.what();
  }
  if (!error.empty()) co_return error_answer(appeal->closed() ? 409 : 400, error);
  std::optional<cases::OperatorAllow> allow;
  if (*outcome == cases::Outcome::overturn) {
    allow = cases::OperatorAllow{.site = decided.site, .appeal = decided.id, .since = now};
  }
  bool conflict = false;
  try {
    co_await context.store->close_appeal(decided, allow);
  } catch (const cases::CaseConflict& e) {
    conflict = true;
    error = e.what();
  }
  if (conflict) co_return error_answer(409, error);
  log_info("appeal " + decided.id + ": " + std::string(cases::status_name(decided.status)) +
           " by " + decided.decided_by);
  if (*outcome == cases::Outcome::refer && context.send_referral) context.send_referral(decided);
  std::string status_text(cases::status_name(decided.status));
  co_await audit_case(context, "appeal.decide", decided.id, who, std::move(status_text));
  co_return json_answer(200, cases::to_json(decided, cases::Detail::full));
}

boost::asio::awaitable<http::Response> requests(const http::Request& request,
                                                const ApiContext& context,
                                                const std::vector<std::string_view>& path,
                                                const std::string& who) {
  const std::int64_t now = clock::now();
  if (path.size() == 2 && request.method == "GET") {
    cases::RequestQuery query;
    const std::string status = query_value(request, "status");
    if (status == "all") {
      query.which = cases::RequestQuery::Which::all;
    } else if (status == "answered") {
      query.which = cases::RequestQuery::Which::answered;
    } else if (!status.empty() && status != "waiting") {
      co_return error_answer(400, "status is waiting, answered or all");
    }
    query.household = query_value(request, "household");
    std::vector<cases::AccessRequest> found = co_await context.store->requests(query);
    for (cases::AccessRequest& r : found)
      r.status = cases::shown_status(r, now);
    co_return json_answer(200, json_list("requests", found, [](const cases::AccessRequest& r) {
                            return cases::to_json(r);
                          }));
  }
  if (path.size() != 4 || path[3] != "answer" || request.method != "POST") {
    co_return error_answer(404, "no such resource");
  }
  const std::string id(path[2]);
  std::optional<cases::AccessRequest> found = co_await context.store->request(id);
  if (!found) co_return error_answer(404, "no request " + id);
  std::string error;
  std::optional<json::object> body = body_object(request, error);
  if (!body) co_return error_answer(400, error);
  const std::optional<cases::Answer> answer = cases::parse_answer(string_field(*body, "answer"));
  if (!answer) co_return error_answer(400, "answer is 15m, 1h, today, always or keep-blocked");
  const std::string by = string_field(*body, "by");
  std::string answered_by = by.empty() ? who : who + " (" + by + ")";
  cases::AccessRequest answered;
  bool conflict = false;
  try {
    std::shared_ptr<const server::Runtime> runtime = context.runtime.current();
    answered = co_await answer_access_request(*context.store, *runtime, std::move(*found), *answer,
                                              std::move(answered_by));
  } catch (const cases::RuleViolation& e) {
    conflict = true;
    error = e.what();
  } catch (const cases::CaseConflict& e) {
    conflict = true;
    error = e.what();
  }
  if (conflict) co_return error_answer(409, error);
  // The id is the status page's capability: the log gets a prefix, enough to tell requests apart.
  log_info("request " + answered.id.substr(0, 6) + "...: " +
           std::string(cases::answer_name(*answered.answer)) + " by " + answered.answered_by);
  std::string target = answered.id.substr(0, 6) + "...";
  std::string answer_text(cases::answer_name(*answered.answer));
  co_await audit_case(context, "request.answer", std::move(target), who, std::move(answer_text));
  co_return json_answer(200, cases::to_json(answered));
}

boost::asio::awaitable<http::Response> audit_route(const http::Request& request,
                                                   const ApiContext& context) {
  if (!context.audit) co_return error_answer(404, "no audit trail on this node");
  std::size_t limit = 100;
  if (const std::string text = query_value(request, "limit"); !text.empty()) {
    limit = std::strtoul(text.c_str(), nullptr, 10);
    if (limit == 0 || limit > AuditTrail::kMaxRead) {
      co_return error_answer(400, "limit is 1 to " + std::to_string(AuditTrail::kMaxRead));
    }
  }
  const std::vector<AuditEntry> entries = co_await context.audit->recent(limit);
  co_return json_answer(
      200, json_list("entries", entries, [](const AuditEntry& e) { return to_json(e); }));
}

}  // namespace

boost::asio::awaitable<cases::AccessRequest> answer_access_request(cases::CaseStore& store,
                                                                   const server::Runtime& runtime,
                                                                   cases::AccessRequest request,
                                                                   cases::Answer answer,
                                                                   std::string by) {
  // "today" ends at midnight where the household lives.
  const std::shared_ptr<const policy::TimeZone> zone = runtime.zone_of(request.household);
  cases::AccessRequest answered =
      cases::answer_request(std::move(request), answer, std::move(by), clock::now(), *zone);
  co_await store.answer_request(answered, cases::grant_of(answered));
  co_return answered;
}

std::optional<std::vector<ApiToken>> read_api_tokens(std::string_view text, std::string& error) {
  std::vector<ApiToken> tokens;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    ApiToken t;
    std::string extra;
    if (!(words >> t.name)) continue;
    if (!(words >> t.token) || (words >> extra)) {
      error = "line " + std::to_string(number) + ": give a name and a token, separated by a space";
      return std::nullopt;
    }
    if (t.token.size() < kMinTokenLength) {
      error = "line " + std::to_string(number) + ": the token is shorter than " +
              std::to_string(kMinTokenLength) + " characters";
      return std::nullopt;
    }
    for (const ApiToken& other : tokens) {
      if (other.token == t.token) {
        error = "line " + std::to_string(number) + ": the token repeats " + other.name + "'s";
        return std::nullopt;
      }
    }
    tokens.push_back(std::move(t));
  }
  if (tokens.empty()) {
    error = "no tokens";
    return std::nullopt;
  }
  return tokens;
}

boost::asio::awaitable<http::Response> handle_api(const http::Request& request,
                                                  const ApiContext& context) {
  std::optional<std::string> who = caller(request, context);
  if (!who) {
    http::Response r = error_answer(401, "a bearer token of admin.token-file is required");
    r.set("WWW-Authenticate", "Bearer realm=\"shelter\"");
    co_return r;
  }
  const std::vector<std::string_view> path = segments(request.path());
  if (path.size() < 2 || path[0] != "v1") co_return error_answer(404, "no such resource");
  if (path[1] == "test" && path.size() == 3 && path[2] == "clock" && request.method == "POST") {
    if (!context.test_clock)
      co_return error_answer(403, "shelterd was not started with --test-clock");
    std::string error;
    std::optional<json::object> body = body_object(request, error);
    const json::value* advance = body ? body->if_contains("advance") : nullptr;
    if (advance == nullptr || !advance->is_int64()) {
      co_return error_answer(400, "give {\"advance\": seconds}");
    }
    clock::test_offset.fetch_add(advance->as_int64());
    co_return json_answer(200, "{\"now\":" + std::to_string(clock::now()) + "}");
  }
  if (path[1] == "households") {
    HouseholdsApi api{context.runtime, context.households, context.audit, context.accounts,
                      context.access_code_lifetime};
    co_return co_await handle_households(request, api, path, *who);
  }
  if (path[1] == "profiles") {
    HouseholdsApi api{context.runtime, context.households, context.audit, context.accounts,
                      context.access_code_lifetime};
    co_return co_await handle_profiles(request, api, path);
  }
  if (path[1] == "explain" && path.size() == 2 && request.method == "GET") {
    const std::shared_ptr<const server::Runtime> runtime = context.runtime.current();
    const std::optional<net::Address> client = net::Address::parse(query_value(request, "client"));
    std::shared_ptr<const profiles::Household> stored;
    if (client) stored = co_await stored_household(*client, context, *runtime);
    co_return explain(request, *runtime, clock::now(), stored.get());
  }
  if (path[1] == "self-test" && context.keys) {
    if (path.size() == 2 && request.method == "GET") {
      const std::shared_ptr<const server::Runtime> runtime = context.runtime.current();
      const net::Address client = self_test_client(*runtime);
      const std::shared_ptr<const profiles::Household> stored =
          co_await stored_household(client, context, *runtime);
      co_return json_answer(
          200, self_test_report(*runtime, *context.keys, context.node, clock::now(), stored.get()));
    }
    if (path.size() == 3 && path[2] == "verify" && request.method == "POST") {
      const std::optional<bool> valid = verify_self_test(request.body, *context.keys);
      if (!valid) co_return error_answer(400, "the body is not a self-test report");
      co_return json_answer(200, std::string("{\"valid\":") + (*valid ? "true" : "false") + "}");
    }
    co_return error_answer(404, "no such resource");
  }
  if (path[1] == "lists" && context.lists_status) {
    if (path.size() == 2 && request.method == "GET") {
      co_return json_answer(200, context.lists_status());
    }
    if (path.size() == 3 && path[2] == "reload" && request.method == "POST") {
      const std::string outcome = context.reload_lists();
      AuditEntry entry{.at = clock::now(),
                       .who = *who,
                       .action = "lists.reload",
                       .target = "lists",
                       .detail = outcome};
      if (context.audit) co_await context.audit->record(std::move(entry));
      co_return json_answer(
          outcome == "failed" ? 409 : 200,
          "{\"reload\":" + json_string(outcome) + ",\"status\":" + context.lists_status() + "}");
    }
    co_return error_answer(404, "no such resource");
  }
  if (path[1] == "node" && path.size() == 3 && path[2] == "drain" && context.set_draining &&
      context.lists_status) {
    if (request.method != "POST" && request.method != "DELETE") {
      co_return error_answer(405, "POST starts a drain, DELETE ends it");
    }
    const bool on = request.method == "POST";
    context.set_draining(on);
    AuditEntry entry{.at = clock::now(),
                     .who = *who,
                     .action = on ? "node.drain" : "node.undrain",
                     .target = context.node,
                     .detail = on ? "draining" : "in service"};
    if (context.audit) co_await context.audit->record(std::move(entry));
    co_return json_answer(200, std::string("{\"draining\":") + (on ? "true" : "false") +
                                   ",\"status\":" + context.lists_status() + "}");
  }
  if (path[1] == "audit" && path.size() == 2 && request.method == "GET") {
    co_return co_await audit_route(request, context);
  }
  if ((path[1] == "transparency" || path[1] == "transparency.csv") && path.size() == 2 &&
      request.method == "GET" && context.tally) {
    co_return co_await transparency(request, context.runtime, *context.tally, context.store.get(),
                                    path[1] == "transparency.csv");
  }
  if (!context.store) co_return error_answer(404, "no case store on this node");
  std::string failure;
  unsigned status = 503;
  try {
    if (path[1] == "appeals") co_return co_await appeals(request, context, path, *who);
    if (path[1] == "requests") co_return co_await requests(request, context, path, *who);
  } catch (const cases::StoreUnavailable& e) {
    failure = e.what();
  } catch (const cases::StoreFull& e) {
    failure = e.what();
  } catch (const cases::CaseConflict& e) {
    failure = e.what();
    status = 409;
  }
  if (!failure.empty()) co_return error_answer(status, failure);
  co_return error_answer(404, "no such resource");
}

}  // namespace shelter::proxy::admin
