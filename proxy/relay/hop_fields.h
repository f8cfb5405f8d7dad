#pragma once
// What the relay reads from a head's fields: a field's value, whether a token list names a
// token, which fields are hop-by-hop, whether a connection stays open. Pure, over the views
// the framing guards give.

#include <string_view>
#include <utility>
#include <vector>

namespace shelter::proxy::relay {

using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

/// The first value of `name` (any case), or "".
std::string_view field(const Fields& fields, std::string_view name);

/// Whether a comma-separated token list (Connection, Upgrade) names `token` (any case).
bool list_has(std::string_view value, std::string_view token);

/// Hop-by-hop fields (RFC 9110 7.6.1), the framing ones and Expect: never forwarded, since each
/// hop (and the relay's re-framing) sets its own; with the fields a Connection header names.
bool hop_by_hop(std::string_view name, const Fields& fields);

/// RFC 9112 9.3: HTTP/1.1 keeps the connection unless told to close; 1.0 only when asked.
bool keeps_alive(int version_minor, std::string_view connection);

}  // namespace shelter::proxy::relay
