#pragma once
// The text formats a list file can be in, and one entry point that parses any of them.

#include <optional>
#include <string_view>

#include "blocklist/rule.h"

namespace shelter::blocklist {

enum class ListFormat {
  domains,  ///< one name a line (domain_list.h)
  hosts,    ///< hosts file (domain_list.h)
  adblock,  ///< adblock network rules (adblock_list.h)
  rpz,      ///< RPZ zone file (rpz_zone.h)
  urls,     ///< IWF-style CSV or SquidGuard `urls` file (url_list.h)
};

/// "domains", "hosts", "adblock", "rpz" or "urls" (case-sensitive); nullopt for anything else.
std::optional<ListFormat> parse_list_format(std::string_view text);

/// The name parse_list_format accepts for `format`.
std::string_view format_name(ListFormat format);

/// Parses a whole list in `format`, calling `sink` for every rule. Never throws on bad input.
ParseSummary parse_rules(std::string_view text, ListFormat format, const RuleSink& sink);

}  // namespace shelter::blocklist
