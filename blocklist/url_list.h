#pragma once
// URL lists: IWF-style CSV (`url[,category[,id]]`) and SquidGuard `urls` files (one
// scheme-less URL a line). Pure: bytes in, Rules out.

#include <string_view>

#include "blocklist/rule.h"

namespace shelter::blocklist {

/// Parses a URL list. Each line is `url`, `url,category` or `url,category,id`, each field
/// optionally RFC 4180 double-quoted (a URL can contain commas; `""` is one quote; a quoted
/// field cannot span lines) and trimmed of blanks. Blank lines and lines whose first non-blank
/// byte is '#' are skipped, and so is the first other line when its first field is "url" in
/// any case (a header); all three count in `skipped`.
/// - The URL is canonicalised (url.h, docs/url-canonical-form.md).
/// - A URL with a path other than "/" becomes a URL-level rule (scope self_only, `path` the
///   canonical path with its query): the exact page, or, when the path ends in '/' and there
///   is no query, everything under it (path_prefix).
/// - A bare host ("example.com", "http://example.com/") becomes a domain-level rule
///   (self_and_below, empty path): the issue's "never the whole host unless the entry is a
///   bare host".
/// - The category column is trimmed and lower-cased into Rule::category; it must be letters,
///   digits, '-' and '_'. Empty means the list's category.
/// - The id column is only checked to be printable ASCII, and otherwise ignored.
/// More than 3 fields, bad quoting, an empty or rejected URL, a bad category or id reject the
/// line (an issue with its 1-based line number and the reason, quoting the field) and parsing
/// goes on. Rules are all block rules; their views are valid during the sink call only.
ParseSummary parse_url_list(std::string_view text, const RuleSink& sink);

}  // namespace shelter::blocklist
