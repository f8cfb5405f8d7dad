#pragma once
// Hashes of every suffix of a name that starts at a label boundary, in one pass. Internal to
// blocklist/: the snapshot's builder and reader must hash identically.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shelter::blocklist {

// Names are hashed label by label from the right, each label seeded with the hash of everything
// to its right, so one pass over a query name yields the hash of every suffix ("d", "c.d",
// "b.c.d", ...). The label step follows wyhash: two 64-bit words folded by 128-bit multiplies.
namespace suffix_hash_detail {
constexpr std::uint64_t kSecret0 = 0xa0761d6478bd642fULL;
constexpr std::uint64_t kSecret1 = 0xe7037ed1a0b428dbULL;

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  __extension__ using Wide = unsigned __int128;
  Wide product = static_cast<Wide>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// Little-endian on every host, so that the masks below keep the first bytes of a word.
inline std::uint64_t read8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// The up to 8 bytes from `p` that lie before `end`, as a word whose bytes past `end` are zero.
// Reading the name where it is, rather than copying it to a padded buffer, avoids the stalls
// of loading words that straddle the copy's just-written stores.
inline std::uint64_t read_upto8(const char* p, const char* begin, const char* end) {
  auto available = static_cast<std::size_t>(end - p);
  if (available >= 8) return read8(p);
  if (available == 0) return 0;
  if (end - begin >= 8) return read8(end - 8) >> (8 * (8 - available));
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < available; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

// The label [p, p + n) of the name [begin, end).
inline std::uint64_t hash_label(const char* p, std::size_t n, std::uint64_t seed, const char* begin,
                                const char* end) {
  std::uint64_t a;
  std::uint64_t b;
  if (n <= 16) [[likely]] {
    a = read_upto8(p, begin, end) &
        (n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1);
    b = n > 8 ? read8(p + n - 8) : 0;
  } else {
    std::size_t i = n;
    for (; i > 16; i -= 16, p += 16)
      seed = mix(read8(p) ^ kSecret1, read8(p + 8) ^ seed);
    a = read8(p + i - 16);
    b = read8(p + i - 8);
  }
  return mix(kSecret0 ^ n, mix(a ^ kSecret1, b ^ seed));
}
}  // namespace suffix_hash_detail

class SuffixHashes {
 public:
  static constexpr std::size_t kMaxBytes = 254;

  // `name` has at most kMaxBytes bytes (callers cut longer names to their tail).
  SuffixHashes(std::string_view name, std::uint64_t seed) {
    using namespace suffix_hash_detail;
    const char* p = name.data();
    const char* end = p + name.size();
    // Label starts, eight bytes at a time: a byte equal to '.' becomes zero after the xor,
    // and the expression below sets the top bit of exactly the zero bytes. Bytes past the
    // name read as zero, which never looks like a dot.
    constexpr std::uint64_t kDots = 0x2e2e2e2e2e2e2e2eULL;
    constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
    std::array<std::uint8_t, kMaxBytes + 1> starts;
    starts[0] = 0;
    std::size_t labels = 1;
    for (std::size_t i = 0; i < name.size(); i += 8) {
      std::uint64_t w = read_upto8(p + i, p, end) ^ kDots;
      for (std::uint64_t dots = ~(((w & kLow7) + kLow7) | w | kLow7); dots != 0; dots &= dots - 1) {
        starts[labels++] = static_cast<std::uint8_t>(i + std::countr_zero(dots) / 8 + 1);
      }
    }
    std::uint64_t h = kSecret0 ^ seed;
    std::size_t stop = name.size();
    for (std::size_t k = 0; k < labels; ++k) {
      std::size_t start = starts[labels - 1 - k];
      h = hash_label(p + start, stop - start, h, p, end);
      hashes_[k] = h;
      starts_[k] = static_cast<std::uint8_t>(start);
      stop = start - 1;
    }
    count_ = labels;
  }

  /// Number of suffixes (labels). Suffix 0 is the last label; size()-1 the whole name.
  std::size_t size() const { return count_; }
  std::size_t start(std::size_t i) const { return starts_[i]; }
  std::uint64_t hash(std::size_t i) const { return hashes_[i]; }
  std::uint64_t whole() const { return hashes_[count_ - 1]; }

 private:
  // A normalised name has at most 127 labels, but lookups also take names that are not
  // normalised ("a..b", "...."): one label per byte, plus one.
  std::array<std::uint64_t, kMaxBytes + 1> hashes_;
  std::array<std::uint8_t, kMaxBytes + 1> starts_;
  std::size_t count_ = 0;
};

}  // namespace shelter::blocklist
