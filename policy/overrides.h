#pragma once
// What people's answers put in force on top of lists and profiles: sites an operator allowed
// for everyone after overturning an appeal, and sites a parent allowed for a while for one
// household or device ("Ask my parent"). Held by every node; decide() reads them.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/entry_set.h"
#include "policy/string_hash.h"

namespace shelter::policy {

/// One subscriber's grants: site -> the UTC second it ends (a site covers the names below it).
class GrantSet {
 public:
  /// Keeps the later end when `site` is granted twice.
  void add(std::string site, std::int64_t until);
  /// When the grant covering `name` ends, if one is in force at `now`; else 0.
  std::int64_t until_for(std::string_view name, std::int64_t now) const;
  bool empty() const { return sites_.empty(); }
  std::size_t size() const { return sites_.size(); }

 private:
  std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> sites_;
};

struct Overrides {
  /// Lifts every list block but a legal list's, for everyone; a parent's own deny still wins.
  EntrySet operator_allow;
  /// By "household" (the whole household) or "household/device".
  std::unordered_map<std::string, GrantSet, StringHash, std::equal_to<>> grants;

  /// The device's grants when it has any, else the household's; null when neither has.
  const GrantSet* grants_for(std::string_view household, std::string_view device) const;
};

}  // namespace shelter::policy
