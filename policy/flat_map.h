#pragma once
// A hash map laid out flat: open addressing with linear probing over a power-of-two array, at
// most half full (tombstones included), keys and values inline in the slots. With 100,000
// entries a lookup is one or two cache misses, where std::unordered_map's chained nodes cost
// four or five (bucket, node before, node, value): on a machine where a miss costs 130-250 ns
// that is most of the subscriber lookup (tests/bench/profiles_bench.cc).
// Not thread-safe for writes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace shelter::policy {

template <typename Key, typename Value, typename Hash>
class FlatMap {
 public:
  /// Adds or replaces.
  void insert(Key key, Value value) {
    if ((used_ + deleted_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = home(key);
    std::size_t tomb = slots_.size();
    for (;; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.state == kFull && s.key == key) {
        s.value = std::move(value);
        return;
      }
      if (s.state == kDeleted && tomb == slots_.size()) tomb = i;
      if (s.state == kEmpty) break;
    }
    Slot& target = slots_[tomb != slots_.size() ? tomb : i];
    if (target.state == kDeleted) --deleted_;
    target = Slot{kFull, std::move(key), std::move(value)};
    ++used_;
  }

  /// The value of `key` (any type Hash takes and Key compares equal with), or null.
  template <typename Lookup>
  const Value* find(const Lookup& key) const {
    if (used_ == 0) return nullptr;
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.state == kEmpty) return nullptr;
      if (s.state == kFull && s.key == key) return &s.value;
    }
  }

  template <typename Lookup>
  bool erase(const Lookup& key) {
    if (used_ == 0) return false;
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.state == kEmpty) return false;
      if (s.state == kFull && s.key == key) {
        s = Slot{kDeleted, Key{}, Value{}};  // releases what the slot held
        --used_;
        ++deleted_;
        return true;
      }
    }
  }

  std::size_t size() const { return used_; }

 private:
  static constexpr std::uint8_t kEmpty = 0, kFull = 1, kDeleted = 2;
  struct Slot {
    std::uint8_t state = kEmpty;
    Key key{};
    Value value{};
  };

  std::size_t mask() const { return slots_.size() - 1; }
  template <typename Lookup>
  std::size_t home(const Lookup& key) const {
    return Hash{}(key)&mask();
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    std::size_t size = 16;
    while (size < (used_ + 1) * 4)
      size *= 2;
    slots_.assign(size, Slot{});
    used_ = 0;
    deleted_ = 0;
    for (Slot& s : old) {
      if (s.state == kFull) insert(std::move(s.key), std::move(s.value));
    }
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  std::size_t deleted_ = 0;
};

}  // namespace shelter::policy
