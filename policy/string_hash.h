#pragma once
// One hash for tables keyed by std::string and looked up by std::string_view (transparent, so
// a lookup never builds a std::string): entry sets, household indexes and caches.

#include <cstddef>
#include <functional>
#include <string_view>

namespace shelter::policy {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace shelter::policy
