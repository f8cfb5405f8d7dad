#pragma once
// The admin API's request and reply helpers, shared by its route files: JSON answers, error
// bodies ({"error": "...", "reasons": [...]}), the request's JSON body and query values, and
// the path split into segments.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/message.h"

namespace shelter::proxy::admin {

http::Response json_answer(unsigned status, std::string body);
http::Response error_answer(unsigned status, std::string_view message);
/// An error with every reason (validation: each names its key).
http::Response error_answer(unsigned status, std::string_view message,
                            const std::vector<std::string>& reasons);

/// The body as a JSON object, or nullopt with `error` set.
std::optional<boost::json::object> body_object(const http::Request& request, std::string& error);
/// The string at `key`, or "" when it is missing or not a string.
std::string string_field(const boost::json::object& o, std::string_view key);
/// The value of `name` in the query string ("" when absent).
std::string query_value(const http::Request& request, std::string_view name);
/// The `limit` query value of a paged list: `fallback` when absent, nullopt when it is not a
/// whole number from 1 to `max`.
std::optional<std::size_t> page_limit(const http::Request& request, std::size_t fallback,
                                      std::size_t max);
/// "/v1/appeals/ABC/decision" -> {"v1", "appeals", "ABC", "decision"}
std::vector<std::string_view> segments(std::string_view path);

}  // namespace shelter::proxy::admin
