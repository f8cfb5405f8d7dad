#pragma once
// CSRF tokens for the forms that have no session (the appeal, "ask my parent"): each names the
// form it was made for and the address it was served to, and expires. Another site can make a
// browser post to the form, but cannot read a token served to that browser's address. Pure
// (fuzzed by token_fuzz).

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/net/endpoint.h"
#include "proxy/web/signed_token.h"

namespace shelter::proxy::web {

/// A token for `form` ("appeal") served to `client` at `now` (UTC seconds, >= 0), signed for the
/// purpose "csrf:<form>". An IPv4-mapped IPv6 address counts as its IPv4 address. Throws
/// std::invalid_argument for a negative `now` or a form name with a NUL byte.
std::string csrf_token(const TokenKeys& keys, std::string_view form, const net::Address& client,
                       std::int64_t now);

/// Whether `token` was made by csrf_token for this `form` and `client`, and is fresh at `now`
/// for `lifetime_seconds` (see freshness()).
bool csrf_valid(const TokenKeys& keys, std::string_view token, std::string_view form,
                const net::Address& client, std::int64_t now, std::int64_t lifetime_seconds);

}  // namespace shelter::proxy::web
