#pragma once
// Domain-name normalisation, and the two simplest list formats: plain domain lists and hosts
// files. Pure functions over bytes already in memory: no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "blocklist/rule.h"

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

/// Plain domain list: one name a line; '#' starts a comment anywhere, '!' at the start of a
/// line or after the name. Each name is a block rule for the name and every name below it
/// ("*.example.com" is read as "example.com", which already covers its subdomains).
/// Never throws on bad input: malformed lines are counted and described and parsing goes on.
ParseSummary parse_domains(std::string_view text, const RuleSink& sink);

/// Hosts file: `ADDRESS name [name ...]`; '#' starts a comment. Names such as localhost and
/// names that are themselves addresses are skipped. Rules as for parse_domains.
ParseSummary parse_hosts(std::string_view text, const RuleSink& sink);

}  // namespace shelter::blocklist
