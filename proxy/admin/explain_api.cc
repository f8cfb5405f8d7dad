#include "proxy/admin/explain_api.h"

#include <boost/json.hpp>

#include "blocklist/domain_list.h"
#include "blocklist/url.h"
#include "proxy/admin/api_reply.h"
#include "proxy/server/requester.h"

namespace shelter::proxy::admin {
namespace {

namespace json = boost::json;

std::string_view verdict_name(policy::Verdict v) {
  switch (v) {
    case policy::Verdict::allow:
      return "allow";
    case policy::Verdict::block:
      return "block";
    case policy::Verdict::steer:
      return "steer";
    case policy::Verdict::rewrite:
      return "rewrite";
  }
  return "?";
}

// What decided, in the words of docs/architecture.md's precedence.
std::string_view reason_name(policy::Reason r) {
  switch (r) {
    case policy::Reason::none:
      return "nothing applies";
    case policy::Reason::list:
      return "list";
    case policy::Reason::helpline:
      return "helpline (never blocked)";
    case policy::Reason::bypass:
      return "encrypted-DNS bypass prevention";
    case policy::Reason::paused:
      return "paused";
    case policy::Reason::schedule:
      return "schedule";
    case policy::Reason::profile_deny:
      return "the profile's own deny entry";
    case policy::Reason::profile_allow:
      return "the profile's own allow entry";
    case policy::Reason::safe_search:
      return "safe search";
    case policy::Reason::granted:
      return "a parent's answer to 'Ask my parent'";
    case policy::Reason::operator_allow:
      return "an operator's allow (an appeal overturned)";
    case policy::Reason::cover_name:
      return "cover name";
  }
  return "?";
}

}  // namespace

std::optional<boost::json::object> explain_subject(const server::Runtime& runtime,
                                                   const net::Address& client,
                                                   std::string_view subject, bool is_url,
                                                   std::int64_t now, std::string& error,
                                                   const profiles::Household* stored) {
  std::string site, path;
  if (!is_url) {
    std::optional<std::string> name = blocklist::normalise_domain(subject);
    if (!name) {
      error = "not a valid name";
      return std::nullopt;
    }
    site = std::move(*name);
  } else {
    std::optional<blocklist::CanonicalUrl> url = blocklist::canonicalise_url(subject, error);
    if (!url) return std::nullopt;
    site = std::move(url->host);
    path = std::move(url->path);
  }
  server::Requester requester = server::requester_of(client, runtime);
  if (stored != nullptr && requester.who && !requester.household) {
    const policy::GrantSet* grants = requester.subject.grants;
    requester.subject = stored->subject(requester.who->device);
    requester.subject.grants = grants;
    requester.household = true;
  }
  const policy::Decision decision = policy::decide({.qname = site, .now = now, .path = path},
                                                   requester.subject, runtime.environment());
  json::object body;
  body["client"] = client.to_string();
  body["household"] = requester.who ? json::value(requester.who->household) : json::value(nullptr);
  body["device"] = requester.who && !requester.who->device.empty()
                       ? json::value(requester.who->device)
                       : json::value(nullptr);
  body["household_found"] = requester.household;
  body["profile"] = requester.subject.profile ? requester.subject.profile->name : "";
  body["site"] = site;
  const bool legal = decision.list != nullptr && decision.list->legal;
  if (!path.empty() && !legal) body["path"] = path;
  body["verdict"] = verdict_name(decision.verdict);
  body["reason"] = reason_name(decision.reason);
  if (decision.list != nullptr) {
    body["list"] = decision.list->id;
    body["legal"] = legal;
    body["category"] = decision.category;
    // The rule that matched: its host, and for an ordinary list its path. A legal list's
    // listed URLs are never shown to anyone.
    std::string rule(decision.rule.host);
    if (!legal) rule += decision.rule.path;
    body["rule"] = rule;
  }
  if (decision.verdict == policy::Verdict::rewrite) body["rewrite_to"] = decision.rewrite_to;
  return body;
}

http::Response explain(const http::Request& request, const server::Runtime& runtime,
                       std::int64_t now, const profiles::Household* stored) {
  const std::optional<net::Address> client = net::Address::parse(query_value(request, "client"));
  if (!client) return error_answer(400, "give client=ADDRESS (an IPv4 or IPv6 address)");
  const std::string site = query_value(request, "site");
  const std::string url = query_value(request, "url");
  if (site.empty() == url.empty()) return error_answer(400, "give either site=NAME or url=URL");
  std::string error;
  std::optional<json::object> body = explain_subject(runtime, *client, site.empty() ? url : site,
                                                     site.empty(), now, error, stored);
  if (!body) return error_answer(400, (site.empty() ? "url: " : "site: ") + error);
  return json_answer(200, json::serialize(*body));
}

}  // namespace shelter::proxy::admin
