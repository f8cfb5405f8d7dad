#include "proxy/admin/api_reply.h"

#include "proxy/http/form.h"
#include "proxy/json_text.h"

namespace shelter::proxy::admin {

namespace json = boost::json;

http::Response json_answer(unsigned status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

http::Response error_answer(unsigned status, std::string_view message) {
  return json_answer(status, "{\"error\":" + json_string(message) + "}");
}

http::Response error_answer(unsigned status, std::string_view message,
                            const std::vector<std::string>& reasons) {
  std::string body = "{\"error\":" + json_string(message) + ",\"reasons\":[";
  for (std::size_t i = 0; i < reasons.size(); ++i)
    body += (i ? "," : "") + json_string(reasons[i]);
  return json_answer(status, body + "]}");
}

std::optional<json::object> body_object(const http::Request& request, std::string& error) {
  json::error_code ec;
  json::value v = json::parse(request.body, ec);
  if (ec || !v.is_object()) {
    error = "the body is not a JSON object";
    return std::nullopt;
  }
  return std::move(v.as_object());
}

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string query_value(const http::Request& request, std::string_view name) {
  http::FormResult parsed = http::parse_form(request.query());
  if (!parsed.form) return {};
  return std::string(parsed.form->get(name).value_or(""));
}

std::optional<std::size_t> page_limit(const http::Request& request, std::size_t fallback,
                                      std::size_t max) {
  const std::string text = query_value(request, "limit");
  if (text.empty()) return fallback;
  std::size_t limit = 0;
  try {
    limit = std::stoul(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (limit == 0 || limit > max) return std::nullopt;
  return limit;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

}  // namespace shelter::proxy::admin
