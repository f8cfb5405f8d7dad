#pragma once
// `shelter-compile --explain`: which rules of which lists match a name or URL, and what the
// lists decide. Formatting only; the matching is the snapshot's own.

#include <string>
#include <string_view>
#include <vector>

#include "blocklist/snapshot.h"
#include "proxy/config/config.h"

namespace shelter::tools {

/// Where a rule came from in the raw lists: "path:line" strings, found by parsing the lists
/// again. Empty when only a compiled snapshot is at hand.
using RuleSources = std::vector<std::string>;

/// The explanation of `subject` (a name, or a URL with or without scheme) against `snapshot`.
/// `lists` are the configured sources when they can be re-read, to give file and line of each
/// matching rule; pass an empty vector when explaining a snapshot file alone.
/// Returns false, with the reason in `out`, when `subject` is neither a valid name nor URL.
bool explain(std::string_view subject, const blocklist::Snapshot& snapshot,
             const std::vector<proxy::config::ListConfig>& lists, bool proxy_configured,
             std::string& out);

}  // namespace shelter::tools
