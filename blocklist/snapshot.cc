#include "blocklist/snapshot.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace shelter::blocklist {
namespace {

constexpr std::size_t kMaxNameBytes = 253;

// Names are hashed label by label from the right, each label seeded with the hash of everything
// to its right, so one pass over a query name yields the hash of every suffix ("d", "c.d",
// "b.c.d", ...). The label step follows wyhash: two 64-bit words folded by 128-bit multiplies.
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

// `p` points into a SuffixHashes buffer, which has 8 readable bytes on either side of the name:
// a label of up to 16 bytes is then read as two whole words without a branch on its length.
inline std::uint64_t hash_label(const char* p, std::size_t n, std::uint64_t seed) {
  std::uint64_t a;
  std::uint64_t b;
  if (n <= 16) [[likely]] {
    a = read8(p) & (n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1);
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

// The tags of every suffix of a name that starts at a label boundary, shortest first. A tag
// is the low half of the suffix hash, never 0 (which marks an empty slot).
class SuffixHashes {
 public:
  static constexpr std::size_t kMaxBytes = kMaxNameBytes + 1;

  // `name` has at most kMaxBytes bytes.
  explicit SuffixHashes(std::string_view name) {
    std::memset(buffer_.data(), 0, kPad);
    std::memcpy(buffer_.data() + kPad, name.data(), name.size());
    std::memset(buffer_.data() + kPad + name.size(), 0, kPad);
    const char* p = buffer_.data() + kPad;
    // Label starts, eight bytes at a time: a byte equal to '.' becomes zero after the xor,
    // and the expression below sets the top bit of exactly the zero bytes. The zero padding
    // after the name never looks like a dot.
    constexpr std::uint64_t kDots = 0x2e2e2e2e2e2e2e2eULL;
    constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
    std::array<std::uint8_t, kMaxBytes + 1> starts;
    starts[0] = 0;
    std::size_t labels = 1;
    for (std::size_t i = 0; i < name.size(); i += 8) {
      std::uint64_t w = read8(p + i) ^ kDots;
      for (std::uint64_t dots = ~(((w & kLow7) + kLow7) | w | kLow7); dots != 0; dots &= dots - 1) {
        starts[labels++] = static_cast<std::uint8_t>(i + std::countr_zero(dots) / 8 + 1);
      }
    }
    std::uint64_t h = kSecret0;
    std::size_t end = name.size();
    for (std::size_t k = 0; k < labels; ++k) {
      std::size_t start = starts[labels - 1 - k];
      h = hash_label(p + start, end - start, h);
      auto tag = static_cast<std::uint32_t>(h);
      tags_[k] = tag + (tag == 0);
      starts_[k] = static_cast<std::uint8_t>(start);
      end = start - 1;
    }
    count_ = labels;
  }

  std::size_t size() const { return count_; }
  std::size_t start(std::size_t i) const { return starts_[i]; }
  std::uint32_t tag(std::size_t i) const { return tags_[i]; }
  std::uint32_t whole_tag() const { return tags_[count_ - 1]; }

 private:
  static constexpr std::size_t kPad = 8;
  // Room for whole 8-byte reads up to kPad bytes past the name.
  std::array<char, kPad + kMaxBytes + kPad> buffer_;
  std::array<std::uint32_t, kMaxBytes + 1> tags_;
  std::array<std::uint8_t, kMaxBytes + 1> starts_;
  std::size_t count_ = 0;
};

// Record layout in the arena: [length: 1 byte][list ref: 4 bytes][name bytes].
constexpr std::size_t kRecordHeader = 5;
// A list ref with this bit set is an offset into Table::multi; otherwise it is the list index.
constexpr std::uint32_t kMultiBit = 0x80000000U;
constexpr std::size_t kGroupSlots = 8;
// Maximum load, in tenths: with 8-slot groups a miss reads 1.4 groups on average at 0.7.
constexpr std::size_t kMaxLoadTenths = 7;

}  // namespace

// Open addressing over groups of 8 slots, each group one 64-byte cache line holding 8 tags and
// the 8 matching arena offsets. A probe compares all tags of a group at once and moves to the
// next group only when the group is full, so a miss usually costs one cache line and no
// string comparison. The home group is taken from the tag alone (multiply-shift onto any group
// count), so resizing never re-reads the names and build() can shrink the table to fit.
struct Snapshot::Table {
  struct alignas(64) Group {
    std::array<std::uint32_t, kGroupSlots> tags{};
    std::array<std::uint32_t, kGroupSlots> offsets{};
  };
  struct Position {
    std::size_t group;
    unsigned slot;
    bool found;
  };

  std::vector<Group> groups = std::vector<Group>(1);
  std::size_t entries = 0;  // distinct domains
  std::size_t pairs = 0;    // distinct (domain, list) pairs
  std::string arena;
  std::vector<std::uint32_t> multi;  // runs of [count, lists in precedence order]
  bool any_legal = false;            // lets a lookup stop at its first hit when false

  std::size_t home(std::uint32_t tag) const {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(tag) * groups.size()) >> 32);
  }

  const char* record(std::uint32_t offset) const { return arena.data() + offset; }

  static std::uint32_t list_ref(const char* record) {
    std::uint32_t ref;
    std::memcpy(&ref, record + 1, sizeof ref);
    return ref;
  }

  // The list that decides a match on this record: the only one, or the first in precedence.
  std::uint32_t best_list(const char* record) const {
    std::uint32_t ref = list_ref(record);
    return (ref & kMultiBit) ? multi[(ref & ~kMultiBit) + 1] : ref;
  }

  // Bit i of `match` is set when tags[i] == tag, of `empty` when slot i is free.
  struct Masks {
    unsigned match;
    unsigned empty;
  };
  static Masks scan(const Group& group, std::uint32_t tag) {
#if defined(__SSE2__)
    const auto* tags = reinterpret_cast<const __m128i*>(group.tags.data());
    const __m128i low = _mm_load_si128(tags);
    const __m128i high = _mm_load_si128(tags + 1);
    auto mask_of = [&](__m128i value) {
      __m128i words = _mm_packs_epi32(_mm_cmpeq_epi32(low, value), _mm_cmpeq_epi32(high, value));
      return static_cast<unsigned>(_mm_movemask_epi8(_mm_packs_epi16(words, _mm_setzero_si128())));
    };
    return {mask_of(_mm_set1_epi32(static_cast<int>(tag))), mask_of(_mm_setzero_si128())};
#else
    Masks masks{0, 0};
    for (unsigned i = 0; i < kGroupSlots; ++i) {
      masks.match |= unsigned{group.tags[i] == tag} << i;
      masks.empty |= unsigned{group.tags[i] == 0} << i;
    }
    return masks;
#endif
  }

  // Where `name` is, or the first empty slot of its probe sequence when it is absent. Entries
  // are never removed, so a group with an empty slot ends the sequence.
  Position probe(std::string_view name, std::uint32_t tag) const {
    for (std::size_t g = home(tag);; g = g + 1 == groups.size() ? 0 : g + 1) {
      const Group& group = groups[g];
      Masks masks = scan(group, tag);
      for (; masks.match != 0; masks.match &= masks.match - 1) {
        auto slot = static_cast<unsigned>(std::countr_zero(masks.match));
        const char* rec = record(group.offsets[slot]);
        if (static_cast<unsigned char>(rec[0]) == name.size() &&
            std::memcmp(rec + kRecordHeader, name.data(), name.size()) == 0) {
          return {g, slot, true};
        }
      }
      if (masks.empty != 0) return {g, static_cast<unsigned>(std::countr_zero(masks.empty)), false};
    }
  }

  const char* find(std::string_view name, std::uint32_t tag) const {
    Position at = probe(name, tag);
    return at.found ? record(groups[at.group].offsets[at.slot]) : nullptr;
  }

  // Re-slots every entry into `count` groups, by tag only.
  void resize(std::size_t count) {
    std::vector<Group> old = std::exchange(groups, std::vector<Group>(count));
    for (const Group& group : old) {
      for (unsigned i = 0; i < kGroupSlots; ++i) {
        if (group.tags[i] == 0) continue;
        std::size_t g = home(group.tags[i]);
        unsigned empty;
        while ((empty = scan(groups[g], 0).empty) == 0)
          g = g + 1 == count ? 0 : g + 1;
        auto slot = static_cast<unsigned>(std::countr_zero(empty));
        groups[g].tags[slot] = group.tags[i];
        groups[g].offsets[slot] = group.offsets[i];
      }
    }
  }

  static std::size_t groups_for(std::size_t entries) {
    return entries * 10 / (kGroupSlots * kMaxLoadTenths) + 1;
  }

  // Finds `name`, or appends a record for it in `list`. Returns the record's offset and
  // whether it was added.
  std::pair<std::uint32_t, bool> emplace(std::string_view name, std::uint32_t tag,
                                         std::uint32_t list) {
    if ((entries + 1) * 10 > groups.size() * kGroupSlots * kMaxLoadTenths) {
      resize(groups.size() * 2);
    }
    Position at = probe(name, tag);
    Group& group = groups[at.group];
    if (at.found) return {group.offsets[at.slot], false};
    std::size_t offset = arena.size();
    if (offset + kRecordHeader + name.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("blocklist snapshot text over 4 GiB");
    }
    arena.push_back(static_cast<char>(name.size()));
    arena.append(reinterpret_cast<const char*>(&list), sizeof list);
    arena.append(name);
    group.tags[at.slot] = tag;
    group.offsets[at.slot] = static_cast<std::uint32_t>(offset);
    ++entries;
    return {static_cast<std::uint32_t>(offset), true};
  }
};

std::size_t Snapshot::size() const {
  return table_ ? table_->pairs : 0;
}

std::size_t Snapshot::memory_bytes() const {
  std::size_t bytes = sizeof(Snapshot) + lists_.capacity() * sizeof(ListInfo);
  for (const ListInfo& list : lists_) {
    bytes += list.id.capacity() + list.category.capacity() + list.authority.capacity() +
             list.appeal.capacity();
  }
  if (table_) {
    bytes += sizeof(Table) + table_->groups.capacity() * sizeof(Table::Group) +
             table_->arena.capacity() + table_->multi.capacity() * sizeof(std::uint32_t);
  }
  return bytes;
}

std::optional<Match> Snapshot::lookup(std::string_view name) const {
  if (!table_) return std::nullopt;
  const Table& table = *table_;
  // No entry is longer than kMaxNameBytes, so only the tail of an over-long name can match.
  if (name.size() > SuffixHashes::kMaxBytes)
    name.remove_prefix(name.size() - SuffixHashes::kMaxBytes);
  // Hash every suffix and prefetch its home group first, so that the cache misses of a large
  // table overlap instead of coming one after another.
  SuffixHashes suffixes(name);
  for (std::size_t k = 0; k < suffixes.size(); ++k) {
    __builtin_prefetch(&table.groups[table.home(suffixes.tag(k))]);
  }
  // Longest first: the first hit is the most specific; only a legal hit further up replaces a
  // non-legal one, and once a legal list has matched nothing can beat it.
  const char* best = nullptr;
  std::uint32_t best_list = 0;
  for (std::size_t k = suffixes.size(); k-- > 0;) {
    std::size_t start = suffixes.start(k);
    const char* rec =
        table.find(std::string_view(name.data() + start, name.size() - start), suffixes.tag(k));
    if (rec == nullptr) continue;
    std::uint32_t list = table.best_list(rec);
    bool legal = lists_[list].legal;
    if (best == nullptr || legal) {
      best = rec;
      best_list = list;
    }
    if (legal || !table.any_legal) break;
  }
  if (best == nullptr) return std::nullopt;
  return Match{best_list,
               std::string_view(best + kRecordHeader, static_cast<unsigned char>(best[0]))};
}

std::vector<std::uint32_t> Snapshot::lists_of(std::string_view name) const {
  std::vector<std::uint32_t> out;
  if (!table_ || name.size() > kMaxNameBytes) return out;
  const char* rec = table_->find(name, SuffixHashes(name).whole_tag());
  if (rec == nullptr) return out;
  std::uint32_t ref = Table::list_ref(rec);
  if (ref & kMultiBit) {
    const std::uint32_t* run = table_->multi.data() + (ref & ~kMultiBit);
    out.assign(run + 1, run + 1 + run[0]);
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(ref);
  }
  return out;
}

struct SnapshotBuilder::State {
  std::vector<ListInfo> lists;
  Snapshot::Table table;
  // (record offset, list) for every membership beyond a domain's first list; sorted and
  // de-duplicated once in build() rather than kept in a per-domain container.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> extra;

  void finish_multi();
};

// Rewrites the list ref of every domain in more than one list to point at a run in
// Table::multi, ordered by precedence: legal lists first, each group in list order.
void SnapshotBuilder::State::finish_multi() {
  std::sort(extra.begin(), extra.end());
  extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
  table.pairs = table.entries + extra.size();
  auto precedes = [this](std::uint32_t a, std::uint32_t b) {
    return lists[a].legal != lists[b].legal ? lists[a].legal : a < b;
  };
  std::vector<std::uint32_t> run;
  for (std::size_t i = 0; i < extra.size();) {
    std::uint32_t offset = extra[i].first;
    char* rec = table.arena.data() + offset;
    run.assign(1, Snapshot::Table::list_ref(rec));
    for (; i < extra.size() && extra[i].first == offset; ++i)
      run.push_back(extra[i].second);
    std::sort(run.begin(), run.end(), precedes);
    std::uint32_t ref = static_cast<std::uint32_t>(table.multi.size()) | kMultiBit;
    table.multi.push_back(static_cast<std::uint32_t>(run.size()));
    table.multi.insert(table.multi.end(), run.begin(), run.end());
    std::memcpy(rec + 1, &ref, sizeof ref);
  }
  if (table.multi.size() >= kMultiBit) throw std::length_error("blocklist snapshot too large");
  extra = {};
}

SnapshotBuilder::SnapshotBuilder() : state_(std::make_unique<State>()) {}
SnapshotBuilder::~SnapshotBuilder() = default;

std::uint32_t SnapshotBuilder::add_list(ListInfo info) {
  if (state_->lists.size() >= kMultiBit) throw std::length_error("too many blocklists");
  state_->lists.push_back(std::move(info));
  return static_cast<std::uint32_t>(state_->lists.size() - 1);
}

void SnapshotBuilder::add_domain(std::uint32_t list_index, std::string_view domain) {
  if (list_index >= state_->lists.size()) {
    throw std::out_of_range("add_domain: list index " + std::to_string(list_index) +
                            " was never declared");
  }
  if (domain.empty() || domain.size() > kMaxNameBytes) {
    throw std::invalid_argument("add_domain: not a normalised domain name");
  }
  Snapshot::Table& table = state_->table;
  auto [offset, added] = table.emplace(domain, SuffixHashes(domain).whole_tag(), list_index);
  // Repeats within one list are the common case and cost nothing further.
  if (!added && Snapshot::Table::list_ref(table.record(offset)) != list_index) {
    state_->extra.emplace_back(offset, list_index);
  }
}

std::shared_ptr<const Snapshot> SnapshotBuilder::build() {
  std::unique_ptr<State> state = std::exchange(state_, std::make_unique<State>());
  state->finish_multi();
  for (const ListInfo& list : state->lists)
    state->table.any_legal |= list.legal;
  // Doubling left the table between 35% and 70% full; shrink it to 70%.
  state->table.resize(Snapshot::Table::groups_for(state->table.entries));
  state->table.arena.shrink_to_fit();
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->lists_ = std::move(state->lists);
  snapshot->table_ = std::make_shared<const Snapshot::Table>(std::move(state->table));
  return snapshot;
}

}  // namespace shelter::blocklist
