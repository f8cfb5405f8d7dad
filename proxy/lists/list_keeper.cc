#include "proxy/lists/list_keeper.h"

#include <ctime>

#include "proxy/lists/readiness.h"
#include "proxy/log.h"

namespace shelter::proxy::lists {
namespace {

std::string name_of(const ListStatus& list) {
  return std::string(list.legal ? "legal list '" : "list '") + list.id + "'";
}

void log_refusal(const ListStatus& list) {
  std::string line =
      name_of(list) + ": " + std::string(result_name(list.result)) + ": " + list.reason;
  if (list.serving_last_good) {
    line += "; its last good version stays in force (" + std::to_string(list.entries) +
            " entries, accepted " + iso_time(list.accepted_unix) + ")";
  } else {
    line += "; the list is NOT in force";
  }
  // A legal list that is not in force is an error whatever else holds; so is any refusal
  // of a legal list (an authority list should never arrive broken).
  if (list.legal || !list.in_force) {
    log_error(line);
  } else {
    log_warn(line);
  }
}

}  // namespace

LoadContext ListKeeper::context(const config::Config& config, const LoadedLists* running,
                                std::int64_t now_unix) {
  const std::string directory = state_directory_of(config);
  if (!store_ || store_->directory() != directory) {
    store_ = std::make_unique<LastGoodStore>(directory);
  }
  return {.store = store_.get(), .now_unix = now_unix, .running = running};
}

void ListKeeper::commit(const LoadedLists& loaded, std::int64_t now_unix) {
  for (const ListStatus& list : loaded.lists) {
    ++counters_[list.id].loads[static_cast<std::size_t>(list.result)];
    if (is_refusal(list.result)) log_refusal(list);
    if (list.acceptance) {
      const Acceptance& a = *list.acceptance;
      log_warn(name_of(list) + ": taken by the operator's acceptance (" + list.reason +
               "); accepted by " + a.by + " at " + iso_time(a.at_unix) +
               (a.reason.empty() ? "" : ", reason: " + a.reason));
      if (std::string e = store_->use_acceptance(a, now_unix); !e.empty()) {
        log_error(name_of(list) + ": " + e);
      }
    }
    if (list.to_keep) {
      const LastGoodMeta meta{.entries = list.entries,
                              .accepted_unix = list.accepted_unix,
                              .modified_unix = list.to_keep->modified_unix,
                              .fingerprint = list.to_keep->fingerprint};
      if (std::string e = store_->save(list.id, list.to_keep, meta); !e.empty()) {
        log_error(name_of(list) + ": cannot keep this version as the last good one: " + e);
      }
    }
  }
  // A snapshot swapped in is kept as the last good one, once per file (not at every SIGHUP).
  const std::pair identity{loaded.snapshot_mtime, loaded.snapshot_inode};
  if (!loaded.snapshot_path.empty() && store_->persistent() && loaded.refused() == 0 &&
      identity != kept_snapshot_) {
    if (std::string e = store_->save_snapshot(loaded.snapshot_path); !e.empty()) {
      log_error("snapshot: cannot keep it as the last good one: " + e);
    } else {
      kept_snapshot_ = identity;
    }
  }
}

void ListKeeper::count_snapshot_refusal(const LoadedLists& running) {
  for (const ListStatus& list : running.lists)
    ++counters_[list.id].loads[static_cast<std::size_t>(ListResult::refused_snapshot)];
}

void ListKeeper::check_staleness(const LoadedLists& lists, std::int64_t now_unix) {
  for (const ListStatus& list : lists.lists) {
    Counters& c = counters_[list.id];
    const bool stale = is_stale(list, now_unix);
    if (stale == c.stale) continue;
    c.stale = stale;
    if (!stale) {
      log_info(name_of(list) + ": fresh again");
      continue;
    }
    ++c.stale_events;
    const std::string line = name_of(list) + ": stale: the version in force was written " +
                             iso_time(list.modified_unix) + ", longer ago than its max-age (" +
                             std::to_string(list.max_age.count() / 1000) +
                             " s); is its download job running?";
    if (list.legal) {
      log_error(line + " This node is not ready (/readyz) until a fresh version is loaded.");
    } else {
      log_warn(line);
    }
  }
}

std::vector<metrics::ListGauge> ListKeeper::gauges(const LoadedLists& lists,
                                                   std::int64_t now_unix) const {
  std::vector<metrics::ListGauge> out;
  for (const ListStatus& list : lists.lists) {
    metrics::ListGauge g{.id = list.id,
                         .category = list.category,
                         .entries = list.entries,
                         .age_seconds = age_seconds(list, now_unix),
                         .last_good_unix = list.accepted_unix,
                         .serving_last_good = list.serving_last_good,
                         .stale = is_stale(list, now_unix)};
    if (auto it = counters_.find(list.id); it != counters_.end()) {
      g.stale_events = it->second.stale_events;
      for (std::size_t r = 0; r < it->second.loads.size(); ++r) {
        g.loads.emplace_back(result_name(static_cast<ListResult>(r)), it->second.loads[r]);
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

bool ListKeeper::files_settled_after_change(const config::Config& config) {
  std::vector<FileIdentity> now = list_file_identities(config.lists);
  if (now == seen_files_) {
    pending_files_.clear();
    return false;
  }
  if (now != pending_files_) {
    pending_files_ = std::move(now);
    return false;
  }
  pending_files_.clear();
  return true;
}

void ListKeeper::remember_files(const config::Config& config) {
  seen_files_ = list_file_identities(config.lists);
  pending_files_.clear();
}

std::string describe_lists(const LoadedLists& lists) {
  const blocklist::Snapshot& snapshot = *lists.snapshot;
  std::string text = std::to_string(lists.lists.size()) + " lists with " +
                     std::to_string(lists.entries()) + " entries (" +
                     std::to_string(snapshot.domain_rule_count()) + " domain and " +
                     std::to_string(snapshot.url_rule_count()) + " URL rules once merged";
  if (!lists.snapshot_path.empty()) text += ", from snapshot " + lists.snapshot_path;
  text += ")";
  if (std::size_t refused = lists.refused(); refused > 0) {
    text += "; " + std::to_string(refused) + " refused:";
    for (const ListStatus& list : lists.lists) {
      if (is_refusal(list.result)) text += " " + list.id;
    }
  }
  return text;
}

}  // namespace shelter::proxy::lists
