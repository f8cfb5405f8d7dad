#include "proxy/server/runtime.h"

#include <algorithm>

namespace shelter::proxy::server {

dns::CacheLimits cache_limits(const config::CacheConfig& cache) {
  return {.max_entries = cache.max_entries,
          .min_ttl = cache.min_ttl,
          .max_ttl = cache.max_ttl,
          .max_negative_ttl = cache.max_negative_ttl,
          .max_bytes = cache.max_memory_mb << 20};
}

std::shared_ptr<const Runtime> make_runtime(std::shared_ptr<const config::Config> config,
                                            std::shared_ptr<const lists::LoadedLists> lists,
                                            std::vector<config::Endpoint> upstreams,
                                            metrics::CategorySlots& slots) {
  auto runtime = std::make_shared<Runtime>();
  for (const config::Address& a : config->blocking.block_page_ipv4) {
    std::array<std::uint8_t, 4> bytes{};
    std::copy_n(a.bytes.begin(), 4, bytes.begin());
    runtime->block_page_v4.push_back(bytes);
  }
  for (const config::Address& a : config->blocking.block_page_ipv6) {
    runtime->block_page_v6.push_back(a.bytes);
  }
  for (const blocklist::ListInfo& list : lists->snapshot->lists()) {
    runtime->category_slot.push_back(slots.slot(list.category));
    std::string reason = "Blocked by list '" + list.id + "' (" + list.category;
    if (!list.authority.empty()) reason += ", " + list.authority;
    reason += "). Appeal: " + list.appeal;
    runtime->block_reason.push_back(std::move(reason));
  }
  runtime->config = std::move(config);
  runtime->lists = std::move(lists);
  runtime->upstreams = std::move(upstreams);
  return runtime;
}

}  // namespace shelter::proxy::server
