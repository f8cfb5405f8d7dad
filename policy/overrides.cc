#include "policy/overrides.h"

#include <algorithm>

namespace shelter::policy {

void GrantSet::add(std::string site, std::int64_t until) {
  auto [it, inserted] = sites_.try_emplace(std::move(site), until);
  if (!inserted) it->second = std::max(it->second, until);
}

std::int64_t GrantSet::until_for(std::string_view name, std::int64_t now) const {
  // The name, then each parent: a grant of example.com covers www.example.com.
  for (;;) {
    if (auto it = sites_.find(name); it != sites_.end() && it->second > now) return it->second;
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) return 0;
    name.remove_prefix(dot + 1);
  }
}

const GrantSet* Overrides::grants_for(std::string_view household, std::string_view device) const {
  if (grants.empty()) return nullptr;  // the common case: no key built on the query path
  if (!device.empty()) {
    std::string key;
    key.reserve(household.size() + 1 + device.size());
    key.append(household).append(1, '/').append(device);
    if (auto it = grants.find(key); it != grants.end()) return &it->second;
  }
  auto it = grants.find(household);
  return it != grants.end() ? &it->second : nullptr;
}

}  // namespace shelter::policy
