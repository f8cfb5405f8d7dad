// SnapshotBuilder: collects rules as flat vectors, then sorts them once by host hash and lays
// out the image described in snapshot_format.h. No per-rule heap allocation while collecting,
// and no per-host state while compiling: the records are written as the hosts are met.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
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

// A host as the builder keeps it: its hash and where its text is in the arena (a size byte,
// then the text). Three 32-bit words rather than a u64 and a u32, so that a pending domain is
// 16 bytes, not 24: at 1 M names that is 8 MB less at the peak of a load.
struct HostRef {
  std::uint32_t hash_low;
  std::uint32_t hash_high;
  std::uint32_t offset;

  std::uint64_t hash() const { return std::uint64_t{hash_high} << 32 | hash_low; }
  void set_hash(std::uint64_t hash) {
    hash_low = static_cast<std::uint32_t>(hash);
    hash_high = static_cast<std::uint32_t>(hash >> 32);
  }
};

struct PendingDomain {
  HostRef host;
  std::uint32_t membership;
};
static_assert(sizeof(PendingDomain) == 16);

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
  std::string hosts;  // a size byte and the host text, per rule; duplicates merged at build time
  std::string paths;  // URL rule paths
  std::vector<PendingDomain> domains;
  std::vector<PendingUrl> urls;
  std::vector<PendingLocal> locals;

  std::string_view text(const HostRef& ref) const {
    const auto size = static_cast<std::uint8_t>(hosts[ref.offset]);
    return std::string_view(hosts).substr(ref.offset + 1, size);
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
    if (hosts.size() + 1 + host.size() > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("blocklist snapshot: host text over 4 GiB");
    }
    HostRef ref{0, 0, static_cast<std::uint32_t>(hosts.size())};
    hosts.push_back(static_cast<char>(host.size()));
    hosts.append(host);
    return ref;
  }

  // Compiles the image into the buffer that `allocate(size)` returns (size bytes, 64-byte
  // aligned when it will be read in place). The collected rules are released on the way.
  using Allocate = std::function<std::uint8_t*(std::size_t)>;
  void build(std::int64_t built_unix, std::uint64_t seed, const Allocate& allocate);
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
  std::vector<std::uint8_t> image;
  state->build(built_unix, seed, [&](std::size_t size) {
    image.resize(size);
    return image.data();
  });
  return image;
}

std::shared_ptr<const Snapshot> SnapshotBuilder::build(std::int64_t built_unix,
                                                       std::uint64_t seed) {
  std::unique_ptr<State> state = std::exchange(state_, std::make_unique<State>());
  std::shared_ptr<const void> owner;
  std::uint8_t* image = nullptr;
  std::size_t image_size = 0;
  // Written straight into its final home: groups are read as whole cache lines, so the
  // buffer is aligned like a mapped file would be, and no second copy of the image is made.
  state->build(built_unix, seed, [&](std::size_t size) {
    const std::size_t bytes = (size + fmt::kAlign - 1) / fmt::kAlign * fmt::kAlign;
    auto* raw = static_cast<std::uint8_t*>(std::aligned_alloc(fmt::kAlign, bytes));
    if (raw == nullptr) throw std::bad_alloc();
    owner.reset(raw, [](const void* p) { std::free(const_cast<void*>(p)); });
    image = raw;
    image_size = size;
    return raw;
  });
  state.reset();
  std::string error;
  auto snapshot = Snapshot::open(std::move(owner), image, image_size, error);
  if (!snapshot) throw std::logic_error("blocklist snapshot failed its own checks: " + error);
  return snapshot;
}

namespace {

// The rules of one distinct host, gathered while its record is written. One is reused for
// every host, so that no per-host state outlives the host (a plan of every host was 80 bytes
// a host and the largest part of a load's peak).
struct HostRules {
  std::uint32_t combo = 0;  // offset in the combos section (in 32-bit words)
  std::uint32_t url_count = 0;
  std::vector<std::uint8_t> urls;           // the encoded rules when they stay in the record
  std::optional<std::uint32_t> spilled_at;  // else their offset in the urls section
  std::vector<LocalAddress> local;

  void clear() {
    combo = url_count = 0;
    urls.clear();
    spilled_at.reset();
    local.clear();
  }
};

// Where the pending rules of one host are: [first, end) of each sorted vector.
struct HostRuns {
  std::size_t domains = 0, domains_end = 0;
  std::size_t urls = 0, urls_end = 0;
  std::size_t locals = 0, locals_end = 0;
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

// The hash table's groups, filled in one sweep over the hosts in hash (home-group) order: each
// host goes to the first free slot at or after its home group, and every group it had to pass
// is marked overflowed. Records are appended as hosts are placed, so each group knows its base.
class GroupFiller {
 public:
  GroupFiller(std::size_t hosts, std::vector<std::uint8_t>& records) : records_(records) {
    const std::size_t slots_wanted = hosts * 10 / kMaxLoadTenths + 1;
    home_groups_ = (slots_wanted + fmt::kGroupSlots - 1) / fmt::kGroupSlots;
    // Hosts can spill past the last home group into tail groups, one per 14 hosts at most;
    // reserved, not touched, so only the groups used count.
    groups_.reserve((home_groups_ + hosts / fmt::kGroupSlots + 1) * fmt::kGroupBytes);
  }

  std::uint64_t home_groups() const { return home_groups_; }
  std::size_t group_count() const { return groups_.size() / fmt::kGroupBytes; }

  // Places a host whose record is about to be appended to `records`.
  void place(std::uint64_t hash) {
    const std::size_t home = fmt::home_group(hash, home_groups_);
    if (group_ < home) {
      group_ = home;
      slot_ = 0;
    }
    open_through(group_);
    for (std::size_t g = home; g < group_; ++g)
      group(g)[fmt::kGroupFlagsAt] = fmt::kGroupOverflow;
    std::uint8_t* at = group(group_);
    fmt::store16(at + fmt::kGroupTagsAt + 2 * slot_, fmt::tag_of(hash));
    fmt::store16(at + fmt::kGroupOffsetsAt + 2 * slot_,
                 static_cast<std::uint16_t>(records_.size() - fmt::load32(at)));
    if (++slot_ == fmt::kGroupSlots) {
      ++group_;
      slot_ = 0;
    }
  }

  // Opens the home groups no host reached; returns the groups section.
  std::vector<std::uint8_t> finish() {
    open_through(home_groups_ - 1);
    close_last();
    return std::move(groups_);
  }

 private:
  std::uint8_t* group(std::size_t g) { return groups_.data() + g * fmt::kGroupBytes; }

  void open_through(std::size_t last) {
    while (group_count() <= last) {
      close_last();
      const std::size_t base = records_.size();
      if (base > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("blocklist snapshot: records over 4 GiB");
      }
      groups_.resize(groups_.size() + fmt::kGroupBytes, 0);
      fmt::store32(group(group_count() - 1), static_cast<std::uint32_t>(base));
    }
  }

  void close_last() {
    if (group_count() == 0) return;
    if (records_.size() - fmt::load32(group(group_count() - 1)) >
        std::numeric_limits<std::uint16_t>::max()) {
      throw std::length_error("blocklist snapshot: a group's records exceed 64 KiB");
    }
  }

  std::vector<std::uint8_t>& records_;
  std::vector<std::uint8_t> groups_;
  std::uint64_t home_groups_ = 0;
  std::size_t group_ = 0;
  unsigned slot_ = 0;
};

// The image's sections in file order, each aligned to kAlign after the header.
struct SectionBytes {
  std::array<std::vector<std::uint8_t>, fmt::kSectionCount> parts;

  std::size_t image_size() const {
    std::size_t at = fmt::kHeaderBytes;
    for (const auto& part : parts)
      at = align(at) + part.size();
    return align(at);
  }
  // Moves every part into `image` (image_size() bytes), freeing each once copied, and fills
  // in the section table.
  void move_into(std::uint8_t* image) {
    std::memset(image, 0, fmt::kHeaderBytes);
    std::size_t at = fmt::kHeaderBytes;
    for (std::size_t s = 0; s < fmt::kSectionCount; ++s) {
      const std::size_t start = align(at);
      std::memset(image + at, 0, start - at);
      std::vector<std::uint8_t> part = std::move(parts[s]);
      if (!part.empty()) std::memcpy(image + start, part.data(), part.size());
      fmt::store64(image + fmt::kSectionsAt + 16 * s, start);
      fmt::store64(image + fmt::kSectionsAt + 16 * s + 8, part.size());
      at = start + part.size();
    }
    std::memset(image + at, 0, align(at) - at);
  }

 private:
  static std::size_t align(std::size_t at) {
    return (at + fmt::kAlign - 1) / fmt::kAlign * fmt::kAlign;
  }
};

// The steps of State::build, one function each; they share what the earlier ones produce.
// A template only so that it can hold the builder's private State without naming it.
template <typename State>
class ImageCompiler {
 public:
  ImageCompiler(State& state, std::uint64_t seed) : s_(state), seed_(seed) {}

  // Peak memory is the collected rules plus the records: every host's record is written as it
  // is met, and the rules are freed before the image is allocated.
  void compile(std::int64_t built_unix, const typename State::Allocate& allocate) {
    sort_by_host();
    SectionBytes sections;
    std::vector<std::uint8_t>& records = sections.parts[fmt::records];
    records.reserve(record_bytes_estimate());
    GroupFiller groups(host_count_, records);
    HostRules rules;
    for_each_host([&](const HostRef& host, const HostRuns& runs) {
      rules.clear();
      add_domain_rules(rules, runs);
      add_url_rules(rules, runs);
      add_local_data(rules, runs);
      groups.place(host.hash());
      write_record(host, rules, records);
    });
    home_groups_ = groups.home_groups();
    sections.parts[fmt::groups] = groups.finish();
    group_count_ = sections.parts[fmt::groups].size() / fmt::kGroupBytes;
    sections.parts[fmt::meta] = meta_bytes();
    release_rules();
    sections.parts[fmt::combos] = combo_bytes();
    sections.parts[fmt::urls] = std::move(spilled_);
    const std::size_t size = sections.image_size();
    std::uint8_t* image = allocate(size);
    sections.move_into(image);
    write_header(image, size, built_unix);
  }

 private:
  bool host_less(const HostRef& a, const HostRef& b) const {
    return a.hash() != b.hash() ? a.hash() < b.hash() : s_.text(a) < s_.text(b);
  }
  bool host_equal(const HostRef& a, const HostRef& b) const {
    return a.hash() == b.hash() && s_.text(a) == s_.text(b);
  }
  std::string_view path_of(const PendingUrl& u) const {
    return std::string_view(s_.paths).substr(u.path_offset, u.path_size);
  }

  // Hashes every host with the snapshot's seed and sorts the three kinds of pending rules by
  // host (hash order, which is also home-group order).
  void sort_by_host() {
    auto rehash = [&](HostRef& ref) { ref.set_hash(fmt::host_hash(s_.text(ref), seed_)); };
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
    host_count_ = 0;
    for_each_host([&](const HostRef& host, const HostRuns&) {
      ++host_count_;
      host_text_bytes_ += s_.text(host).size();
    });
  }

  // Calls visit(host, runs) for each distinct host, in hash order, merging the three vectors.
  template <typename Visit>
  void for_each_host(Visit visit) const {
    HostRuns runs;
    while (runs.domains < s_.domains.size() || runs.urls < s_.urls.size() ||
           runs.locals < s_.locals.size()) {
      const HostRef* next = nullptr;
      for (const HostRef* candidate :
           {runs.domains < s_.domains.size() ? &s_.domains[runs.domains].host : nullptr,
            runs.urls < s_.urls.size() ? &s_.urls[runs.urls].host : nullptr,
            runs.locals < s_.locals.size() ? &s_.locals[runs.locals].host : nullptr}) {
        if (candidate != nullptr && (next == nullptr || host_less(*candidate, *next)))
          next = candidate;
      }
      const HostRef host = *next;
      runs.domains_end = run_end(s_.domains, runs.domains, host);
      runs.urls_end = run_end(s_.urls, runs.urls, host);
      runs.locals_end = run_end(s_.locals, runs.locals, host);
      visit(host, runs);
      runs.domains = runs.domains_end;
      runs.urls = runs.urls_end;
      runs.locals = runs.locals_end;
    }
  }

  template <typename Pending>
  std::size_t run_end(const std::vector<Pending>& pending, std::size_t at,
                      const HostRef& host) const {
    while (at < pending.size() && host_equal(pending[at].host, host))
      ++at;
    return at;
  }

  // The records of hosts without URL rules or local data, exactly; others grow the buffer.
  std::size_t record_bytes_estimate() const { return host_text_bytes_ + 2 * host_count_; }

  // The collected rules are not needed once every record is written.
  void release_rules() {
    s_.hosts = std::string();
    s_.paths = std::string();
    s_.domains = {};
    s_.urls = {};
    s_.locals = {};
  }

  void add_domain_rules(HostRules& host, const HostRuns& runs) {
    std::vector<std::uint32_t> run;
    for (std::size_t d = runs.domains; d < runs.domains_end; ++d)
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
      if (combos_.size() >= (1u << 30)) throw std::length_error("blocklist snapshot too large");
    }
    host.combo = it->second;
  }

  void add_url_rules(HostRules& host, const HostRuns& runs) {
    const PendingUrl* last = nullptr;
    for (std::size_t u = runs.urls; u < runs.urls_end; ++u) {
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
      host.urls.clear();
      if (spilled_.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("blocklist snapshot: URL rules over 4 GiB");
      }
    }
  }

  // Counts the host once for each list whose URL blocks on it steer, and once in the total.
  void count_steered(const HostRules& host) {
    namespace m = fmt::member;
    std::vector<std::uint32_t> steering;
    const std::uint8_t* p = host.urls.data();
    const std::uint8_t* end = host.urls.data() + host.urls.size();
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

  void add_local_data(HostRules& host, const HostRuns& runs) {
    for (std::size_t l = runs.locals; l < runs.locals_end; ++l) {
      const LocalAddress& a = s_.locals[l].address;
      bool seen = std::any_of(host.local.begin(), host.local.end(), [&](const LocalAddress& b) {
        return b.size == a.size && b.bytes == a.bytes;
      });
      if (!seen && host.local.size() < fmt::kMaxLocalAddresses) host.local.push_back(a);
    }
  }

  std::vector<std::uint8_t> meta_bytes() const {
    std::vector<std::uint8_t> image;
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
    return image;
  }

  std::vector<std::uint8_t> combo_bytes() const {
    std::vector<std::uint8_t> out(combos_.size() * 4);
    for (std::size_t i = 0; i < combos_.size(); ++i)
      fmt::store32(out.data() + 4 * i, combos_[i]);
    return out;
  }

  void write_record(const HostRef& ref, const HostRules& host, std::vector<std::uint8_t>& records) {
    std::string_view name = s_.text(ref);
    label_counts_ |= fmt::label_count_bit(
        static_cast<std::size_t>(std::count(name.begin(), name.end(), '.')) + 1);
    records.push_back(static_cast<std::uint8_t>(name.size()));
    records.insert(records.end(), name.begin(), name.end());
    std::uint32_t ref_bits =
        host.combo << 2 | (host.url_count ? 2u : 0u) | (host.local.empty() ? 0u : 1u);
    fmt::write_varint(records, ref_bits);
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

  void write_header(std::uint8_t* header, std::size_t size, std::int64_t built_unix) const {
    std::memcpy(header, fmt::kMagic.data(), fmt::kMagic.size());
    fmt::store32(header + fmt::kVersionAt, fmt::kVersion);
    fmt::store64(header + fmt::kImageSizeAt, size);
    fmt::store64(header + fmt::kSeedAt, seed_);
    fmt::store64(header + fmt::kBuiltAt, static_cast<std::uint64_t>(built_unix));
    fmt::store64(header + fmt::kGroupCountAt, group_count_);
    fmt::store64(header + fmt::kHomeGroupsAt, home_groups_);
    fmt::store64(header + fmt::kHostCountAt, host_count_);
    fmt::store64(header + fmt::kDomainRulesAt, domain_pairs_);
    fmt::store64(header + fmt::kUrlRulesAt, url_rule_count_);
    fmt::store64(header + fmt::kLabelCountsAt, label_counts_);
    fmt::store64(header + fmt::kChecksumAt, fmt::image_checksum(header, size));
  }

  State& s_;
  std::uint64_t seed_;
  std::size_t host_count_ = 0;
  std::size_t host_text_bytes_ = 0;
  std::vector<std::uint32_t> combos_ = {0};  // offset 0: the empty run
  std::unordered_map<std::string, std::uint32_t> combo_at_;
  std::vector<std::uint8_t> spilled_;  // the urls section
  std::uint64_t url_rule_count_ = 0;
  std::uint64_t steered_names_ = 0;
  std::uint64_t domain_pairs_ = 0;
  std::uint64_t home_groups_ = 0;
  std::uint64_t label_counts_ = 0;
  std::size_t group_count_ = 0;
};

}  // namespace

void SnapshotBuilder::State::build(std::int64_t built_unix, std::uint64_t seed,
                                   const Allocate& allocate) {
  ImageCompiler<State>(*this, seed).compile(built_unix, allocate);
}

}  // namespace shelter::blocklist
