// The snapshot against a reference matcher written straight from the precedence rules in
// snapshot.h, on random lists and random names and URLs. The reference is deliberately
// plain: a sorted map from host to rules, every suffix of the name tried in turn.
// Run another seed with SHELTER_PROPERTY_SEED=<n>.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "blocklist/snapshot.h"

namespace bl = shelter::blocklist;

namespace {

struct RefRule {
  std::uint32_t list = 0;
  bool legal = false;
  bool allow = false;
  bool important = false;
  bool self = true;
  bool below = true;
  std::string host;
  std::string path;  // empty for a domain rule
  bool prefix = false;
  bool separator = false;
  std::string category;
  std::uint32_t category_bit = 0;  // filled in from the snapshot's numbering
};

// What the comparison looks at; equal when the snapshot and the reference agree.
struct Outcome {
  bool blocked = false;
  std::uint32_t list = 0;
  std::string host;
  bool url = false;
  std::string path;
  std::uint64_t categories = 0;
  bool legal = false;
  bool legal_override = false;
  bool partial = false;
  std::uint64_t partial_categories = 0;
  bool partial_legal = false;

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  if (o.blocked) {
    out << "L" << o.list << "@" << o.host << (o.url ? " url " + o.path : " domain");
  } else {
    out << "not blocked";
  }
  out << " categories=" << std::hex << o.categories << std::dec << " legal=" << o.legal
      << " override=" << o.legal_override << " partial=" << o.partial
      << " partial_categories=" << std::hex << o.partial_categories << std::dec
      << " partial_legal=" << o.partial_legal;
  return out;
}

Outcome outcome_of(const bl::LookupResult& r) {
  Outcome o;
  o.blocked = r.blocked();
  if (r.decided) {
    o.list = r.decided->list_index;
    o.host = std::string(r.decided->host);
    o.url = r.decided->level == bl::RuleLevel::url;
    o.path = std::string(r.decided->path);
  }
  o.categories = r.categories;
  o.legal = r.legal;
  o.legal_override = r.legal_override;
  o.partial = r.partial;
  o.partial_categories = r.partial_categories;
  o.partial_legal = r.partial_legal;
  return o;
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '%';
}

bool path_matches(const RefRule& rule, const std::string& path) {
  if (rule.prefix) {
    if (path.compare(0, rule.path.size(), rule.path) != 0) return false;
    if (!rule.separator || path.size() == rule.path.size()) return true;
    return !word_char(path[rule.path.size()]);
  }
  if (path == rule.path) return true;
  return rule.path.find('?') == std::string::npos && path.substr(0, path.find('?')) == rule.path;
}

class Reference {
 public:
  void add(const RefRule& rule) { rules_.emplace(rule.host, rule); }
  void number_categories(const std::vector<std::string>& names) {
    for (auto& [host, rule] : rules_) {
      auto it = std::find(names.begin(), names.end(), rule.category);
      REQUIRE(it != names.end());
      rule.category_bit = static_cast<std::uint32_t>(it - names.begin());
    }
  }

  // Every rule that applies to the name (and, when `path` is given, to the URL).
  std::vector<std::pair<const RefRule*, std::size_t>> applicable(const std::string& name,
                                                                 const std::string* path) const {
    std::vector<std::pair<const RefRule*, std::size_t>> out;
    std::size_t depth = 0;
    for (std::size_t start = 0;;) {
      auto [first, last] = rules_.equal_range(name.substr(start));
      for (auto it = first; it != last; ++it) {
        const RefRule& r = it->second;
        if (depth == 0 ? !r.self : !r.below) continue;
        if (!r.path.empty() && path != nullptr && !path_matches(r, *path)) continue;
        out.emplace_back(&r, depth);
      }
      std::size_t dot = name.find('.', start);
      if (dot == std::string::npos) break;
      start = dot + 1;
      ++depth;
    }
    return out;
  }

  Outcome lookup(const std::string& name, const std::string* path, std::uint64_t enabled) const {
    const bool dns = path == nullptr;
    const auto found = applicable(name, path);
    auto counts = [&](const RefRule& r) { return r.legal || ((enabled >> r.category_bit) & 1); };
    // Per class (0 ordinary, 1 legal): which rules take part in deciding.
    struct Class {
      bool block = false, important_block = false, allow = false, important_allow = false;
      bool blocked() const { return block && !(important_allow || (allow && !important_block)); }
    } classes[2];
    for (const auto& [r, depth] : found) {
      if (dns && !r->path.empty()) continue;
      Class& c = classes[r->legal];
      if (r->allow) {
        c.allow = true;
        c.important_allow |= r->important;
      } else if (counts(*r)) {
        c.block = true;
        c.important_block |= r->important;
      }
    }
    Outcome o;
    std::optional<std::pair<const RefRule*, std::size_t>> best[2];
    for (const auto& [r, depth] : found) {
      if (r->allow || !counts(*r) || (dns && !r->path.empty())) continue;
      const Class& c = classes[r->legal];
      if (!c.blocked() || !(r->important || !c.allow)) continue;
      o.categories |= std::uint64_t{1} << r->category_bit;
      auto& b = best[r->legal];
      if (!b || more_specific(*r, depth, *b->first, b->second)) b = {r, depth};
    }
    o.legal = classes[1].blocked();
    o.legal_override = classes[1].block && !classes[1].blocked();
    const auto& decided = best[1] ? best[1] : best[0];
    if (decided) {
      o.blocked = true;
      o.list = decided->first->list;
      o.host = decided->first->host;
      o.url = !decided->first->path.empty();
      o.path = decided->first->path;
      return o;
    }
    if (!dns) return o;
    for (const auto& [r, depth] : found) {
      if (r->path.empty() || r->allow || !counts(*r)) continue;
      const Class& c = classes[r->legal];
      if (c.important_allow || (c.allow && !r->important)) continue;
      o.partial = true;
      o.partial_categories |= std::uint64_t{1} << r->category_bit;
      o.partial_legal |= r->legal;
    }
    return o;
  }

 private:
  static bool more_specific(const RefRule& a, std::size_t depth_a, const RefRule& b,
                            std::size_t depth_b) {
    if (depth_a != depth_b) return depth_a < depth_b;
    if (a.path.empty() != b.path.empty()) return !a.path.empty();
    if (a.path.size() != b.path.size()) return a.path.size() > b.path.size();
    return a.list < b.list;
  }

  std::multimap<std::string, RefRule, std::less<>> rules_;
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::uint64_t bits() { return rng_(); }

  template <typename T, std::size_t N>
  const T& pick(const std::array<T, N>& items) {
    return items[below(N)];
  }

  // Labels from a small alphabet, so that listed and queried names share suffixes often;
  // two long labels take the hash's path for labels over 16 bytes.
  std::string label() {
    static const std::array<std::string, 12> kNamed = {"a",
                                                       "b",
                                                       "ab",
                                                       "www",
                                                       "cdn",
                                                       "com",
                                                       "net",
                                                       "org",
                                                       "io",
                                                       "a-b",
                                                       "averyverylonglabel",
                                                       "anotherquitelonglabel-x"};
    std::size_t n = below(kNamed.size() + 28);
    return n < kNamed.size() ? kNamed[n] : "l" + std::to_string(n);
  }

  std::string name(std::size_t min_labels, std::size_t max_labels) {
    std::size_t labels = min_labels + below(max_labels - min_labels + 1);
    std::string out;
    for (std::size_t i = 0; i < labels; ++i) {
      if (i) out += '.';
      out += label();
    }
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

const std::array<std::string, 11> kRulePaths = {
    "/", "/a", "/a/", "/a/b", "/ab", "/a?x=1", "/a/b?y=2", "/img/", "/p-1", "/p.html", "/q?id=1"};
const std::array<std::string, 28> kQueryPaths = {
    "/",      "/a",     "/a/",      "/a/b",    "/a/bc",     "/ab",        "/abc",
    "/a?x=1", "/a?x=2", "/a/b?y=2", "/a/b?z",  "/img/",     "/img/1.jpg", "/img",
    "/p-1",   "/p-1/x", "/p-12",    "/p.html", "/p.html?x", "/q?id=1",    "/q?id=1&x",
    "/q",     "/a_b",   "/a-b",     "/a.b",    "/a%20",     "/a&b",       "/a:b"};

struct World {
  std::shared_ptr<const bl::Snapshot> snapshot;
  Reference reference;
  std::vector<std::string> hosts;
};

World make_world(Generator& gen) {
  World w;
  bl::SnapshotBuilder builder;
  const std::array<std::string, 4> kCategories = {"adult", "gambling", "malware", "social"};
  const std::array<std::string, 3> kEntryCategories = {"ads", "tracking", "drugs"};
  constexpr std::uint32_t kLists = 10;
  std::vector<bool> legal;
  std::vector<std::string> category;
  for (std::uint32_t i = 0; i < kLists; ++i) {
    legal.push_back(i == 2 || i == 7);
    category.push_back(legal.back() ? "csam" : gen.pick(kCategories));
    builder.add_list({"list" + std::to_string(i), category.back(), legal.back(), "", ""});
  }
  // Mostly two or three labels; a few single labels make TLD-wide rules take part too.
  for (int i = 0; i < 700; ++i)
    w.hosts.push_back(gen.chance(0.01) ? gen.name(1, 1) : gen.name(2, 4));
  for (int i = 0; i < 4000; ++i) {
    RefRule r;
    r.list = static_cast<std::uint32_t>(gen.below(kLists));
    r.legal = legal[r.list];
    r.allow = gen.chance(0.15);
    r.important = gen.chance(0.15);
    std::size_t scope = gen.below(5);
    r.self = scope != 4;   // 4: below only
    r.below = scope != 3;  // 3: self only
    r.host = w.hosts[gen.below(w.hosts.size())];
    if (gen.chance(0.3)) {
      r.path = gen.pick(kRulePaths);
      r.prefix = gen.chance(0.5);
      r.separator = r.prefix && gen.chance(0.5);
    }
    bl::Rule rule;
    rule.action = r.allow ? bl::RuleAction::allow : bl::RuleAction::block;
    rule.scope = r.self && r.below ? bl::HostScope::self_and_below
                 : r.self          ? bl::HostScope::self_only
                                   : bl::HostScope::below_only;
    rule.important = r.important;
    rule.host = r.host;
    rule.path = r.path;
    rule.path_prefix = r.prefix;
    rule.path_separator = r.separator;
    if (gen.chance(0.1)) rule.category = gen.pick(kEntryCategories);
    REQUIRE(builder.add(r.list, rule));
    r.category = rule.category.empty() ? category[r.list] : std::string(rule.category);
    w.reference.add(r);
  }
  w.snapshot = builder.build(0, gen.bits());
  w.reference.number_categories(w.snapshot->categories());
  return w;
}

// A listed host, a name below one, or a random name (which often hits as well).
std::string random_host(Generator& gen, const World& w) {
  switch (gen.below(3)) {
    case 0:
      return w.hosts[gen.below(w.hosts.size())];
    case 1:
      return gen.name(1, 2) + "." + w.hosts[gen.below(w.hosts.size())];
    default:
      return gen.name(1, 5);
  }
}

std::string random_path(Generator& gen) {
  if (gen.chance(0.8)) return gen.pick(kQueryPaths);
  static const std::array<char, 10> kNext = {'/', '?', '_', '-', '.', '%', 'a', '1', '&', '='};
  return gen.pick(kRulePaths) + gen.pick(kNext);
}

std::uint64_t random_enabled(Generator& gen) {
  switch (gen.below(4)) {
    case 0:
      return gen.bits();
    case 1:
      return ~(std::uint64_t{1} << gen.below(8));
    default:
      return bl::kAllCategories;
  }
}

// The applicable rules as the reference sees them, for matching_rules() and failure reports.
std::vector<std::string> describe(
    const std::vector<std::pair<const RefRule*, std::size_t>>& rules) {
  std::vector<std::string> out;
  for (const auto& [r, depth] : rules) {
    out.push_back("L" + std::to_string(r->list) + (r->allow ? " allow " : " block ") + r->host +
                  r->path + (r->important ? " important" : ""));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // the snapshot merges duplicates
  return out;
}

std::vector<std::string> describe(const std::vector<bl::MatchedRule>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) {
    out.push_back("L" + std::to_string(r.list_index) +
                  (r.action == bl::RuleAction::allow ? " allow " : " block ") +
                  std::string(r.host) + std::string(r.path) + (r.important ? " important" : ""));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());  // the snapshot merges duplicates
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += "\n  " + line;
  return out;
}

}  // namespace

TEST_CASE("lookups agree with a reference matcher on random lists", "[property]") {
  std::uint64_t seed = 20261130;
  if (const char* env = std::getenv("SHELTER_PROPERTY_SEED"))
    seed = std::strtoull(env, nullptr, 10);
  INFO("seed " << seed << " (rerun with SHELTER_PROPERTY_SEED=" << seed << ")");
  Generator gen(seed);
  const World w = make_world(gen);
  constexpr int kQueries = 100000;
  int mismatches = 0;
  int blocked = 0;
  int partial = 0;
  int by_url = 0;
  int ordinary = 0;
  int overridden = 0;
  for (int i = 0; i < 2 * kQueries && mismatches < 10; ++i) {
    const bool url = i >= kQueries;
    const std::string host = random_host(gen, w);
    const std::string path = url ? random_path(gen) : std::string();
    const std::uint64_t enabled = random_enabled(gen);
    const Outcome expected = w.reference.lookup(host, url ? &path : nullptr, enabled);
    const Outcome got = outcome_of(url ? w.snapshot->lookup_url(host, path, enabled)
                                       : w.snapshot->lookup(host, enabled));
    blocked += expected.blocked;
    partial += expected.partial;
    by_url += expected.url;
    ordinary += expected.blocked && !expected.legal;
    overridden += expected.legal_override;
    // The rules behind a result, whatever their precedence, every so often.
    const bool rules_differ =
        i % 16 == 0 && describe(w.reference.applicable(host, url ? &path : nullptr)) !=
                           describe(w.snapshot->matching_rules(host, path));
    if (got == expected && !rules_differ) continue;
    ++mismatches;
    std::ostringstream report;
    report << (url ? "lookup_url(" + host + ", " + path + ")" : "lookup(" + host + ")")
           << " enabled=" << std::hex << enabled << std::dec << "\nexpected: " << expected
           << "\ngot:      " << got
           << "\nrules:" << join(describe(w.reference.applicable(host, url ? &path : nullptr)))
           << "\nsnapshot's rules:" << join(describe(w.snapshot->matching_rules(host, path)));
    FAIL_CHECK(report.str());
  }
  CHECK(mismatches == 0);
  // The data must exercise both outcomes, or the comparison proves little.
  INFO("blocked " << blocked << ", partial " << partial << ", by a URL rule " << by_url
                  << ", by an ordinary list " << ordinary << ", legal overrides " << overridden);
  CHECK(blocked > kQueries / 5);
  CHECK(blocked < 2 * kQueries * 4 / 5);
  CHECK(partial > kQueries / 100);
  CHECK(by_url > kQueries / 100);
  CHECK(ordinary > kQueries / 10);
  CHECK(overridden > kQueries / 1000);
}
