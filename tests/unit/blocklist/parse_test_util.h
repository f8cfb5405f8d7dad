#pragma once
// What the parser tests share.

#include <cstddef>
#include <vector>

#include "blocklist/rule.h"

namespace shelter::blocklist::test {

/// The line numbers of a summary's issues, in order.
inline std::vector<std::size_t> issue_lines(const ParseSummary& summary) {
  std::vector<std::size_t> lines;
  for (const auto& issue : summary.issues)
    lines.push_back(issue.line);
  return lines;
}

}  // namespace shelter::blocklist::test
