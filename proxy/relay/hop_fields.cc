#include "proxy/relay/hop_fields.h"

#include <array>

#include "proxy/http/field_syntax.h"

namespace shelter::proxy::relay {

using http::syntax::iequals;

std::string_view field(const Fields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (iequals(n, name)) return v;
  }
  return {};
}

bool list_has(std::string_view value, std::string_view token) {
  bool found = false;
  http::syntax::for_each_element(
      value, [&](std::string_view item) { found = found || iequals(item, token); });
  return found;
}

bool hop_by_hop(std::string_view name, const Fields& fields) {
  static constexpr std::array<std::string_view, 10> kFields{
      "connection", "keep-alive", "proxy-connection",  "proxy-authorization",
      "te",         "trailer",    "transfer-encoding", "content-length",
      "upgrade",    "expect"};
  for (std::string_view f : kFields) {
    if (iequals(name, f)) return true;
  }
  for (const auto& [n, v] : fields) {
    if (iequals(n, "connection") && list_has(v, name)) return true;
  }
  return false;
}

bool keeps_alive(int version_minor, std::string_view connection) {
  return version_minor >= 1 ? !list_has(connection, "close") : list_has(connection, "keep-alive");
}

}  // namespace shelter::proxy::relay
