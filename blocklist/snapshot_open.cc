// Snapshot::open: every check that lets the lookups trust an image that may come from a
// corrupt, truncated or hostile file. Structure is checked, not just the checksum, because a
// checksum is easy to recompute.
#include <memory>

#include "blocklist/snapshot.h"
#include "blocklist/snapshot_layout.h"

namespace shelter::blocklist {

namespace fmt = format;

namespace {

struct Span {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

class MetaReader {
 public:
  explicit MetaReader(Span span) : p_(span.data), end_(span.data + span.size) {}

  bool u8(std::uint8_t& out) {
    if (p_ >= end_) return false;
    out = *p_++;
    return true;
  }
  bool u32(std::uint32_t& out) {
    if (end_ - p_ < 4) return false;
    out = fmt::load32(p_);
    p_ += 4;
    return true;
  }
  bool u64(std::uint64_t& out) {
    if (end_ - p_ < 8) return false;
    out = fmt::load64(p_);
    p_ += 8;
    return true;
  }
  bool string(std::string& out) {
    std::uint32_t size;
    if (!u32(size) || static_cast<std::size_t>(end_ - p_) < size) return false;
    out.assign(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return true;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

bool read_meta(Span span, std::vector<ListInfo>& lists, std::vector<std::string>& categories,
               std::size_t& steered_names, std::string& error) {
  MetaReader in(span);
  std::uint32_t count;
  if (!in.u32(count) || count > kMaxLists) return (error = "bad list table", false);
  lists.resize(count);
  for (ListInfo& list : lists) {
    std::uint8_t flags;
    // A legal list always steers: its URL entries must reach the proxy.
    constexpr std::uint8_t kAll = fmt::kListLegal | fmt::kListSteer | fmt::kListHttpsBlock;
    if (!in.u8(flags) || flags > kAll ||
        (flags & (fmt::kListLegal | fmt::kListSteer)) == fmt::kListLegal || !in.u64(list.rules) ||
        !in.u64(list.steered_names) || !in.string(list.id) || !in.string(list.category) ||
        !in.string(list.authority) || !in.string(list.appeal)) {
      return (error = "bad list table", false);
    }
    list.legal = (flags & fmt::kListLegal) != 0;
    list.steer = (flags & fmt::kListSteer) != 0;
    list.https_block = (flags & fmt::kListHttpsBlock) != 0;
    if (!list.steer && list.steered_names != 0) return (error = "bad list table", false);
  }
  if (!in.u32(count) || count > kMaxCategories) return (error = "bad category table", false);
  categories.resize(count);
  for (std::string& category : categories) {
    if (!in.string(category)) return (error = "bad category table", false);
  }
  std::uint64_t total;
  if (!in.u64(total)) return (error = "bad category table", false);
  steered_names = static_cast<std::size_t>(total);
  return true;
}

// A membership whose list and category exist, and whose legal and steer bits agree with its
// list.
bool valid_membership(std::uint32_t m, const std::vector<ListInfo>& lists, std::size_t categories) {
  namespace mb = fmt::member;
  std::uint32_t list = mb::list(m);
  return list < lists.size() && mb::category(m) < categories &&
         ((m & mb::kLegal) != 0) == lists[list].legal &&
         ((m & mb::kSteer) != 0) == lists[list].steer && (m & (mb::kSelf | mb::kBelow)) != 0 &&
         (m >> mb::kUnusedShift) == 0;
}

}  // namespace

std::shared_ptr<const Snapshot> Snapshot::open(std::shared_ptr<const void> image,
                                               const std::uint8_t* data, std::size_t size,
                                               std::string& error) {
  auto fail = [&](std::string why) -> std::shared_ptr<const Snapshot> {
    error = std::move(why);
    return nullptr;
  };
  if (size < fmt::kHeaderBytes) return fail("truncated: shorter than the header");
  if (std::memcmp(data, fmt::kMagic.data(), fmt::kMagic.size()) != 0)
    return fail("not a Shelter list snapshot (bad magic)");
  if (std::uint32_t version = fmt::load32(data + fmt::kVersionAt); version != fmt::kVersion)
    return fail("unsupported snapshot version " + std::to_string(version) +
                " (this shelterd reads version " + std::to_string(fmt::kVersion) +
                "): compile it again with this version's shelter-compile");
  if (fmt::load64(data + fmt::kImageSizeAt) != size)
    return fail("truncated or extended: size " + std::to_string(size) + ", header says " +
                std::to_string(fmt::load64(data + fmt::kImageSizeAt)));
  if (fmt::image_checksum(data, size) != fmt::load64(data + fmt::kChecksumAt))
    return fail("checksum mismatch (corrupt file)");

  std::array<Span, fmt::kSectionCount> sections;
  std::size_t previous_end = fmt::kHeaderBytes;
  for (std::size_t s = 0; s < fmt::kSectionCount; ++s) {
    std::uint64_t offset = fmt::load64(data + fmt::kSectionsAt + 16 * s);
    std::uint64_t length = fmt::load64(data + fmt::kSectionsAt + 16 * s + 8);
    if (offset % fmt::kAlign != 0 || offset < previous_end || offset > size ||
        length > size - offset)
      return fail("bad section table");
    sections[s] = {data + offset, static_cast<std::size_t>(length)};
    previous_end = offset + length;
  }

  std::shared_ptr<Snapshot> snapshot(new Snapshot());
  if (!read_meta(sections[fmt::meta], snapshot->lists_, snapshot->categories_,
                 snapshot->steered_names_, error))
    return nullptr;
  auto layout = std::make_shared<Layout>();
  Layout& l = *layout;
  l.seed = fmt::load64(data + fmt::kSeedAt);
  l.label_counts = fmt::load64(data + fmt::kLabelCountsAt);
  l.built_unix = static_cast<std::int64_t>(fmt::load64(data + fmt::kBuiltAt));
  l.group_count = fmt::load64(data + fmt::kGroupCountAt);
  l.home_groups = fmt::load64(data + fmt::kHomeGroupsAt);
  l.host_count = fmt::load64(data + fmt::kHostCountAt);
  l.domain_rules = fmt::load64(data + fmt::kDomainRulesAt);
  l.https_block.reserve(snapshot->lists_.size());
  for (const ListInfo& list : snapshot->lists_)
    l.https_block.push_back(list.https_block);
  l.url_count = fmt::load64(data + fmt::kUrlRulesAt);
  l.groups = sections[fmt::groups].data;
  l.records = sections[fmt::records].data;
  l.records_size = sections[fmt::records].size;
  l.combos = sections[fmt::combos].data;
  l.combo_words = sections[fmt::combos].size / 4;
  l.urls = sections[fmt::urls].data;
  l.urls_size = sections[fmt::urls].size;
  // Compared by division: group_count * 64 could wrap.
  if (l.group_count == 0 || l.home_groups == 0 || l.home_groups > l.group_count ||
      l.group_count > sections[fmt::groups].size / fmt::kGroupBytes ||
      sections[fmt::groups].size != l.group_count * fmt::kGroupBytes)
    return fail("bad group table");
  if (sections[fmt::combos].size % 4 != 0 || l.combo_words == 0 || fmt::load32(l.combos) != 0)
    return fail("bad membership table");

  const std::vector<ListInfo>& lists = snapshot->lists_;
  const std::size_t categories = snapshot->categories_.size();

  // Every slot: its record in bounds and well formed, its memberships valid.
  std::uint64_t hosts = 0;
  std::uint64_t urls = 0;
  std::vector<bool> run_checked(l.combo_words, false);
  for (std::size_t g = 0; g < l.group_count; ++g) {
    const std::uint8_t* group = l.groups + g * fmt::kGroupBytes;
    std::uint64_t base = fmt::load32(group);
    for (unsigned slot = 0; slot < fmt::kGroupSlots; ++slot) {
      if (fmt::load16(group + fmt::kGroupTagsAt + 2 * slot) == 0) continue;
      ++hosts;
      std::uint64_t at = base + fmt::load16(group + fmt::kGroupOffsetsAt + 2 * slot);
      if (at >= l.records_size) return fail("bad record offset in group " + std::to_string(g));
      // Built only on failure: this loop runs once per host.
      auto where = [g] { return " in group " + std::to_string(g); };
      fmt::Record r;
      if (!fmt::decode_record(l, l.records + at, r)) return fail("bad record" + where());
      if (r.host.empty() || r.host.size() > fmt::kMaxNameBytes) return fail("bad record" + where());
      std::uint64_t combo = r.combo;
      if (combo >= l.combo_words) return fail("bad membership reference");
      // Most hosts share a few runs (the same lists): each run is checked once.
      if (!run_checked[combo]) {
        std::uint64_t count = fmt::load32(l.combos + 4 * combo);
        if (count > l.combo_words - combo - 1) return fail("bad membership run");
        for (std::uint64_t i = 1; i <= count; ++i) {
          if (!valid_membership(fmt::load32(l.combos + 4 * (combo + i)), lists, categories))
            return fail("bad membership in run " + std::to_string(combo));
        }
        run_checked[combo] = true;
      }
      if (r.local != nullptr) {
        // decode_record kept the entries in bounds; here their count and sizes.
        const std::uint8_t* q = r.local;
        if (*q == 0 || *q > fmt::kMaxLocalAddresses) return fail("bad local data" + where());
        for (std::size_t i = 0, n = *q++; i < n; q += 1 + *q, ++i) {
          if (*q != 4 && *q != 16) return fail("bad local data" + where());
        }
      }
      if (r.url_count > 0 && !r.urls) return fail("bad URL rules" + where());
      const std::uint8_t* q = r.urls;
      for (std::uint32_t i = 0; i < r.url_count; ++i) {
        fmt::UrlView url;
        if (!fmt::decode_url(q, r.urls_end, url) || url.path.empty() || url.flags > 3 ||
            !valid_membership(url.membership, lists, categories)) {
          return fail("bad URL rule" + where());
        }
      }
      urls += r.url_count;
    }
  }
  if (hosts != l.host_count) return fail("host count does not match the table");
  if (urls != l.url_count) return fail("URL rule count does not match the records");

  snapshot->image_ = std::move(image);
  snapshot->size_ = size;
  snapshot->layout_ = std::move(layout);
  return snapshot;
}

}  // namespace shelter::blocklist
