#include "proxy/cases/case_metrics.h"

#include <algorithm>
#include <array>

#include "proxy/cases/rules.h"
#include "proxy/metrics/prometheus_writer.h"

namespace shelter::proxy::cases {
namespace {

// Age bands of open cases: what a reviewer's queue looks like at a glance.
constexpr std::array<std::pair<std::int64_t, std::string_view>, 4> kAges{{
    {86400, "under-1d"},
    {3 * 86400, "1d-3d"},
    {7 * 86400, "3d-7d"},
    {INT64_MAX, "over-7d"},
}};

double quantile(std::vector<std::int64_t> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t index =
      std::min(values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size())));
  return static_cast<double>(values[index]);
}

}  // namespace

std::string render_case_metrics(const std::vector<Appeal>& appeals,
                                const std::vector<AccessRequest>& requests, std::int64_t now) {
  metrics::Writer w;
  std::array<std::array<std::uint64_t, kAges.size()>, 3> open{};
  std::array<std::uint64_t, 4> by_status{};
  std::vector<std::int64_t> decision_seconds;
  for (const Appeal& a : appeals) {
    by_status[static_cast<std::size_t>(a.status)]++;
    if (!a.closed()) {
      const std::int64_t age = now - a.created;
      std::size_t band = 0;
      while (band + 1 < kAges.size() && age >= kAges[band].first)
        ++band;
      open[static_cast<std::size_t>(a.route)][band]++;
    } else if (a.decided_by != "shelter") {  // automatic referrals are not decisions
      decision_seconds.push_back(std::max<std::int64_t>(0, a.decided - a.created));
    }
  }
  w.help("shelter_appeals_open", "gauge", "Open appeals by who reviews them and age.");
  for (Route route : {Route::operator_review, Route::authority, Route::venue}) {
    for (std::size_t band = 0; band < kAges.size(); ++band) {
      w.sample("shelter_appeals_open",
               "route=\"" + std::string(route_name(route)) + "\",age=\"" +
                   std::string(kAges[band].second) + "\"",
               open[static_cast<std::size_t>(route)][band]);
    }
  }
  w.help("shelter_appeals", "gauge",
         "Appeals kept, by status (closed ones until their retention ends).");
  for (AppealStatus s : {AppealStatus::open, AppealStatus::upheld, AppealStatus::overturned,
                         AppealStatus::referred}) {
    w.sample("shelter_appeals", "status=\"" + std::string(status_name(s)) + "\"",
             by_status[static_cast<std::size_t>(s)]);
  }
  w.help("shelter_appeal_decision_seconds", "gauge",
         "Time from an appeal to its decision by a person, over the cases kept.");
  w.sample("shelter_appeal_decision_seconds", "quantile=\"0.5\"", quantile(decision_seconds, 0.5));
  w.sample("shelter_appeal_decision_seconds", "quantile=\"0.9\"", quantile(decision_seconds, 0.9));
  w.sample("shelter_appeal_decision_seconds_count", "",
           static_cast<std::uint64_t>(decision_seconds.size()));
  std::array<std::uint64_t, 4> requests_by{};
  for (const AccessRequest& r : requests) {
    requests_by[static_cast<std::size_t>(shown_status(r, now))]++;
  }
  w.help("shelter_access_requests", "gauge", "\"Ask my parent\" requests kept, by status.");
  for (RequestStatus s : {RequestStatus::waiting, RequestStatus::allowed,
                          RequestStatus::kept_blocked, RequestStatus::expired}) {
    w.sample("shelter_access_requests", "status=\"" + std::string(status_name(s)) + "\"",
             requests_by[static_cast<std::size_t>(s)]);
  }
  return w.take();
}

}  // namespace shelter::proxy::cases
