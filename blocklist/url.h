#pragma once
// The canonical form of a URL, for URL-level list entries and for the URLs the proxy sees.
// Both sides go through the same function, so an entry matches however the URL was spelt.
// The exact rules, each with its test, are in docs/url-canonical-form.md.

#include <optional>
#include <string>
#include <string_view>

namespace shelter::blocklist {

/// A URL reduced to what decides which page it is. Two spellings of one page give equal
/// values, and canonicalise_url(host + path) gives the same value back (a fixed point).
struct CanonicalUrl {
  /// Normalised host: a name as normalise_domain gives it (lower case, no trailing dot, IDNA
  /// A-labels), a dotted-quad IPv4 address, or a bracketed, RFC 5952 IPv6 address
  /// ("[2001:db8::1]").
  std::string host;
  /// Path starting with '/', then '?' and the query when the URL has a non-empty one:
  /// dot-segments removed, runs of '/' collapsed, percent-escapes of unreserved characters
  /// decoded, the others in upper-case hex, bytes RFC 3986 does not allow raw escaped. Never
  /// contains a fragment, a space or a control byte. Host and path together are at most
  /// 8192 bytes.
  std::string path;
};

/// Canonicalises `text`: "http://", "https://", "//" or no scheme at all (list entries such as
/// "example.com/a/b.html" and SquidGuard `urls` lines); user info, the port (any port: the same
/// host and path are the same content) and the fragment are dropped.
/// Returns nullopt, with a short lower-case reason in `error` that never quotes the input (the
/// caller quotes it), for: another scheme, no host, an invalid host (including IPv4 addresses
/// with leading zeros or in shorthand forms), a port outside 1..65535, spaces or control bytes
/// anywhere, non-ASCII bytes outside the host, or over 8192 bytes.
/// Pure and thread-safe; one pass over `text`, about two allocations for an ASCII host.
std::optional<CanonicalUrl> canonicalise_url(std::string_view text, std::string& error);

}  // namespace shelter::blocklist
