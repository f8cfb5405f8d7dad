#include "proxy/web/csrf.h"

#include <optional>

namespace shelter::proxy::web {
namespace {

constexpr char kSeparator = '\x1f';

std::string purpose_of(std::string_view form) {
  return "csrf:" + std::string(form);
}

// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d, an IPv4 one as a.b.c.d: the
// form may be served by one and posted to the other.
std::string address_text(const net::Address& client) {
  return client.unmapped().to_string();
}

}  // namespace

std::string csrf_token(const TokenKeys& keys, std::string_view form, const net::Address& client,
                       std::int64_t now) {
  return keys.sign(purpose_of(form), seconds_text(now) + kSeparator + address_text(client));
}

bool csrf_valid(const TokenKeys& keys, std::string_view token, std::string_view form,
                const net::Address& client, std::int64_t now, std::int64_t lifetime_seconds) {
  const std::optional<std::string> payload = keys.verify(purpose_of(form), token);
  if (!payload) return false;
  const std::string_view text(*payload);
  const std::size_t at = text.find(kSeparator);
  if (at == std::string_view::npos) return false;
  const std::optional<std::int64_t> issued = parse_seconds(text.substr(0, at));
  return issued && text.substr(at + 1) == address_text(client) &&
         freshness(*issued, now, lifetime_seconds) == Freshness::fresh;
}

}  // namespace shelter::proxy::web
