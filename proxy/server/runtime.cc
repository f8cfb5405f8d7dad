#include "proxy/server/runtime.h"

#include <algorithm>

#include "proxy/dns/structured_error.h"

namespace shelter::proxy::server {

dns::CacheLimits cache_limits(const config::CacheConfig& cache) {
  return {.max_entries = cache.max_entries,
          .min_ttl = cache.min_ttl,
          .max_ttl = cache.max_ttl,
          .max_negative_ttl = cache.max_negative_ttl,
          .max_bytes = cache.max_memory_mb << 20};
}

namespace {

// The categories a list's rules can carry: its own, and a SquidGuard tree's per folder. Only
// those pairs get a counter slot of their own: lists x categories would spend slots on pairs
// that never happen.
bool list_makes(const config::Config& config, const blocklist::ListInfo& list,
                std::string_view category) {
  if (list.category == category) return true;
  for (const config::ListConfig& l : config.lists) {
    if (l.id != list.id) continue;
    for (const auto& [folder, c] : l.categories) {
      if (c == category) return true;
    }
  }
  return false;
}

void assign_block_slots(Runtime& runtime, const config::Config& config,
                        const blocklist::Snapshot& snapshot, metrics::BlockSlots& slots) {
  runtime.categories = snapshot.categories().size();
  const auto overflow = static_cast<std::uint16_t>(metrics::kMaxBlockSources - 1);
  for (const blocklist::ListInfo& list : snapshot.lists()) {
    for (const std::string& category : snapshot.categories()) {
      runtime.source_slot.push_back(list_makes(config, list, category)
                                        ? static_cast<std::uint16_t>(slots.slot(list.id, category))
                                        : overflow);
    }
  }
  for (auto [reason, name] : {std::pair{policy::Reason::paused, "paused"},
                              std::pair{policy::Reason::schedule, "schedule"},
                              std::pair{policy::Reason::profile_deny, "profile-deny"},
                              std::pair{policy::Reason::bypass, "bypass"}}) {
    runtime.reason_slot[static_cast<std::size_t>(reason)] =
        static_cast<std::uint16_t>(slots.slot(metrics::kParentalControls, name));
  }
}

}  // namespace

std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const config::Config> config,
                                            std::shared_ptr<const lists::LoadedLists> lists,
                                            std::vector<net::Endpoint> upstreams,
                                            profiles::Subscribers subscribers,
                                            metrics::BlockSlots& slots,
                                            const config::QueryLogConfig* running_query_log) {
  auto runtime = std::make_shared<Runtime>();
  runtime->query_log =
      running_query_log != nullptr ? *running_query_log : config->logging.query_log;
  auto v4 = [](const std::vector<net::Address>& from, auto& to) {
    for (const net::Address& a : from) {
      std::array<std::uint8_t, 4> bytes{};
      std::copy_n(a.bytes.begin(), 4, bytes.begin());
      to.push_back(bytes);
    }
  };
  auto v6 = [](const std::vector<net::Address>& from, auto& to) {
    for (const net::Address& a : from)
      to.push_back(a.bytes);
  };
  v4(config->blocking.block_page_ipv4, runtime->block_page_v4);
  v6(config->blocking.block_page_ipv6, runtime->block_page_v6);
  v4(config->proxy.address_ipv4, runtime->proxy_v4);
  v6(config->proxy.address_ipv6, runtime->proxy_v6);
  if (!config->proxy.cover_names.empty()) {
    runtime->cover_names = std::make_shared<const policy::NameSet>(
        config->proxy.cover_names.begin(), config->proxy.cover_names.end());
  }
  const blocklist::Snapshot& snapshot = *lists->snapshot;
  assign_block_slots(*runtime, *config, snapshot, slots);
  auto structured = [&](std::string justification, policy::BlockEde ede) {
    dns::StructuredError e{.contacts = config->blocking.contact,
                           .justification = std::move(justification),
                           .suberror = std::nullopt,
                           .organisation = config->web.organisation,
                           .language = "en"};
    // Sub-error 6, DNS operator policy, is defined for Blocked; none goes with Censored.
    if (ede == policy::BlockEde::blocked) e.suberror = 6;
    return dns::structured_error_json(e);
  };
  for (const blocklist::ListInfo& list : snapshot.lists()) {
    for (const std::string& category : snapshot.categories()) {
      std::string reason = "Blocked by list '" + list.id + "' (" + category;
      if (!list.authority.empty()) reason += ", " + list.authority;
      reason += "). Appeal: " + list.appeal;
      runtime->block_reason_json.push_back(structured(reason, policy::ede_for(list, category)));
      runtime->block_reason.push_back(std::move(reason));
    }
  }
  for (auto [reason, text] : {
           std::pair{policy::Reason::paused, "Paused by your household's settings"},
           std::pair{policy::Reason::schedule, "Outside the hours your household's settings allow"},
           std::pair{policy::Reason::profile_deny, "Blocked by your household's settings"},
           std::pair{policy::Reason::bypass,
                     "This network filters DNS; encrypted DNS that bypasses it is not available"},
       }) {
    const auto at = static_cast<std::size_t>(reason);
    runtime->reason_text[at] = text;
    runtime->reason_json[at] = structured(text, policy::BlockEde::filtered);
  }
  runtime->category_bits =
      policy::CategoryBits(subscribers.profiles->registry(), snapshot.categories());
  const policy::TrustRules& trust = config->subscribers.trust;
  runtime->reads_client_options =
      !trust.mac_from.empty() || !trust.cpe_id_from.empty() || !trust.client_subnet_from.empty();
  runtime->profiles = std::move(subscribers.profiles);
  runtime->subscribers = std::move(subscribers.directory);
  runtime->config = std::move(config);
  runtime->lists = std::move(lists);
  runtime->upstreams = std::move(upstreams);
  return runtime;
}

}  // namespace shelter::proxy::server
