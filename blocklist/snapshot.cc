// Snapshot: opening (validation) of an image and the lookups. The lookups trust the image:
// open() has checked every offset and index they follow.
#include "blocklist/snapshot.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "blocklist/snapshot_format.h"
#include "blocklist/snapshot_layout.h"
#include "blocklist/suffix_hash.h"

namespace shelter::blocklist {

namespace fmt = format;

namespace {

// Bit i set when slot i of the group holds `tag`.
inline unsigned match_tags(const std::uint8_t* group, std::uint16_t tag) {
#if defined(__SSE2__)
  const __m128i wanted = _mm_set1_epi16(static_cast<short>(tag));
  __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(group + fmt::kGroupTagsAt));
  __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(group + fmt::kGroupTagsAt + 16));
  __m128i bytes = _mm_packs_epi16(_mm_cmpeq_epi16(low, wanted), _mm_cmpeq_epi16(high, wanted));
  // Lanes 14 and 15 of `high` are the first two record offsets, not tags.
  return static_cast<unsigned>(_mm_movemask_epi8(bytes)) & ((1u << fmt::kGroupSlots) - 1);
#else
  unsigned mask = 0;
  for (unsigned i = 0; i < fmt::kGroupSlots; ++i)
    mask |= unsigned{fmt::load16(group + fmt::kGroupTagsAt + 2 * i) == tag} << i;
  return mask;
#endif
}

std::uint32_t combo_word(const Snapshot::Layout& l, std::size_t index) {
  return fmt::load32(l.combos + 4 * index);
}

// The URL rule at `p`, which open() has checked.
fmt::UrlView url_at(const std::uint8_t* p) {
  fmt::UrlView url;
  url.membership = fmt::load32(p);
  url.flags = p[4];
  p += 5;
  std::uint32_t size = 0;
  fmt::read_varint(p, p + 5, size);
  url.path = std::string_view(reinterpret_cast<const char*>(p), size);
  return url;
}

// The record of `host`, or null.
const std::uint8_t* find(const Snapshot::Layout& l, std::string_view host, std::uint64_t hash) {
  const std::uint16_t tag = fmt::tag_of(hash);
  for (std::size_t g = fmt::home_group(hash, l.home_groups); g < l.group_count; ++g) {
    const std::uint8_t* group = l.groups + g * fmt::kGroupBytes;
    for (unsigned match = match_tags(group, tag); match != 0; match &= match - 1) {
      auto slot = static_cast<unsigned>(__builtin_ctz(match));
      const std::uint8_t* rec =
          l.records + fmt::load32(group) + fmt::load16(group + fmt::kGroupOffsetsAt + 2 * slot);
      if (rec[0] == host.size() && std::memcmp(rec + 1, host.data(), host.size()) == 0) return rec;
    }
    if ((group[fmt::kGroupFlagsAt] & fmt::kGroupOverflow) == 0) return nullptr;
  }
  return nullptr;
}

// A rule that applies to the name being looked up, before precedence.
// Trivially constructible, so that a lookup's inline array of them costs nothing to create.
struct Candidate {
  std::uint32_t membership;
  std::uint32_t depth;  // labels between the name and the listed host (0: the name itself)
  const std::uint8_t* record;
  const std::uint8_t* url;  // the URL rule; null for a domain-level rule
};

// Candidates without a heap allocation in the common case (a handful at most).
class Candidates {
 public:
  void push(const Candidate& c) {
    if (size_ < inline_.size()) {
      inline_[size_++] = c;
    } else {
      if (spill_.empty()) spill_.assign(inline_.begin(), inline_.end());
      spill_.push_back(c);
      ++size_;
    }
  }
  std::size_t size() const { return size_; }
  const Candidate& operator[](std::size_t i) const {
    return spill_.empty() ? inline_[i] : spill_[i];
  }

 private:
  std::array<Candidate, 16> inline_;
  std::vector<Candidate> spill_;
  std::size_t size_ = 0;
};

bool applies(std::uint32_t membership, std::uint32_t depth) {
  return (membership & (depth == 0 ? fmt::member::kSelf : fmt::member::kBelow)) != 0;
}

// Does `path` (canonical, maybe with a query) match a URL rule's path?
// A request path, with its part before the query worked out once: a host may carry thousands
// of URL rules (a big shared host on an authority list), each compared against it.
struct RequestPath {
  std::string_view full;
  std::string_view without_query;  // == full when there is no query
  explicit RequestPath(std::string_view path)
      : full(path), without_query(path.substr(0, path.find('?'))) {}
};

bool path_matches(std::string_view rule, std::uint16_t flags, const RequestPath& path) {
  if (flags & fmt::kUrlPrefix) {
    if (!path.full.starts_with(rule)) return false;
    if (!(flags & fmt::kUrlSeparator) || path.full.size() == rule.size()) return true;
    // adblock `^`: anything but a letter, a digit or one of "_-.%".
    char next = path.full[rule.size()];
    bool word = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
                (next >= '0' && next <= '9') || next == '_' || next == '-' || next == '.' ||
                next == '%';
    return !word;
  }
  // A page listed without a query is that page whatever the query. (A rule equal to the path
  // without its query has no query itself.)
  return rule == path.full || rule == path.without_query;
}

// Gathers the candidates for `name`: domain-level rules always; URL rules either all of them
// (`path` null: the DNS view, where they can only make the name partial) or those matching
// `*path`.
void gather(const Snapshot::Layout& l, std::string_view name, const std::string_view* path,
            Candidates& out) {
  if (name.empty()) return;
  // No entry is longer than kMaxNameBytes, so only the tail of an over-long name can match.
  if (name.size() > SuffixHashes::kMaxBytes)
    name.remove_prefix(name.size() - SuffixHashes::kMaxBytes);
  SuffixHashes suffixes(name, l.seed);
  const RequestPath request_path(path != nullptr ? *path : std::string_view());
  // Prefetch every home group first, so that the cache misses of a large table overlap.
  // Suffix k has k + 1 labels; suffixes of a label count no host has are never probed.
  for (std::size_t k = 0; k < suffixes.size(); ++k) {
    if (l.label_counts & fmt::label_count_bit(k + 1))
      __builtin_prefetch(l.groups +
                         fmt::home_group(suffixes.hash(k), l.home_groups) * fmt::kGroupBytes);
  }
  const std::size_t labels = suffixes.size();
  for (std::size_t k = labels; k-- > 0;) {
    if (!(l.label_counts & fmt::label_count_bit(k + 1))) continue;
    std::size_t start = suffixes.start(k);
    const std::uint8_t* rec = find(l, name.substr(start), suffixes.hash(k));
    if (rec == nullptr) continue;
    auto depth = static_cast<std::uint32_t>(labels - 1 - k);
    fmt::Record r;
    fmt::decode_record(l, rec, r);
    std::uint32_t count = combo_word(l, r.combo);
    for (std::uint32_t i = 1; i <= count; ++i) {
      std::uint32_t m = combo_word(l, r.combo + i);
      if (applies(m, depth)) out.push({m, depth, rec, nullptr});
    }
    const std::uint8_t* p = r.urls;
    for (std::uint32_t i = 0; i < r.url_count; ++i) {
      const std::uint8_t* rule_at = p;
      fmt::UrlView rule;
      fmt::decode_url(p, r.urls_end, rule);
      if (!applies(rule.membership, depth)) continue;
      if (path != nullptr && !path_matches(rule.path, rule.flags, request_path)) continue;
      out.push({rule.membership, depth, rec, rule_at});
    }
  }
}

MatchedRule to_rule(const Candidate& c) {
  namespace m = fmt::member;
  MatchedRule rule;
  rule.list_index = m::list(c.membership);
  rule.category = m::category(c.membership);
  rule.action = (c.membership & m::kAllow) ? RuleAction::allow : RuleAction::block;
  rule.important = (c.membership & m::kImportant) != 0;
  rule.answer = static_cast<DnsAnswer>((c.membership >> m::kAnswerShift) & 3);
  bool self = (c.membership & m::kSelf) != 0;
  bool below = (c.membership & m::kBelow) != 0;
  rule.scope = self && below ? HostScope::self_and_below
               : self        ? HostScope::self_only
                             : HostScope::below_only;
  rule.host = std::string_view(reinterpret_cast<const char*>(c.record + 1), c.record[0]);
  if (c.url != nullptr) {
    fmt::UrlView url = url_at(c.url);
    rule.level = RuleLevel::url;
    rule.path = url.path;
    rule.path_prefix = (url.flags & fmt::kUrlPrefix) != 0;
    rule.path_separator = (url.flags & fmt::kUrlSeparator) != 0;
  }
  return rule;
}

// How one class (legal or not) of rules comes out.
struct ClassOutcome {
  bool any_block = false;
  bool important_block = false;
  bool allow = false;
  bool important_allow = false;

  bool blocked() const { return any_block && !(important_allow || (allow && !important_block)); }
  // Whether a block rule of this class stands, given the class's exceptions.
  bool stands(std::uint32_t membership) const {
    return blocked() && ((membership & fmt::member::kImportant) || !allow);
  }
};

// `a` is a more specific block than `b`: nearer host, URL rule first (longer path first),
// then the earlier list.
bool more_specific(const Candidate& a, const Candidate& b) {
  if (a.depth != b.depth) return a.depth < b.depth;
  if ((a.url != nullptr) != (b.url != nullptr)) return a.url != nullptr;
  if (a.url != nullptr) {
    std::size_t pa = url_at(a.url).path.size();
    std::size_t pb = url_at(b.url).path.size();
    if (pa != pb) return pa > pb;
  }
  return fmt::member::list(a.membership) < fmt::member::list(b.membership);
}

bool counts(std::uint32_t membership, std::uint64_t enabled) {
  return (membership & fmt::member::kLegal) || ((enabled >> fmt::member::category(membership)) & 1);
}

void read_local_data(const std::uint8_t* p, std::vector<LocalAddress>& out) {
  std::uint8_t count = *p++;
  for (std::uint8_t i = 0; i < count; ++i) {
    LocalAddress a;
    a.size = *p++;
    std::memcpy(a.bytes.data(), p, a.size);
    p += a.size;
    out.push_back(a);
  }
}

// Applies the precedence of LookupResult to the candidates. With `dns_view`, URL-level
// candidates never decide; they only make the name partial.
LookupResult evaluate(const Snapshot::Layout& l, const Candidates& all, std::uint64_t enabled,
                      bool dns_view) {
  namespace m = fmt::member;
  LookupResult result;
  if (all.size() == 0) return result;
  ClassOutcome classes[2];  // [0] ordinary, [1] legal
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Candidate& c = all[i];
    if (dns_view && c.url != nullptr) continue;
    ClassOutcome& cls = classes[(c.membership & m::kLegal) ? 1 : 0];
    bool important = (c.membership & m::kImportant) != 0;
    if (c.membership & m::kAllow) {
      cls.allow = true;
      cls.important_allow |= important;
    } else if (counts(c.membership, enabled)) {
      cls.any_block = true;
      cls.important_block |= important;
    }
  }
  const Candidate* best[2] = {nullptr, nullptr};
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Candidate& c = all[i];
    if ((c.membership & m::kAllow) || !counts(c.membership, enabled)) continue;
    int cls = (c.membership & m::kLegal) ? 1 : 0;
    if (dns_view && c.url != nullptr) {
      // Only a steering list's URL blocks make a name partial (ListInfo::steer).
      if (!(c.membership & m::kSteer)) continue;
      // A URL block makes the name partial unless the domain-level exceptions of its class
      // already lift it.
      bool lifted =
          classes[cls].important_allow || (classes[cls].allow && !(c.membership & m::kImportant));
      if (!lifted) {
        result.partial = true;
        result.partial_categories |= std::uint64_t{1} << m::category(c.membership);
        result.partial_legal |= cls == 1;
        result.partial_https_block |= l.https_block[m::list(c.membership)];
      }
      continue;
    }
    if (!classes[cls].stands(c.membership)) continue;
    result.categories |= std::uint64_t{1} << m::category(c.membership);
    if (best[cls] == nullptr || more_specific(c, *best[cls])) best[cls] = &c;
  }
  result.excepted = (classes[0].any_block && !classes[0].blocked()) ||
                    (classes[1].any_block && !classes[1].blocked()) ||
                    (classes[0].blocked() && classes[0].allow) ||
                    (classes[1].blocked() && classes[1].allow);
  result.legal = classes[1].blocked();
  result.legal_override = classes[1].any_block && !classes[1].blocked();
  const Candidate* decided = best[1] != nullptr ? best[1] : best[0];
  if (decided != nullptr) {
    result.decided = to_rule(*decided);
    if (result.decided->answer == DnsAnswer::local_data) {
      fmt::Record r;
      fmt::decode_record(l, decided->record, r);
      if (r.local != nullptr) read_local_data(r.local, result.local_data);
    }
    result.partial = false;
    result.partial_categories = 0;
    result.partial_legal = false;
    result.partial_https_block = false;
  }
  return result;
}

}  // namespace

std::size_t Snapshot::host_count() const {
  return layout_->host_count;
}
std::size_t Snapshot::domain_rule_count() const {
  return layout_->domain_rules;
}
std::size_t Snapshot::url_rule_count() const {
  return layout_->url_count;
}
std::int64_t Snapshot::built_unix() const {
  return layout_->built_unix;
}

LookupResult Snapshot::lookup(std::string_view name, std::uint64_t enabled) const {
  Candidates candidates;
  gather(*layout_, name, nullptr, candidates);
  return evaluate(*layout_, candidates, enabled, true);
}

LookupResult Snapshot::lookup_url(std::string_view host, std::string_view path,
                                  std::uint64_t enabled) const {
  Candidates candidates;
  gather(*layout_, host, &path, candidates);
  return evaluate(*layout_, candidates, enabled, false);
}

std::vector<MatchedRule> Snapshot::matching_rules(std::string_view host,
                                                  std::string_view path) const {
  Candidates candidates;
  gather(*layout_, host, path.empty() ? nullptr : &path, candidates);
  std::vector<MatchedRule> out;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    out.push_back(to_rule(candidates[i]));
  return out;
}

std::vector<std::uint32_t> Snapshot::lists_of(std::string_view host) const {
  std::vector<std::uint32_t> out;
  if (host.empty() || host.size() > fmt::kMaxNameBytes) return out;
  const std::uint8_t* rec = find(*layout_, host, fmt::host_hash(host, layout_->seed));
  if (rec == nullptr) return out;
  fmt::Record r;
  fmt::decode_record(*layout_, rec, r);
  std::uint32_t count = combo_word(*layout_, r.combo);
  for (std::uint32_t i = 1; i <= count; ++i)
    out.push_back(fmt::member::list(combo_word(*layout_, r.combo + i)));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace shelter::blocklist
