#pragma once
// The admin API's decision preview: "what would this client get for this name or URL, and
// why", decided by the same code and data the DNS path and the proxy use, without a query
// being sent. For the operator answering a parent's or a webmaster's question.
//
//   GET /v1/explain?client=ADDRESS&site=NAME       the DNS answer's decision
//   GET /v1/explain?client=ADDRESS&url=URL         the proxy's decision for that page
//
// A legal list's URL rule is never shown (only that a legal list decided, and which).

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/message.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::admin {

/// The decision for `client` and a name (or, `is_url`, a URL) as a JSON object: client,
/// household, device, profile, site, verdict, reason, and the list, category and rule that
/// decided. nullopt, with `error`, when the name or URL does not read. `stored`: the client's
/// household as the store has it, for a node that does not hold it in memory yet (a fleet
/// node reads a household on its first query): what that query would get. Null: memory only.
std::optional<boost::json::object> explain_subject(const server::Runtime& runtime,
                                                   const net::Address& client,
                                                   std::string_view subject, bool is_url,
                                                   std::int64_t now, std::string& error,
                                                   const profiles::Household* stored = nullptr);

/// GET /v1/explain?client=...&site=...|url=...; `stored` as for explain_subject.
http::Response explain(const http::Request& request, const server::Runtime& runtime,
                       std::int64_t now, const profiles::Household* stored = nullptr);

}  // namespace shelter::proxy::admin
