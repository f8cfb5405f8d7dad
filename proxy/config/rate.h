#pragma once
// Rates as an operator writes them ("5/hour"): the web front's rate limits.

#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/config.h"

namespace shelter::proxy::config {

/// "10/minute", "5/hour", "100/day", "2/second", or with the units "min", "h", "d", "s";
/// count >= 1, no spaces. nullopt and `error` (quoting nothing) otherwise.
std::optional<RateConfig> parse_rate(std::string_view text, std::string& error);

}  // namespace shelter::proxy::config
