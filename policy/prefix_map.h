#pragma once
// Longest-prefix match from IP prefixes to values: the bindings of subscriber addresses and
// networks to households. Read by every query, changed rarely (a reload, a Redis message).

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "policy/address.h"
#include "policy/flat_map.h"

namespace shelter::policy {

/// One hash table per prefix length in use, probed from the longest length down: a lookup costs
/// one masked copy and one hash probe per distinct length (a few in practice: /32, /24, /56,
/// /64, /128), whatever the number of prefixes. IPv4 and IPv6 are kept apart; an IPv4-mapped
/// IPv6 address (::ffff:192.0.2.1, from a dual-stack socket) is looked up as IPv4.
///
/// The tables are FlatMaps (values inline): with 100,000 bound households a probe is one or two
/// cache misses. Not thread-safe for writes; callers that change it while others read hold a
/// lock.
template <typename Value>
class PrefixMap {
 public:
  /// Adds or replaces the value of `prefix`. The network's host bits are ignored.
  void insert(const Cidr& prefix, Value value) {
    Family& family = families_[prefix.network.v6 ? 1 : 0];
    family.table(prefix.prefix_length)
        .insert(key_of(prefix.network, prefix.prefix_length), std::move(value));
  }

  /// The value of the longest prefix holding `address`, or null.
  const Value* find(Address address) const {
    address = address.unmapped();
    const Family& family = families_[address.v6 ? 1 : 0];
    for (const auto& [length, table] : family.tables) {
      if (const Value* v = table.find(key_of(address, length))) return v;
    }
    return nullptr;
  }

  /// The value bound to exactly this prefix, or null.
  const Value* find_exact(const Cidr& prefix) const {
    const Family& family = families_[prefix.network.v6 ? 1 : 0];
    const FlatTable* table = family.existing(prefix.prefix_length);
    return table ? table->find(key_of(prefix.network, prefix.prefix_length)) : nullptr;
  }

  /// Removes exactly this prefix; true when it was bound.
  bool erase(const Cidr& prefix) {
    Family& family = families_[prefix.network.v6 ? 1 : 0];
    auto it = std::find_if(family.tables.begin(), family.tables.end(),
                           [&](const auto& t) { return t.first == prefix.prefix_length; });
    if (it == family.tables.end()) return false;
    if (!it->second.erase(key_of(prefix.network, prefix.prefix_length))) return false;
    if (it->second.size() == 0) family.tables.erase(it);
    return true;
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const Family& family : families_) {
      for (const auto& [length, table] : family.tables)
        n += table.size();
    }
    return n;
  }

 private:
  using Key = std::array<std::uint8_t, 16>;
  // Both halves of the key multiplied and folded: addresses differ in few bits, often the
  // last ones, and every bit must reach the slot index.
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint64_t a = 0;
      std::uint64_t b = 0;
      for (std::size_t i = 0; i < 8; ++i) {
        a = a << 8 | k[i];
        b = b << 8 | k[8 + i];
      }
      std::uint64_t h = (a ^ (b * 0xc2b2ae3d27d4eb4fULL)) * 0x9e3779b97f4a7c15ULL;
      return static_cast<std::size_t>(h ^ (h >> 29));
    }
  };
  using FlatTable = FlatMap<Key, Value, KeyHash>;

  struct Family {
    std::vector<std::pair<std::uint8_t, FlatTable>> tables;  // longest prefix first

    FlatTable& table(std::uint8_t length) {
      auto it = std::find_if(tables.begin(), tables.end(),
                             [&](const auto& t) { return t.first <= length; });
      if (it == tables.end() || it->first != length) it = tables.insert(it, {length, FlatTable{}});
      return it->second;
    }
    const FlatTable* existing(std::uint8_t length) const {
      for (const auto& [l, t] : tables) {
        if (l == length) return &t;
      }
      return nullptr;
    }
  };

  static Key key_of(const Address& a, unsigned bits) { return a.masked(bits).bytes; }

  std::array<Family, 2> families_;  // [0] IPv4, [1] IPv6
};

}  // namespace shelter::policy
