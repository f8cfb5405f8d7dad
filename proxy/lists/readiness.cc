#include "proxy/lists/readiness.h"

#include <algorithm>

#include "proxy/json_text.h"

namespace shelter::proxy::lists {
namespace {

std::string duration_words(std::int64_t seconds) {
  if (seconds >= 2 * 86'400) return std::to_string(seconds / 86'400) + " days";
  if (seconds >= 2 * 3'600) return std::to_string(seconds / 3'600) + " hours";
  if (seconds >= 2 * 60) return std::to_string(seconds / 60) + " minutes";
  return std::to_string(seconds) + " s";
}

std::string name_of(const ListStatus& list) {
  return std::string(list.legal ? "legal list '" : "list '") + list.id + "'";
}

std::string list_json(const ListStatus& l, std::int64_t now_unix) {
  const std::int64_t max_age = l.max_age.count() / 1000;
  return "{\"id\":" + json_string(l.id) + ",\"legal\":" + (l.legal ? "true" : "false") +
         ",\"in_force\":" + (l.in_force ? "true" : "false") +
         ",\"serving_last_good\":" + (l.serving_last_good ? "true" : "false") +
         ",\"entries\":" + std::to_string(l.entries) +
         ",\"last_result\":" + json_string(result_name(l.result)) +
         ",\"reason\":" + json_string(l.reason) +
         ",\"last_good_unix\":" + std::to_string(l.accepted_unix) +
         ",\"age_seconds\":" + std::to_string(age_seconds(l, now_unix)) +
         ",\"max_age_seconds\":" + std::to_string(max_age) +
         ",\"stale\":" + (is_stale(l, now_unix) ? "true" : "false") + "}";
}

}  // namespace

std::int64_t age_seconds(const ListStatus& list, std::int64_t now_unix) {
  const std::int64_t since = list.modified_unix != 0 ? list.modified_unix : list.accepted_unix;
  return std::max<std::int64_t>(0, now_unix - since);
}

bool is_stale(const ListStatus& list, std::int64_t now_unix) {
  return list.in_force && list.max_age.count() > 0 &&
         age_seconds(list, now_unix) * 1000 > list.max_age.count();
}

std::string_view ready_state_name(ReadyState state) {
  switch (state) {
    case ReadyState::ready:
      return "ready";
    case ReadyState::degraded:
      return "degraded";
    case ReadyState::unready:
      return "unready";
    case ReadyState::draining:
      return "draining";
  }
  return "unready";
}

Readiness assess_readiness(const std::vector<ListStatus>& lists, std::int64_t now_unix,
                           const UpstreamHealth& upstreams, bool draining) {
  Readiness r;
  std::vector<std::string> unready;
  if (draining) {
    unready.emplace_back(
        "draining: taken out of service by the operator (DELETE /v1/node/drain puts it back)");
  }
  std::vector<std::string> degraded;
  for (const ListStatus& l : lists) {
    auto& bucket = l.legal ? unready : degraded;
    if (!l.in_force) {
      bucket.push_back(name_of(l) + " has no good version in force (" +
                       std::string(result_name(l.result)) + ": " + l.reason + ")");
      continue;
    }
    if (is_stale(l, now_unix)) {
      bucket.push_back(name_of(l) + " is stale: last updated " +
                       duration_words(age_seconds(l, now_unix)) + " ago, max-age " +
                       duration_words(l.max_age.count() / 1000));
    }
    if (l.serving_last_good) {
      degraded.push_back(name_of(l) + ": new version refused (" +
                         std::string(result_name(l.result)) + ": " + l.reason +
                         "); its last good version is in force");
    }
  }
  if (upstreams.total > 0 && upstreams.up < upstreams.total) {
    degraded.push_back(upstreams.up == 0
                           ? "no upstream resolver is answering"
                           : std::to_string(upstreams.total - upstreams.up) + " of " +
                                 std::to_string(upstreams.total) + " upstream resolvers are down");
  }
  r.state = draining            ? ReadyState::draining
            : !unready.empty()  ? ReadyState::unready
            : !degraded.empty() ? ReadyState::degraded
                                : ReadyState::ready;
  r.problems = std::move(unready);
  r.problems.insert(r.problems.end(), degraded.begin(), degraded.end());

  r.json = "{\"status\":" + json_string(ready_state_name(r.state)) +
           ",\"ready\":" + (r.ready() ? "true" : "false") + ",\"problems\":[";
  for (std::size_t i = 0; i < r.problems.size(); ++i)
    r.json += (i ? "," : "") + json_string(r.problems[i]);
  r.json += "],\"lists\":[";
  for (std::size_t i = 0; i < lists.size(); ++i)
    r.json += (i ? "," : "") + list_json(lists[i], now_unix);
  r.json += "],\"upstreams\":{\"up\":" + std::to_string(upstreams.up) +
            ",\"total\":" + std::to_string(upstreams.total) + "}}\n";
  return r;
}

}  // namespace shelter::proxy::lists
