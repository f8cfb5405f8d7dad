#pragma once
// Longest-prefix match from IP prefixes to values: the bindings of subscriber addresses and
// networks to households. Built once, then only read.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "policy/address.h"

namespace shelter::policy {

/// One hash map per prefix length in use, probed from the longest length down: a lookup costs
/// one masked copy and one hash probe per distinct length (a few in practice: /32, /24, /56,
/// /64, /128), whatever the number of prefixes. IPv4 and IPv6 are kept apart; an IPv4-mapped
/// IPv6 address (::ffff:192.0.2.1, from a dual-stack socket) is looked up as IPv4.
template <typename Value>
class PrefixMap {
 public:
  /// Adds or replaces the value of `prefix`. The network's host bits are ignored.
  void insert(const Cidr& prefix, Value value) {
    Table& table = tables_[prefix.network.v6 ? 1 : 0];
    auto& bucket = table.by_length[prefix.prefix_length];
    bucket.insert_or_assign(key_of(prefix.network, prefix.prefix_length), std::move(value));
    auto& lengths = table.lengths;
    if (std::find(lengths.begin(), lengths.end(), prefix.prefix_length) == lengths.end()) {
      lengths.push_back(prefix.prefix_length);
      std::sort(lengths.begin(), lengths.end(), std::greater<>());
    }
  }

  /// The value of the longest prefix holding `address`, or null.
  const Value* find(Address address) const {
    address = address.unmapped();
    const Table& table = tables_[address.v6 ? 1 : 0];
    for (std::uint8_t length : table.lengths) {
      const auto& bucket = table.by_length.at(length);
      if (auto it = bucket.find(key_of(address, length)); it != bucket.end()) return &it->second;
    }
    return nullptr;
  }

  /// The value bound to exactly this prefix, or null.
  const Value* find_exact(const Cidr& prefix) const {
    const Table& table = tables_[prefix.network.v6 ? 1 : 0];
    auto bucket = table.by_length.find(prefix.prefix_length);
    if (bucket == table.by_length.end()) return nullptr;
    auto it = bucket->second.find(key_of(prefix.network, prefix.prefix_length));
    return it == bucket->second.end() ? nullptr : &it->second;
  }

  /// Removes exactly this prefix; true when it was bound.
  bool erase(const Cidr& prefix) {
    Table& table = tables_[prefix.network.v6 ? 1 : 0];
    auto bucket = table.by_length.find(prefix.prefix_length);
    if (bucket == table.by_length.end()) return false;
    if (bucket->second.erase(key_of(prefix.network, prefix.prefix_length)) == 0) return false;
    if (bucket->second.empty()) {
      table.by_length.erase(bucket);
      std::erase(table.lengths, prefix.prefix_length);
    }
    return true;
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const Table& table : tables_) {
      for (const auto& [length, bucket] : table.by_length)
        n += bucket.size();
    }
    return n;
  }

 private:
  using Key = std::array<std::uint8_t, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint64_t a = 0;
      std::uint64_t b = 0;
      for (std::size_t i = 0; i < 8; ++i) {
        a = a << 8 | k[i];
        b = b << 8 | k[8 + i];
      }
      return std::hash<std::uint64_t>()(a * 0x9e3779b97f4a7c15ULL ^ b);
    }
  };
  struct Table {
    std::unordered_map<std::uint8_t, std::unordered_map<Key, Value, KeyHash>> by_length;
    std::vector<std::uint8_t> lengths;  // longest first
  };

  static Key key_of(const Address& a, unsigned bits) { return a.masked(bits).bytes; }

  std::array<Table, 2> tables_;  // [0] IPv4, [1] IPv6
};

}  // namespace shelter::policy
