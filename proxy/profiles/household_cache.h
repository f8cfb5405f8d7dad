#pragma once
// The compiled households a node keeps in memory (RedisDirectory's cache), bounded by an estimate
// of their bytes and by a count, evicting with CLOCK (second chance).
//
// Why CLOCK and not LRU: a hit must stay as cheap as the hash lookup it is, under the shared
// lock every worker takes. LRU moves the entry to the front of a list on every hit, a write that
// needs the exclusive lock; CLOCK only sets the entry's referenced bit (a relaxed atomic store,
// skipped when it is set already, so a hot entry's cache line is not written at all). Eviction
// sweeps a hand over the entries: one with the bit set has it cleared and is passed over (its
// second chance), the first without it goes. A household asked for since the hand last passed
// survives; a cold one goes first.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/string_hash.h"
#include "proxy/profiles/household.h"

namespace shelter::proxy::profiles {

/// Threads: find() may run concurrently with other find()s (the owner holds a shared lock);
/// every other member needs exclusive access (the owner's unique lock).
class HouseholdCache {
 public:
  struct Limits {
    std::size_t max_bytes = 256u << 20;  ///< the estimated bytes of every entry together
    std::size_t max_entries = 200'000;   ///< households, known or absent
  };

  explicit HouseholdCache(Limits limits) : limits_(limits) {}

  /// The cached state (a null state: the store has no such household), or null when it is not
  /// cached. Marks the entry as referenced. The pointer is valid until the next change.
  const std::shared_ptr<const Household>* find(std::string_view household) const;

  /// Caches `state` (null: absent) for `household`, replacing what was there, after evicting
  /// until both limits have room for it. One entry over the whole memory budget is still kept,
  /// alone: the bound is then that entry's size.
  void insert(const std::string& household, std::shared_ptr<const Household> state);
  /// False when it was not cached.
  bool erase(std::string_view household);
  void clear();

  std::size_t size() const { return map_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t evictions() const { return evictions_; }

  /// What one entry is estimated to cost: the household, its key and the cache's own node.
  static std::size_t entry_bytes(std::string_view household, const Household* state);

 private:
  struct Entry {
    std::shared_ptr<const Household> state;
    std::size_t bytes = 0;
    std::size_t slot = 0;  // its place on the clock's face (ring_)
    mutable std::atomic<bool> referenced{false};
  };
  using Map = std::unordered_map<std::string, Entry, policy::StringHash, std::equal_to<>>;

  bool full_for(std::size_t more_bytes) const;
  void evict_one();
  void remove(Map::iterator it);

  Limits limits_;
  Map map_;
  // The clock's face: the map's elements (their addresses are stable) in sweep order. A removed
  // entry's slot takes the last one, so removal is O(1) and the face has no holes.
  std::vector<Map::value_type*> ring_;
  std::size_t hand_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace shelter::proxy::profiles
