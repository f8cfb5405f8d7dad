#pragma once
// Categories as profiles name them ("adult", "gambling", ...) and as list snapshots number
// them. A snapshot numbers its categories in its own order, and it is replaced whenever the
// lists change; profiles live much longer (a store caches thousands). So names are interned once
// into process-wide ids, a profile holds ids, and each snapshot gets a table from id to its own
// bit. Turning a profile into a snapshot mask is then a few array reads per query, and a list
// update never invalidates a cached profile.

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shelter::policy {

using CategoryId = std::uint16_t;

/// Interns category names. Thread-safe; ids are dense, start at 0 and are never reused. Names
/// are compared as given (the configuration lower-cases them).
class CategoryRegistry {
 public:
  CategoryId intern(std::string_view name);
  /// Ids interned so far: every id below this has a name.
  std::size_t size() const;
  std::string name(CategoryId id) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, CategoryId> ids_;
  std::vector<std::string> names_;
};

/// A set of categories, as ids (sorted, unique).
class CategorySet {
 public:
  CategorySet() = default;
  void add(CategoryId id);
  void remove(CategoryId id);
  bool contains(CategoryId id) const;
  std::span<const CategoryId> ids() const { return ids_; }
  bool empty() const { return ids_.empty(); }
  bool operator==(const CategorySet&) const = default;

 private:
  std::vector<CategoryId> ids_;
};

/// One snapshot's view of the registry: for each id, the snapshot's bit for that category
/// (0 when the snapshot has no list of it).
class CategoryBits {
 public:
  CategoryBits() = default;
  /// Interns every category of the snapshot first, so that any id handed out after this table
  /// is built names a category the snapshot does not have (and maps to no bit).
  CategoryBits(CategoryRegistry& registry, std::span<const std::string> snapshot_categories);

  /// The snapshot mask of a set of categories.
  std::uint64_t mask(const CategorySet& set) const {
    std::uint64_t m = 0;
    for (CategoryId id : set.ids()) {
      if (id < bits_.size()) m |= bits_[id];
    }
    return m;
  }
  std::uint64_t bit(CategoryId id) const { return id < bits_.size() ? bits_[id] : 0; }

 private:
  std::vector<std::uint64_t> bits_;
};

}  // namespace shelter::policy
