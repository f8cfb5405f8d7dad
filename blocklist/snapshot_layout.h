#pragma once
// Where the sections of an opened image are, and the decoding of a record. Internal to
// blocklist/: filled in by Snapshot::open (snapshot_open.cc) once every offset has been
// checked, read by the lookups (snapshot.cc).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "blocklist/snapshot.h"
#include "blocklist/snapshot_format.h"

namespace shelter::blocklist {

struct Snapshot::Layout {
  const std::uint8_t* groups = nullptr;
  const std::uint8_t* records = nullptr;
  std::size_t records_size = 0;
  const std::uint8_t* combos = nullptr;  // 32-bit words
  std::size_t combo_words = 0;
  const std::uint8_t* urls = nullptr;  // spilled URL rules
  std::size_t urls_size = 0;
  std::size_t url_count = 0;
  std::uint64_t seed = 0;
  std::uint64_t label_counts = 0;  // format::kLabelCountsAt
  std::uint64_t group_count = 0;
  std::uint64_t home_groups = 0;
  std::uint64_t host_count = 0;
  std::uint64_t domain_rules = 0;
  std::int64_t built_unix = 0;
  std::vector<bool> https_block;  // by list: ListInfo::https_block
};

namespace format {

// A record, decoded (the layout is in snapshot_format.h). No member initialisers: decode_record
// sets every field, and zeroing the struct first (`rep stos`) was a fifth of open()'s time.
struct Record {
  std::string_view host;
  std::uint32_t combo;
  const std::uint8_t* local;  // u8 count, then (u8 size, bytes) entries; null when none
  std::uint32_t url_count;
  const std::uint8_t* urls;      // the first URL rule; null when none
  const std::uint8_t* urls_end;  // where the rules must end: record or urls section
};

// Decodes the record at `p`; false when a part would lie outside the image. The lookups call
// it on records open() has accepted, where it cannot fail.
inline bool decode_record(const Snapshot::Layout& l, const std::uint8_t* p, Record& out) {
  const std::uint8_t* end = l.records + l.records_size;
  out.local = out.urls = out.urls_end = nullptr;
  out.combo = out.url_count = 0;
  if (p >= end || end - p < 1 + *p) return false;
  std::size_t size = *p;
  out.host = std::string_view(reinterpret_cast<const char*>(p + 1), size);
  p += 1 + size;
  std::uint32_t ref;
  if (!read_varint(p, end, ref)) return false;
  out.combo = ref >> 2;
  out.local = nullptr;
  if (ref & 1) {
    out.local = p;
    if (p >= end) return false;
    std::size_t count = *p++;
    for (std::size_t i = 0; i < count; ++i) {
      if (p >= end || end - p < 1 + *p) return false;
      p += 1 + *p;
    }
  }
  out.url_count = 0;
  out.urls = out.urls_end = nullptr;
  if (ref & 2) {
    if (!read_varint(p, end, out.url_count) || p >= end) return false;
    std::uint8_t where = *p++;
    if (where == kUrlsInline) {
      out.urls = p;
      out.urls_end = end;
    } else if (where == kUrlsSpilled) {
      std::uint32_t offset;
      if (!read_varint(p, end, offset) || offset >= l.urls_size) return false;
      out.urls = l.urls + offset;
      out.urls_end = l.urls + l.urls_size;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace format
}  // namespace shelter::blocklist
