#include "proxy/http/message.h"

#include <algorithm>

namespace shelter::proxy::http {

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string Request::host() const {
  std::string_view h = header("host").value_or("");
  if (h.starts_with('[')) {
    h = h.substr(0, h.find(']') == std::string_view::npos ? h.size() : h.find(']') + 1);
  } else {
    h = h.substr(0, h.find(':'));
  }
  std::string out(h);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; });
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string_view Request::path() const {
  return std::string_view(target).substr(0, target.find('?'));
}

std::string_view Request::query() const {
  const std::size_t q = target.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1);
}

void Response::set(std::string name, std::string value) {
  for (auto& [key, old] : headers) {
    if (key == name) {
      old = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

Response text_response(unsigned status, std::string_view text) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(text) + "\n";
  return r;
}

}  // namespace shelter::proxy::http
