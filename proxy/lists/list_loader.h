#pragma once
// Reads the configured list sources (files or inline entries) into one blocklist snapshot.
// This is the I/O edge of the blocklist module: parsing and matching stay in blocklist/.

#include <memory>
#include <string>
#include <vector>

#include "blocklist/snapshot.h"
#include "proxy/config/config.h"
#include "proxy/metrics/metrics.h"

namespace shelter::proxy::lists {

struct LoadedLists {
  std::shared_ptr<const blocklist::Snapshot> snapshot;
  std::vector<metrics::ListGauge> gauges;  ///< one per list, in configuration order
  std::vector<std::string> warnings;       ///< malformed lines, per list and line
};

struct ListLoadResult {
  std::shared_ptr<LoadedLists> lists;  ///< null when `errors` is not empty
  std::vector<std::string> errors;     ///< a list could not be read: nothing may be swapped in
};

/// Loads every list. A list whose file cannot be read fails the whole load, so a reload never
/// drops a list (least of all a legal one) by accident; malformed lines are only warnings.
/// `default_appeal` is used for lists that name no appeal route of their own.
ListLoadResult load_lists(const std::vector<config::ListConfig>& lists,
                          const std::string& default_appeal, std::int64_t now_unix);

}  // namespace shelter::proxy::lists
