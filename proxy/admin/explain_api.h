#pragma once
// The admin API's decision preview: "what would this client get for this name or URL, and
// why", decided by the same code and data the DNS path and the proxy use, without a query
// being sent. For the operator answering a parent's or a webmaster's question.
//
//   GET /v1/explain?client=ADDRESS&site=NAME       the DNS answer's decision
//   GET /v1/explain?client=ADDRESS&url=URL         the proxy's decision for that page
//
// A legal list's URL rule is never shown (only that a legal list decided, and which).

#include "proxy/http/message.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::admin {

http::Response explain(const http::Request& request, const server::Runtime& runtime,
                       std::int64_t now);

}  // namespace shelter::proxy::admin
