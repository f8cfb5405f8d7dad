#pragma once
// Parsing of plain domain lists and hosts files, and domain-name normalisation.
// Pure functions over bytes already in memory: no I/O.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::blocklist {

/// Normalises a domain name for matching: ASCII lower case, one trailing dot removed, and an
/// internationalised name (UTF-8) turned into its IDNA 2008 A-labels with UTS #46 mapping, so
/// "Bücher.example" and "xn--bcher-kva.example" are the same entry.
/// Returns nullopt when the name is not a valid DNS host name: empty, a label empty or over 63
/// octets, the whole over 253 octets, a character outside letters, digits, '-' and '_'
/// (underscore is kept because service names such as `_dmarc` appear in real lists), or UTF-8
/// that IDNA rejects.
/// A single "*." prefix is not accepted here; list formats that know wildcards strip it first.
std::optional<std::string> normalise_domain(std::string_view name);

enum class ListFormat {
  domains,  ///< one name a line; '#' and '!' start comments (whole line or after the name)
  hosts,    ///< `ADDRESS name [name ...]`; '#' starts a comment; localhost-style names skipped
};

/// Parses "domains" or "hosts" (case-sensitive); nullopt for anything else.
std::optional<ListFormat> parse_list_format(std::string_view text);

struct ParseIssue {
  std::size_t line = 0;  ///< 1-based line number
  std::string message;   ///< what is wrong, e.g. "invalid domain name 'a..b'"
};

struct ParseSummary {
  std::size_t taken = 0;     ///< entries handed to the sink
  std::size_t skipped = 0;   ///< blank lines, comments, and hosts-file names such as localhost
  std::size_t rejected = 0;  ///< malformed lines
  /// The first kMaxIssues malformed lines, in order; `rejected` counts them all.
  std::vector<ParseIssue> issues;
  static constexpr std::size_t kMaxIssues = 100;
};

/// Parses a whole list. Calls `add` with each normalised domain. Never throws on bad input:
/// malformed lines are counted and described in the summary and parsing goes on.
/// Accepts LF and CRLF line ends, and a UTF-8 byte-order mark at the start.
ParseSummary parse_list(std::string_view text, ListFormat format,
                        const std::function<void(std::string_view domain)>& add);

}  // namespace shelter::blocklist
