#pragma once
// Adblock-style network rules as DNS blocklists use them (AdGuard, uBlock, EasyList subsets).
// Pure: bytes in, Rules out.

#include <string_view>

#include "blocklist/rule.h"

namespace shelter::blocklist {

/// Parses adblock syntax:
/// - `||example.com^`: the domain and its subdomains (domain-level, self_and_below). Without
///   the `^`, and with `^|` or `|` after it, the same. `||*.example.com^` = `||example.com^`.
/// - `||example.com/path^`, `||example.com/path`: URL-level under that host and its
///   subdomains; the canonical path (url.h) is a prefix (with path_separator when `^` follows
///   it); a trailing `|` or `^|` makes it exact. `||example.com/` is domain-level.
/// - `|http://example.com/path`, `|https://...`: URL-level, that host only (self_only), prefix
///   of the path, exact with a trailing `|`. The scheme is not kept; `|http://host/` and
///   `|http://host^` are domain-level for that host only.
/// - A bare `example.com` line (optionally `*.example.com`, `example.com^`) = `||example.com^`,
///   and a hosts-style `0.0.0.0 example.com` line is read as parse_hosts reads it. A bare
///   pattern that does not look like a host (`-ad-banner-`, `.adserver.`) is a substring match:
///   unsupported, as is a bare pattern with a path.
/// - `@@` makes any of these an exception (RuleAction::allow). `$important` sets important (on
///   an exception too: AdGuard's important exception beats important blocks). `$all` and
///   `$match-case` are accepted and change nothing here.
/// - Every other option ($third-party, $script, $domain=..., $dnstype, $client, $badfilter,
///   ..., and options not known at all) narrows a rule in a way only a browser or AdGuard Home
///   can apply, so the rule is counted as unsupported: applying it without the option would
///   over-block. So are cosmetic rules (`##`, `#@#`, `#?#`, `#$#`, `#%#`, `$$`, ...), regular
///   expressions (`/.../`), a `*` inside a host, a port, `^` inside a path, `|` anchors on other
///   schemes, and IP-address patterns (`||1.2.3.4^`, which AdGuard Home matches against the
///   addresses in answers).
/// - `!` lines, `#` lines that are not cosmetic rules, `[Adblock Plus 2.0]` headers and blank
///   lines are skipped.
/// - Malformed rules (`||^`, `@@` alone, an invalid host or URL, an empty option) are counted
///   as rejected with their line and a quoted message, and parsing goes on.
/// The paths of URL-level rules are compared case-sensitively, as canonical paths are; adblock
/// matching without `$match-case` ignores case, so a rule spelt in another case than the page
/// may miss (it never over-blocks).
ParseSummary parse_adblock(std::string_view text, const RuleSink& sink);

}  // namespace shelter::blocklist
