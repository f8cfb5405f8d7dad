#include "policy/category.h"

#include <algorithm>
#include <stdexcept>

namespace shelter::policy {

CategoryId CategoryRegistry::intern(std::string_view name) {
  std::lock_guard lock(mutex_);
  std::string key(name);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  // Names come from operators and parents' profiles: a bound keeps a flood of invented names
  // from growing the table without end.
  if (names_.size() >= 0xffff) throw std::length_error("too many distinct category names");
  auto id = static_cast<CategoryId>(names_.size());
  names_.push_back(key);
  ids_.emplace(std::move(key), id);
  return id;
}

std::size_t CategoryRegistry::size() const {
  std::lock_guard lock(mutex_);
  return names_.size();
}

std::string CategoryRegistry::name(CategoryId id) const {
  std::lock_guard lock(mutex_);
  return id < names_.size() ? names_[id] : std::string();
}

void CategorySet::add(CategoryId id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) ids_.insert(it, id);
}

void CategorySet::remove(CategoryId id) {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it != ids_.end() && *it == id) ids_.erase(it);
}

bool CategorySet::contains(CategoryId id) const {
  return std::binary_search(ids_.begin(), ids_.end(), id);
}

CategoryBits::CategoryBits(CategoryRegistry& registry,
                           std::span<const std::string> snapshot_categories) {
  for (std::size_t bit = 0; bit < snapshot_categories.size() && bit < 64; ++bit) {
    CategoryId id = registry.intern(snapshot_categories[bit]);
    if (id >= bits_.size()) bits_.resize(id + std::size_t{1}, 0);
    bits_[id] |= std::uint64_t{1} << bit;
  }
}

}  // namespace shelter::policy
