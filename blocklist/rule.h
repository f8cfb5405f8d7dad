#pragma once
// The one shape every list format is parsed into, and the summary every parser returns.
// Parsers (domain_list.h, adblock_list.h, rpz_zone.h, url_list.h) turn bytes into Rules; the
// snapshot builder turns Rules into the compiled snapshot. Nothing here does I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::blocklist {

/// What a rule asks for when it matches.
enum class RuleAction : std::uint8_t {
  block,  ///< block the name or URL
  allow,  ///< an exception: adblock `@@`, RPZ `rpz-passthru.`, or any entry of an allowlist
};

/// Which names a rule's host covers.
enum class HostScope : std::uint8_t {
  self_and_below,  ///< the host and every name below it (domain lists, hosts files, `||x^`)
  self_only,       ///< exactly the host (an RPZ owner name, adblock `|http://host/...`)
  below_only,      ///< only names strictly below the host (RPZ `*.host` alone)
};

/// How a DNS block should be answered. Only RPZ says; other formats use the configured mode.
enum class DnsAnswer : std::uint8_t {
  configured,  ///< the operator's blocking mode (block page, NXDOMAIN, ...)
  nxdomain,    ///< RPZ `CNAME .`
  nodata,      ///< RPZ `CNAME *.`
  local_data,  ///< RPZ local A/AAAA records: answer with `address`
};

/// One parsed entry. Views point into the parser's buffers and are valid only during the sink
/// call; copy what you keep.
struct Rule {
  RuleAction action = RuleAction::block;
  HostScope scope = HostScope::self_and_below;
  /// adblock `$important`: a block that beats ordinary exceptions of its class.
  bool important = false;
  /// Normalised host (normalise_domain), or a canonical IP literal for URL entries.
  std::string_view host;
  /// URL-level rules only: the canonical path, starting with '/', with the query when the
  /// entry has one (see url.h). Empty for a domain-level rule.
  std::string_view path;
  /// URL-level rules only: matches every URL whose path starts with `path` (an IWF entry
  /// ending in '/', an adblock rule); otherwise the path must be equal.
  bool path_prefix = false;
  /// adblock `^` after a path: the prefix must be followed by a separator or the URL's end.
  bool path_separator = false;
  DnsAnswer answer = DnsAnswer::configured;
  /// DnsAnswer::local_data only: the address, 4 bytes (A) or 16 bytes (AAAA) used.
  std::array<std::uint8_t, 16> address{};
  std::uint8_t address_size = 0;
  /// A per-entry category that overrides the list's (IWF CSV column 2, a SquidGuard folder);
  /// empty = the list's category.
  std::string_view category;
  /// 1-based line in the source, for `--explain` and malformed-line reports.
  std::uint32_t line = 0;
};

using RuleSink = std::function<void(const Rule&)>;

struct ParseIssue {
  std::size_t line = 0;  ///< 1-based line number
  std::string message;   ///< what is wrong, e.g. "invalid domain name 'a..b'"
};

struct ParseSummary {
  std::size_t taken = 0;        ///< rules handed to the sink
  std::size_t skipped = 0;      ///< blank lines, comments, and hosts names such as localhost
  std::size_t unsupported = 0;  ///< well-formed but meaningless here: cosmetic or browser-only
                                ///< adblock rules, RPZ triggers other than QNAME, ...
  std::size_t rejected = 0;     ///< malformed lines
  /// The first kMaxIssues malformed lines, in order; `rejected` counts them all.
  std::vector<ParseIssue> issues;
  static constexpr std::size_t kMaxIssues = 100;
};

}  // namespace shelter::blocklist
