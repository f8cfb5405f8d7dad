#pragma once
// The appeal workflow on /metrics: open cases by route and age, decisions by outcome, and the
// time to a decision (median and 90th percentile), from the store's cases. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/cases/case.h"

namespace shelter::proxy::cases {

/// Prometheus text for `appeals` (every case the store keeps) and `requests` at `now`.
std::string render_case_metrics(const std::vector<Appeal>& appeals,
                                const std::vector<AccessRequest>& requests, std::int64_t now);

}  // namespace shelter::proxy::cases
