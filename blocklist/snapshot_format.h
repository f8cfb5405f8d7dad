#pragma once
// Byte-level definition of a snapshot image, shared by the builder and the reader.
// Internal to blocklist/. All integers are little-endian; every section starts on a 64-byte
// boundary of the image.
//
//   header   (kHeaderBytes)  magic, version, sizes, checksum, hash seed, section table
//   meta     lists and category names (length-prefixed strings), steered-name counts
//   groups   the hash table: kGroupBytes a group
//   records  one record per host, in group order
//   combos   runs of memberships: [count][membership x count], shared between hosts
//   urls     URL rules of hosts with too many to keep in their record
//
// A group (one cache line) holds 14 slots:
//   u32 record base | u16 tag x 14 | u16 record offset (from base) x 14 | u8 flags | 3 spare
// A tag is 16 bits of the host's hash, never 0 (0 = empty slot). The home group is the high
// bits of the hash (multiply-shift), so hosts sorted by hash are sorted by home group and the
// builder places them in one sweep. kGroupOverflow in flags says some host whose home is this
// group sits further on; without it a lookup stops at its home group.
//
// A record:
//   u8 host length | host | varint ref | [local data] | [URL rules]
// ref = combo offset << 2 | has_urls << 1 | has_local. Combo offset 0 is the empty run.
// Local data: u8 count, then count x (u8 size, size bytes).
// URL rules: varint count, u8 where (kUrlsInline: the rules follow; kUrlsSpilled: a varint
// byte offset into the urls section follows), then the rules, sorted by path, each
//   u32 membership | u8 flags (kUrlPrefix, kUrlSeparator) | varint path size | path
// A host's rules sit in its record, so that a URL lookup reads one record and nothing else,
// unless they pass kMaxInlineUrlBytes (a host with many listed pages): records of one group
// must stay within the 64 KiB that a 16-bit offset reaches.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shelter::blocklist::format {

constexpr std::array<char, 8> kMagic = {'S', 'H', 'L', 'T', 'S', 'N', 'A', 'P'};
// 3: per-list steer flag and steered-name counts in meta, kSteer in memberships.
constexpr std::uint32_t kVersion = 3;
constexpr std::size_t kHeaderBytes = 192;
constexpr std::size_t kAlign = 64;
constexpr std::size_t kGroupBytes = 64;
constexpr std::size_t kGroupSlots = 14;
constexpr std::uint8_t kGroupOverflow = 1;
constexpr std::size_t kMaxNameBytes = 253;
constexpr std::size_t kMaxLocalAddresses = 16;

// Offsets inside a group.
constexpr std::size_t kGroupTagsAt = 4;
constexpr std::size_t kGroupOffsetsAt = kGroupTagsAt + 2 * kGroupSlots;   // 32
constexpr std::size_t kGroupFlagsAt = kGroupOffsetsAt + 2 * kGroupSlots;  // 60

enum Section : std::size_t { meta, groups, records, combos, urls, kSectionCount };

// Meta: u32 list count, then per list
//   u8 flags (kListLegal, kListSteer, kListHttpsBlock) | u64 rules | u64 steered names | id |
//   category | authority | appeal      (strings: u32 size, then the bytes)
// then u32 category count, the category names, and u64 distinct steered names.
constexpr std::uint8_t kListLegal = 1;
constexpr std::uint8_t kListSteer = 2;
constexpr std::uint8_t kListHttpsBlock = 4;  // ListInfo::https_block

// Header layout (offsets in bytes).
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kImageSizeAt = 16;
constexpr std::size_t kChecksumAt = 24;
constexpr std::size_t kSeedAt = 32;
constexpr std::size_t kBuiltAt = 40;
constexpr std::size_t kGroupCountAt = 48;   // u64 groups in the table (home groups + tail)
constexpr std::size_t kHomeGroupsAt = 56;   // u64 groups a hash maps onto
constexpr std::size_t kHostCountAt = 64;    // u64
constexpr std::size_t kDomainRulesAt = 72;  // u64
constexpr std::size_t kUrlRulesAt = 80;     // u64
// u64: bit n-1 set when some host has n labels (bit 63: 64 or more). A lookup probes only the
// suffixes whose label count is present: most lists have no one-label entries, for instance.
constexpr std::size_t kLabelCountsAt = 88;
constexpr std::size_t kSectionsAt = 96;  // kSectionCount x (u64 offset, u64 size)
static_assert(kSectionsAt + kSectionCount * 16 <= kHeaderBytes);

// A membership: one list's say about a host or URL, packed into 32 bits.
namespace member {
constexpr std::uint32_t kListMask = 0xffff;
constexpr int kCategoryShift = 16;  // 6 bits
constexpr std::uint32_t kAllow = 1u << 22;
constexpr std::uint32_t kImportant = 1u << 23;
constexpr std::uint32_t kSelf = 1u << 24;   // applies to the host itself
constexpr std::uint32_t kBelow = 1u << 25;  // applies to names below the host
constexpr int kAnswerShift = 26;            // 2 bits: DnsAnswer
constexpr std::uint32_t kLegal = 1u << 28;  // from a legal list (copied for speed)
constexpr std::uint32_t kSteer = 1u << 29;  // from a steering list (copied for speed)
constexpr int kUnusedShift = 30;            // bits from here on are always 0

inline std::uint32_t list(std::uint32_t m) {
  return m & kListMask;
}
inline std::uint32_t category(std::uint32_t m) {
  return (m >> kCategoryShift) & 63;
}
}  // namespace member

// URL rules. Host scope lives in the membership (kSelf / kBelow).
constexpr std::uint8_t kUrlPrefix = 1;
constexpr std::uint8_t kUrlSeparator = 2;
constexpr std::uint8_t kUrlsInline = 0;
constexpr std::uint8_t kUrlsSpilled = 1;
constexpr std::size_t kMaxInlineUrlBytes = 512;
constexpr std::size_t kMaxPathBytes = 65535;

inline std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline std::uint32_t load32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
inline std::uint16_t load16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  return v;
}
inline void store64(std::uint8_t* p, std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof v);
}
inline void store32(std::uint8_t* p, std::uint32_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}
inline void store16(std::uint8_t* p, std::uint16_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}

// LEB128. `read_varint` fails (returns false) rather than read past `end` or past 5 bytes.
inline bool read_varint(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t& out) {
  std::uint32_t value = 0;
  for (int shift = 0; shift < 35 && p < end; shift += 7) {
    std::uint8_t byte = *p++;
    value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      out = value;
      return true;
    }
  }
  return false;
}

template <typename Out>
void write_varint(Out& out, std::uint32_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

// One URL rule as stored. `decode_url` reads the rule at `p` and moves `p` past it; false when
// it would read past `end` (only open() can see that).
struct UrlView {
  std::uint32_t membership = 0;
  std::uint8_t flags = 0;
  std::string_view path;
};

inline bool decode_url(const std::uint8_t*& p, const std::uint8_t* end, UrlView& out) {
  if (end - p < 5) return false;
  out.membership = load32(p);
  out.flags = p[4];
  p += 5;
  std::uint32_t size;
  if (!read_varint(p, end, size) || static_cast<std::size_t>(end - p) < size) return false;
  out.path = std::string_view(reinterpret_cast<const char*>(p), size);
  p += size;
  return true;
}

template <typename Out>
void encode_url(Out& out, std::uint32_t membership, std::uint8_t flags, std::string_view path) {
  std::uint8_t m[4];
  store32(m, membership);
  out.insert(out.end(), m, m + 4);
  out.push_back(flags);
  write_varint(out, static_cast<std::uint32_t>(path.size()));
  out.insert(out.end(), path.begin(), path.end());
}

inline std::size_t home_group(std::uint64_t hash, std::uint64_t home_groups) {
  __extension__ using Wide = unsigned __int128;
  return static_cast<std::size_t>((static_cast<Wide>(hash) * home_groups) >> 64);
}

inline std::uint64_t label_count_bit(std::size_t labels) {
  return std::uint64_t{1} << (labels > 64 ? 63 : labels - 1);
}

inline std::uint16_t tag_of(std::uint64_t hash) {
  auto tag = static_cast<std::uint16_t>(hash);
  return tag == 0 ? 1 : tag;
}

// Four independent lanes of a multiply-xor mix, so it runs at memory speed.
std::uint64_t checksum(const std::uint8_t* data, std::size_t size, std::uint64_t seed = 0);

// The checksum stored at kChecksumAt: of the whole image, header included, with the checksum
// field read as zero. It catches corruption and truncation, not forgery: the loader validates
// structure separately. `size` >= kHeaderBytes.
std::uint64_t image_checksum(const std::uint8_t* image, std::size_t size);

// Hash of a whole normalised host, as SuffixHashes computes it for the longest suffix.
std::uint64_t host_hash(std::string_view host, std::uint64_t seed);

}  // namespace shelter::blocklist::format
