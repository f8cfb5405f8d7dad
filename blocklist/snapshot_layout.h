#pragma once
// Where the sections of an opened image are. Internal to blocklist/: filled in by
// Snapshot::open (snapshot_open.cc) once every offset has been checked, read by the lookups.

#include <cstddef>
#include <cstdint>

#include "blocklist/snapshot.h"

namespace shelter::blocklist {

struct Snapshot::Layout {
  const std::uint8_t* groups = nullptr;
  const std::uint8_t* records = nullptr;
  std::size_t records_size = 0;
  const std::uint8_t* combos = nullptr;  // 32-bit words
  std::size_t combo_words = 0;
  const std::uint8_t* urls = nullptr;
  std::size_t url_count = 0;
  const char* text = nullptr;
  std::size_t text_size = 0;
  std::uint64_t seed = 0;
  std::uint64_t label_counts = 0;  // format::kLabelCountsAt
  std::uint64_t group_count = 0;
  std::uint64_t home_groups = 0;
  std::uint64_t host_count = 0;
  std::uint64_t domain_rules = 0;
  std::int64_t built_unix = 0;
};

}  // namespace shelter::blocklist
