// SnapshotBuilder: collects rules as flat vectors, then sorts them once by host hash and lays
// out the image described in snapshot_format.h. No per-rule heap allocation while collecting.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "blocklist/snapshot.h"
#include "blocklist/snapshot_format.h"
#include "blocklist/suffix_hash.h"

namespace shelter::blocklist {
namespace {

namespace fmt = format;

// At most this share of the table's slots is used (in tenths): a miss then reads its home
// group alone unless the group overflowed, which is rare below 0.9.
constexpr std::size_t kMaxLoadTenths = 9;

// A host as the builder keeps it: its hash and where its text is in the arena.
struct HostRef {
  std::uint64_t hash;
  std::uint32_t offset;
  std::uint8_t size;
};

struct PendingDomain {
  HostRef host;
  std::uint32_t membership;
};

struct PendingUrl {
  HostRef host;
  std::uint32_t path_offset;
  std::uint16_t path_size;
  std::uint16_t flags;
  std::uint32_t membership;
};

struct PendingLocal {
  HostRef host;
  LocalAddress address;
};

std::uint32_t scope_bits(HostScope scope) {
  switch (scope) {
    case HostScope::self_and_below:
      return fmt::member::kSelf | fmt::member::kBelow;
    case HostScope::self_only:
      return fmt::member::kSelf;
    case HostScope::below_only:
      return fmt::member::kBelow;
  }
  return 0;
}

void pad_to(std::vector<std::uint8_t>& out, std::size_t align) {
  out.resize((out.size() + align - 1) / align * align, 0);
}

void put_string(std::vector<std::uint8_t>& out, std::string_view text) {
  std::uint8_t size[4];
  fmt::store32(size, static_cast<std::uint32_t>(text.size()));
  out.insert(out.end(), size, size + 4);
  out.insert(out.end(), text.begin(), text.end());
}

}  // namespace

struct SnapshotBuilder::State {
  std::vector<ListInfo> lists;
  std::vector<std::string> categories;
  std::map<std::string, std::uint32_t, std::less<>> category_index;
  std::string hosts;  // host text, appended per rule; duplicates are merged at build time
  std::string paths;  // URL rule paths
  std::vector<PendingDomain> domains;
  std::vector<PendingUrl> urls;
  std::vector<PendingLocal> locals;

  std::string_view text(const HostRef& ref) const {
    return std::string_view(hosts).substr(ref.offset, ref.size);
  }

  std::optional<std::uint32_t> category_of(std::string_view name) {
    if (auto it = category_index.find(name); it != category_index.end()) return it->second;
    if (categories.size() >= kMaxCategories) return std::nullopt;
    auto index = static_cast<std::uint32_t>(categories.size());
    categories.emplace_back(name);
    category_index.emplace(std::string(name), index);
    return index;
  }

  // The hash is filled in by build(), once the seed is known.
  HostRef intern(std::string_view host) {
    if (hosts.size() + host.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("blocklist snapshot: host text over 4 GiB");
    }
    HostRef ref{0, static_cast<std::uint32_t>(hosts.size()),
                static_cast<std::uint8_t>(host.size())};
    hosts.append(host);
    return ref;
  }

  std::vector<std::uint8_t> build(std::int64_t built_unix, std::uint64_t seed);
};

SnapshotBuilder::SnapshotBuilder() : state_(std::make_unique<State>()) {}
SnapshotBuilder::~SnapshotBuilder() = default;

std::uint32_t SnapshotBuilder::add_list(ListInfo info) {
  if (state_->lists.size() >= kMaxLists) throw std::length_error("too many blocklists");
  info.rules = 0;
  info.steered_names = 0;
  info.steer = info.steer || info.legal;  // a legal list's URL entries must reach the proxy
  state_->lists.push_back(std::move(info));
  return static_cast<std::uint32_t>(state_->lists.size() - 1);
}

void SnapshotBuilder::add_domain(std::uint32_t list_index, std::string_view domain) {
  Rule rule;
  rule.host = domain;
  add(list_index, rule);
}

bool SnapshotBuilder::add(std::uint32_t list_index, const Rule& rule) {
  State& s = *state_;
  if (list_index >= s.lists.size()) {
    throw std::out_of_range("blocklist rule for undeclared list " + std::to_string(list_index));
  }
  if (rule.host.empty() || rule.host.size() > fmt::kMaxNameBytes) {
    throw std::invalid_argument("blocklist rule without a valid host");
  }
  ListInfo& list = s.lists[list_index];
  auto category = s.category_of(rule.category.empty() ? list.category : rule.category);
  if (!category) return false;
  std::uint32_t membership = list_index | (*category << fmt::member::kCategoryShift) |
                             scope_bits(rule.scope) |
                             (static_cast<std::uint32_t>(rule.answer) << fmt::member::kAnswerShift);
  if (rule.action == RuleAction::allow) membership |= fmt::member::kAllow;
  if (rule.important) membership |= fmt::member::kImportant;
  if (list.legal) membership |= fmt::member::kLegal;
  if (list.steer) membership |= fmt::member::kSteer;
  ++list.rules;
  HostRef host = s.intern(rule.host);
  if (!rule.path.empty()) {
    if (rule.path.size() > fmt::kMaxPathBytes ||
        s.paths.size() + rule.path.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("blocklist snapshot: URL path too long");
    }
    std::uint16_t flags =
        (rule.path_prefix ? fmt::kUrlPrefix : 0) | (rule.path_separator ? fmt::kUrlSeparator : 0);
    s.urls.push_back({host, static_cast<std::uint32_t>(s.paths.size()),
                      static_cast<std::uint16_t>(rule.path.size()), flags, membership});
    s.paths.append(rule.path);
    return true;
  }
  s.domains.push_back({host, membership});
  if (rule.answer == DnsAnswer::local_data && (rule.address_size == 4 || rule.address_size == 16)) {
    s.locals.push_back({host, LocalAddress{rule.address, rule.address_size}});
  }
  return true;
}

SnapshotBuilder::Mark SnapshotBuilder::mark(std::uint32_t list_index) const {
  const State& s = *state_;
  return Mark{.list = list_index,
              .list_rules = s.lists.at(list_index).rules,
              .hosts = s.hosts.size(),
              .paths = s.paths.size(),
              .domains = s.domains.size(),
              .urls = s.urls.size(),
              .locals = s.locals.size()};
}

void SnapshotBuilder::rollback(const Mark& mark) {
  State& s = *state_;
  s.lists.at(mark.list).rules = mark.list_rules;
  s.hosts.resize(mark.hosts);
  s.paths.resize(mark.paths);
  s.domains.resize(mark.domains);
  s.urls.resize(mark.urls);
  s.locals.resize(mark.locals);
}

std::vector<std::uint8_t> SnapshotBuilder::build_image(std::int64_t built_unix,
                                                       std::uint64_t seed) {
  std::unique_ptr<State> state = std::exchange(state_, std::make_unique<State>());
  return state->build(built_unix, seed);
}

std::shared_ptr<const Snapshot> SnapshotBuilder::build(std::int64_t built_unix,
                                                       std::uint64_t seed) {
  std::vector<std::uint8_t> image = build_image(built_unix, seed);
  // Groups are read as whole cache lines, so the copy is aligned like a mapped file would be.
  std::size_t bytes = (image.size() + fmt::kAlign - 1) / fmt::kAlign * fmt::kAlign;
  auto* raw = static_cast<std::uint8_t*>(std::aligned_alloc(fmt::kAlign, bytes));
  if (raw == nullptr) throw std::bad_alloc();
  std::shared_ptr<const void> owner(raw, [](const void* p) { std::free(const_cast<void*>(p)); });
  std::memcpy(raw, image.data(), image.size());
  std::string error;
  auto snapshot = Snapshot::open(std::move(owner), raw, image.size(), error);
  if (!snapshot) throw std::logic_error("blocklist snapshot failed its own checks: " + error);
  return snapshot;
}

namespace {

// One distinct host of the table with its rules, in hash order.
struct HostPlan {
  HostRef host;
  std::uint32_t combo = 0;  // offset in the combos section (in 32-bit words)
  std::uint32_t url_count = 0;
  std::vector<std::uint8_t> urls;           // the encoded rules when they stay in the record
  std::optional<std::uint32_t> spilled_at;  // else their offset in the urls section
  std::vector<LocalAddress> local;
};

// Legal lists first, then list order: the order in which a lookup meets memberships.
bool precedes(std::uint32_t a, std::uint32_t b) {
  bool legal_a = (a & fmt::member::kLegal) != 0;
  bool legal_b = (b & fmt::member::kLegal) != 0;
  if (legal_a != legal_b) return legal_a;
  return a < b;
}

// Merges memberships that differ only in scope (an RPZ `name` and `*.name` of one list).
std::vector<std::uint32_t> merge_scopes(std::vector<std::uint32_t> run) {
  constexpr std::uint32_t kScope = fmt::member::kSelf | fmt::member::kBelow;
  std::sort(run.begin(), run.end(),
            [](std::uint32_t a, std::uint32_t b) { return (a & ~kScope) < (b & ~kScope); });
  std::vector<std::uint32_t> out;
  for (std::uint32_t m : run) {
    if (!out.empty() && (out.back() & ~kScope) == (m & ~kScope)) {
      out.back() |= m;
    } else {
      out.push_back(m);
    }
  }
  std::sort(out.begin(), out.end(), precedes);
  return out;
}

class ImageWriter {
 public:
  explicit ImageWriter(std::vector<std::uint8_t>& out) : out_(out) {
    out_.assign(fmt::kHeaderBytes, 0);
  }
  void begin(fmt::Section section) {
    pad_to(out_, fmt::kAlign);
    starts_[section] = out_.size();
  }
  void end(fmt::Section section) {
    std::uint8_t* at = out_.data() + fmt::kSectionsAt + 16 * section;
    fmt::store64(at, starts_[section]);
    fmt::store64(at + 8, out_.size() - starts_[section]);
  }

 private:
  std::vector<std::uint8_t>& out_;
  std::array<std::size_t, fmt::kSectionCount> starts_{};
};

}  // namespace

namespace {

// The steps of State::build, one function each; they share what the earlier ones produce.
// A template only so that it can hold the builder's private State without naming it.
template <typename State>
class ImageCompiler {
 public:
  ImageCompiler(State& state, std::uint64_t seed) : s_(state), seed_(seed) {}

  std::vector<std::uint8_t> compile(std::int64_t built_unix) {
    sort_by_host();
    plan_hosts();
    place_hosts();
    std::vector<std::uint8_t> image;
    ImageWriter writer(image);
    write_meta(writer, image);
    write_tables(writer, image);
    write_header(image, built_unix);
    return image;
  }

 private:
  bool host_less(const HostRef& a, const HostRef& b) const {
    return a.hash != b.hash ? a.hash < b.hash : s_.text(a) < s_.text(b);
  }
  bool host_equal(const HostRef& a, const HostRef& b) const {
    return a.hash == b.hash && s_.text(a) == s_.text(b);
  }
  std::string_view path_of(const PendingUrl& u) const {
    return std::string_view(s_.paths).substr(u.path_offset, u.path_size);
  }

  // Hashes every host with the snapshot's seed and sorts the three kinds of pending rules by
  // host (hash order, which is also home-group order).
  void sort_by_host() {
    auto rehash = [&](HostRef& ref) { ref.hash = fmt::host_hash(s_.text(ref), seed_); };
    for (auto& d : s_.domains)
      rehash(d.host);
    for (auto& u : s_.urls)
      rehash(u.host);
    for (auto& l : s_.locals)
      rehash(l.host);
    std::sort(
        s_.domains.begin(), s_.domains.end(),
        [&](const PendingDomain& a, const PendingDomain& b) { return host_less(a.host, b.host); });
    std::sort(s_.urls.begin(), s_.urls.end(), [&](const PendingUrl& a, const PendingUrl& b) {
      if (!host_equal(a.host, b.host)) return host_less(a.host, b.host);
      if (path_of(a) != path_of(b)) return path_of(a) < path_of(b);
      if (a.flags != b.flags) return a.flags < b.flags;
      return precedes(a.membership, b.membership);
    });
    std::sort(
        s_.locals.begin(), s_.locals.end(),
        [&](const PendingLocal& a, const PendingLocal& b) { return host_less(a.host, b.host); });
  }

  // One HostPlan per distinct host, merging the three sorted vectors.
  void plan_hosts() {
    std::size_t d = 0;
    std::size_t u = 0;
    std::size_t l = 0;
    while (d < s_.domains.size() || u < s_.urls.size() || l < s_.locals.size()) {
      const HostRef* next = nullptr;
      for (const HostRef* candidate : {d < s_.domains.size() ? &s_.domains[d].host : nullptr,
                                       u < s_.urls.size() ? &s_.urls[u].host : nullptr,
                                       l < s_.locals.size() ? &s_.locals[l].host : nullptr}) {
        if (candidate != nullptr && (next == nullptr || host_less(*candidate, *next)))
          next = candidate;
      }
      HostPlan host;
      host.host = *next;
      add_domain_rules(host, d);
      add_url_rules(host, u);
      add_local_data(host, l);
      plan_.push_back(std::move(host));
    }
    if (combos_.size() >= (1u << 30)) throw std::length_error("blocklist snapshot too large");
  }

  void add_domain_rules(HostPlan& host, std::size_t& d) {
    std::vector<std::uint32_t> run;
    for (; d < s_.domains.size() && host_equal(s_.domains[d].host, host.host); ++d)
      run.push_back(s_.domains[d].membership);
    if (run.empty()) return;
    run = merge_scopes(std::move(run));
    std::vector<std::uint32_t> lists_here;
    for (std::uint32_t m : run)
      lists_here.push_back(fmt::member::list(m));
    std::sort(lists_here.begin(), lists_here.end());
    domain_pairs_ += static_cast<std::size_t>(std::unique(lists_here.begin(), lists_here.end()) -
                                              lists_here.begin());
    // Identical runs (the same lists with the same say) are stored once.
    std::string key(reinterpret_cast<const char*>(run.data()), run.size() * 4);
    auto [it, added] =
        combo_at_.emplace(std::move(key), static_cast<std::uint32_t>(combos_.size()));
    if (added) {
      combos_.push_back(static_cast<std::uint32_t>(run.size()));
      combos_.insert(combos_.end(), run.begin(), run.end());
    }
    host.combo = it->second;
  }

  void add_url_rules(HostPlan& host, std::size_t& u) {
    const PendingUrl* last = nullptr;
    for (; u < s_.urls.size() && host_equal(s_.urls[u].host, host.host); ++u) {
      const PendingUrl& p = s_.urls[u];
      if (last && path_of(*last) == path_of(p) && last->membership == p.membership &&
          last->flags == p.flags) {
        continue;  // the same rule listed twice
      }
      fmt::encode_url(host.urls, p.membership, static_cast<std::uint8_t>(p.flags), path_of(p));
      ++host.url_count;
      last = &p;
    }
    url_rule_count_ += host.url_count;
    count_steered(host);
    if (host.urls.size() > fmt::kMaxInlineUrlBytes) {
      host.spilled_at = static_cast<std::uint32_t>(spilled_.size());
      spilled_.insert(spilled_.end(), host.urls.begin(), host.urls.end());
      host.urls = {};
      if (spilled_.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("blocklist snapshot: URL rules over 4 GiB");
      }
    }
  }

  // Counts the host once for each list whose URL blocks on it steer, and once in the total.
  void count_steered(const HostPlan& host) {
    namespace m = fmt::member;
    std::vector<std::uint32_t> steering;
    const std::uint8_t* p = host.spilled_at ? spilled_.data() + *host.spilled_at : host.urls.data();
    const std::uint8_t* end =
        host.spilled_at ? spilled_.data() + spilled_.size() : host.urls.data() + host.urls.size();
    for (std::uint32_t i = 0; i < host.url_count; ++i) {
      fmt::UrlView rule;
      fmt::decode_url(p, end, rule);
      if ((rule.membership & m::kSteer) && !(rule.membership & m::kAllow))
        steering.push_back(m::list(rule.membership));
    }
    if (steering.empty()) return;
    std::sort(steering.begin(), steering.end());
    steering.erase(std::unique(steering.begin(), steering.end()), steering.end());
    for (std::uint32_t list : steering)
      ++s_.lists[list].steered_names;
    ++steered_names_;
  }

  void add_local_data(HostPlan& host, std::size_t& l) {
    for (; l < s_.locals.size() && host_equal(s_.locals[l].host, host.host); ++l) {
      const LocalAddress& a = s_.locals[l].address;
      bool seen = std::any_of(host.local.begin(), host.local.end(), [&](const LocalAddress& b) {
        return b.size == a.size && b.bytes == a.bytes;
      });
      if (!seen && host.local.size() < fmt::kMaxLocalAddresses) host.local.push_back(a);
    }
  }

  // Hosts are in home-group order, so one sweep fills the groups: each host goes to the first
  // free slot at or after its home group, and every group it had to pass is marked overflowed.
  void place_hosts() {
    const std::size_t slots_wanted = plan_.size() * 10 / kMaxLoadTenths + 1;
    home_groups_ = (slots_wanted + fmt::kGroupSlots - 1) / fmt::kGroupSlots;
    where_.resize(plan_.size());
    // Hosts can spill past the last home group into tail groups, one per 14 hosts at most.
    overflow_.assign(home_groups_ + plan_.size() / fmt::kGroupSlots + 1, 0);
    std::size_t group = 0;
    unsigned slot = 0;
    for (std::size_t i = 0; i < plan_.size(); ++i) {
      std::size_t home = fmt::home_group(plan_[i].host.hash, home_groups_);
      if (group < home) {
        group = home;
        slot = 0;
      }
      where_[i] = {group, slot};
      for (std::size_t g = home; g < group; ++g)
        overflow_[g] = 1;
      if (++slot == fmt::kGroupSlots) {
        ++group;
        slot = 0;
      }
    }
    group_count_ = std::max<std::size_t>(home_groups_, plan_.empty() ? 1 : where_.back().first + 1);
  }

  void write_meta(ImageWriter& writer, std::vector<std::uint8_t>& image) const {
    writer.begin(fmt::meta);
    std::uint8_t count[4];
    fmt::store32(count, static_cast<std::uint32_t>(s_.lists.size()));
    image.insert(image.end(), count, count + 4);
    std::uint8_t word[8];
    for (const ListInfo& list : s_.lists) {
      image.push_back((list.legal ? fmt::kListLegal : 0) | (list.steer ? fmt::kListSteer : 0) |
                      (list.https_block ? fmt::kListHttpsBlock : 0));
      for (std::uint64_t n : {list.rules, list.steered_names}) {
        fmt::store64(word, n);
        image.insert(image.end(), word, word + 8);
      }
      for (std::string_view field :
           {std::string_view(list.id), std::string_view(list.category),
            std::string_view(list.authority), std::string_view(list.appeal)})
        put_string(image, field);
    }
    fmt::store32(count, static_cast<std::uint32_t>(s_.categories.size()));
    image.insert(image.end(), count, count + 4);
    for (const std::string& category : s_.categories)
      put_string(image, category);
    fmt::store64(word, steered_names_);
    image.insert(image.end(), word, word + 8);
    writer.end(fmt::meta);
  }

  void write_record(const HostPlan& host, std::vector<std::uint8_t>& records) const {
    std::string_view name = s_.text(host.host);
    records.push_back(static_cast<std::uint8_t>(name.size()));
    records.insert(records.end(), name.begin(), name.end());
    std::uint32_t ref =
        host.combo << 2 | (host.url_count ? 2u : 0u) | (host.local.empty() ? 0u : 1u);
    fmt::write_varint(records, ref);
    if (!host.local.empty()) {
      records.push_back(static_cast<std::uint8_t>(host.local.size()));
      for (const LocalAddress& a : host.local) {
        records.push_back(a.size);
        records.insert(records.end(), a.bytes.begin(), a.bytes.begin() + a.size);
      }
    }
    if (host.url_count) {
      fmt::write_varint(records, host.url_count);
      if (host.spilled_at) {
        records.push_back(fmt::kUrlsSpilled);
        fmt::write_varint(records, *host.spilled_at);
      } else {
        records.push_back(fmt::kUrlsInline);
        records.insert(records.end(), host.urls.begin(), host.urls.end());
      }
    }
  }

  // Groups, records, membership runs and spilled URL rules. Records are written first (to a
  // side buffer), in group order, so that each group knows its base.
  void write_tables(ImageWriter& writer, std::vector<std::uint8_t>& image) const {
    std::vector<std::uint8_t> records;
    std::vector<std::uint8_t> groups(group_count_ * fmt::kGroupBytes, 0);
    std::size_t i = 0;
    for (std::size_t g = 0; g < group_count_; ++g) {
      std::uint8_t* at = groups.data() + g * fmt::kGroupBytes;
      const std::size_t base = records.size();
      if (base > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("blocklist snapshot: records over 4 GiB");
      }
      fmt::store32(at, static_cast<std::uint32_t>(base));
      at[fmt::kGroupFlagsAt] = overflow_[g] ? fmt::kGroupOverflow : 0;
      for (; i < plan_.size() && where_[i].first == g; ++i) {
        unsigned slot = where_[i].second;
        fmt::store16(at + fmt::kGroupTagsAt + 2 * slot, fmt::tag_of(plan_[i].host.hash));
        fmt::store16(at + fmt::kGroupOffsetsAt + 2 * slot,
                     static_cast<std::uint16_t>(records.size() - base));
        write_record(plan_[i], records);
      }
      if (records.size() - base > std::numeric_limits<std::uint16_t>::max()) {
        throw std::length_error("blocklist snapshot: a group's records exceed 64 KiB");
      }
    }
    writer.begin(fmt::groups);
    image.insert(image.end(), groups.begin(), groups.end());
    writer.end(fmt::groups);
    writer.begin(fmt::records);
    image.insert(image.end(), records.begin(), records.end());
    writer.end(fmt::records);
    writer.begin(fmt::combos);
    for (std::uint32_t word : combos_) {
      std::uint8_t bytes[4];
      fmt::store32(bytes, word);
      image.insert(image.end(), bytes, bytes + 4);
    }
    writer.end(fmt::combos);
    writer.begin(fmt::urls);
    image.insert(image.end(), spilled_.begin(), spilled_.end());
    writer.end(fmt::urls);
    pad_to(image, fmt::kAlign);
  }

  void write_header(std::vector<std::uint8_t>& image, std::int64_t built_unix) const {
    std::uint64_t label_counts = 0;
    for (const HostPlan& host : plan_) {
      std::string_view name = s_.text(host.host);
      label_counts |= fmt::label_count_bit(
          static_cast<std::size_t>(std::count(name.begin(), name.end(), '.')) + 1);
    }
    std::uint8_t* header = image.data();
    std::memcpy(header, fmt::kMagic.data(), fmt::kMagic.size());
    fmt::store32(header + fmt::kVersionAt, fmt::kVersion);
    fmt::store64(header + fmt::kImageSizeAt, image.size());
    fmt::store64(header + fmt::kSeedAt, seed_);
    fmt::store64(header + fmt::kBuiltAt, static_cast<std::uint64_t>(built_unix));
    fmt::store64(header + fmt::kGroupCountAt, group_count_);
    fmt::store64(header + fmt::kHomeGroupsAt, home_groups_);
    fmt::store64(header + fmt::kHostCountAt, plan_.size());
    fmt::store64(header + fmt::kDomainRulesAt, domain_pairs_);
    fmt::store64(header + fmt::kUrlRulesAt, url_rule_count_);
    fmt::store64(header + fmt::kLabelCountsAt, label_counts);
    fmt::store64(header + fmt::kChecksumAt, fmt::image_checksum(image.data(), image.size()));
  }

  State& s_;
  std::uint64_t seed_;
  std::vector<HostPlan> plan_;
  std::vector<std::uint32_t> combos_ = {0};  // offset 0: the empty run
  std::unordered_map<std::string, std::uint32_t> combo_at_;
  std::vector<std::uint8_t> spilled_;  // the urls section
  std::uint64_t url_rule_count_ = 0;
  std::uint64_t steered_names_ = 0;
  std::uint64_t domain_pairs_ = 0;
  std::uint64_t home_groups_ = 0;
  std::size_t group_count_ = 0;
  std::vector<std::pair<std::size_t, unsigned>> where_;  // (group, slot) of each planned host
  std::vector<std::uint8_t> overflow_;
};

}  // namespace

std::vector<std::uint8_t> SnapshotBuilder::State::build(std::int64_t built_unix,
                                                        std::uint64_t seed) {
  return ImageCompiler<State>(*this, seed).compile(built_unix);
}

}  // namespace shelter::blocklist
