#pragma once
// What the snapshot tests share: rule specs, building and opening images, and a one-line
// summary of a lookup so that tables can say what they expect.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "blocklist/snapshot.h"
#include "blocklist/snapshot_format.h"

namespace shelter::blocklist::test {

namespace bl = shelter::blocklist;
namespace fmt = shelter::blocklist::format;

inline bl::ListInfo ordinary(std::string id, std::string category = "adult") {
  return {std::move(id), std::move(category), false, "", ""};
}

inline bl::ListInfo legal(std::string id) {
  return {std::move(id), "csam", true, "IWF", "https://appeal.example"};
}

// A rule that owns its text; the chainable helpers return modified copies.
struct Spec {
  std::uint32_t list = 0;
  std::string host;
  bl::RuleAction action = bl::RuleAction::block;
  bl::HostScope scope = bl::HostScope::self_and_below;
  bool is_important = false;
  std::string path;
  bool prefix = false;
  bool separator = false;
  std::string category;
  bl::DnsAnswer dns_answer = bl::DnsAnswer::configured;
  std::vector<std::uint8_t> address;

  Spec important() const {
    return with([](Spec& s) { s.is_important = true; });
  }
  Spec self_only() const {
    return with([](Spec& s) { s.scope = bl::HostScope::self_only; });
  }
  Spec below_only() const {
    return with([](Spec& s) { s.scope = bl::HostScope::below_only; });
  }
  Spec exact(std::string p) const {
    return with([&](Spec& s) { s.path = std::move(p); });
  }
  Spec prefixed(std::string p, bool sep = false) const {
    return with([&](Spec& s) {
      s.path = std::move(p);
      s.prefix = true;
      s.separator = sep;
    });
  }
  Spec in(std::string c) const {
    return with([&](Spec& s) { s.category = std::move(c); });
  }
  Spec answer(bl::DnsAnswer a, std::vector<std::uint8_t> addr = {}) const {
    return with([&](Spec& s) {
      s.dns_answer = a;
      s.address = std::move(addr);
    });
  }

  bl::Rule rule() const {
    bl::Rule r;
    r.action = action;
    r.scope = scope;
    r.important = is_important;
    r.host = host;
    r.path = path;
    r.path_prefix = prefix;
    r.path_separator = separator;
    r.category = category;
    r.answer = dns_answer;
    std::copy(address.begin(), address.end(), r.address.begin());
    r.address_size = static_cast<std::uint8_t>(address.size());
    return r;
  }

 private:
  template <typename F>
  Spec with(F change) const {
    Spec copy = *this;
    change(copy);
    return copy;
  }
};

inline Spec block(std::uint32_t list, std::string host) {
  Spec s;
  s.list = list;
  s.host = std::move(host);
  return s;
}

inline Spec allow(std::uint32_t list, std::string host) {
  Spec s = block(list, std::move(host));
  s.action = bl::RuleAction::allow;
  return s;
}

inline void add_all(bl::SnapshotBuilder& builder, const std::vector<bl::ListInfo>& lists,
                    const std::vector<Spec>& rules) {
  for (const auto& info : lists)
    builder.add_list(info);
  for (const auto& spec : rules)
    REQUIRE(builder.add(spec.list, spec.rule()));
}

inline std::shared_ptr<const bl::Snapshot> make(const std::vector<bl::ListInfo>& lists,
                                                const std::vector<Spec>& rules) {
  bl::SnapshotBuilder builder;
  add_all(builder, lists, rules);
  return builder.build(0, 1);
}

inline std::vector<std::uint8_t> image_of(const std::vector<bl::ListInfo>& lists,
                                          const std::vector<Spec>& rules) {
  bl::SnapshotBuilder builder;
  add_all(builder, lists, rules);
  return builder.build_image(1700000000, 1);
}

// Opens the first `size` bytes of `image` from a 64-byte-aligned heap copy of exactly that
// size, so that a sanitizer build sees any read past the end.
inline std::shared_ptr<const bl::Snapshot> open_bytes(const std::vector<std::uint8_t>& image,
                                                      std::size_t size, std::string& error) {
  void* block = nullptr;
  REQUIRE(posix_memalign(&block, fmt::kAlign, std::max<std::size_t>(size, 1)) == 0);
  auto* raw = static_cast<std::uint8_t*>(block);
  std::shared_ptr<const void> owner(raw, [](const void* p) { std::free(const_cast<void*>(p)); });
  std::memcpy(raw, image.data(), size);
  error.clear();
  return bl::Snapshot::open(std::move(owner), raw, size, error);
}

inline std::shared_ptr<const bl::Snapshot> open_bytes(const std::vector<std::uint8_t>& image,
                                                      std::string& error) {
  return open_bytes(image, image.size(), error);
}

inline void recompute_checksum(std::vector<std::uint8_t>& image) {
  fmt::store64(image.data() + fmt::kChecksumAt, fmt::image_checksum(image.data(), image.size()));
}

// "L<list>@<host><path>" for the deciding rule, "-" when nothing is blocked, then flags.
inline std::string summary(const bl::LookupResult& r) {
  std::string out = "-";
  if (r.decided) {
    out = "L" + std::to_string(r.decided->list_index) + "@" + std::string(r.decided->host) +
          std::string(r.decided->path);
  }
  if (r.legal) out += " legal";
  if (r.legal_override) out += " override";
  if (r.partial) out += " partial";
  return out;
}

// "host" is a DNS lookup, "host/path" a URL lookup.
inline bl::LookupResult query(const bl::Snapshot& s, std::string_view q,
                              std::uint64_t enabled = bl::kAllCategories) {
  std::size_t slash = q.find('/');
  if (slash == std::string_view::npos) return s.lookup(q, enabled);
  return s.lookup_url(q.substr(0, slash), q.substr(slash), enabled);
}

struct Case {
  std::string query;
  std::string expected;
};

inline void check(const bl::Snapshot& s, const std::vector<Case>& cases,
                  std::uint64_t enabled = bl::kAllCategories) {
  for (const auto& [q, expected] : cases) {
    CAPTURE(q);
    CHECK(summary(query(s, q, enabled)) == expected);
  }
}

struct Scenario {
  std::string what;
  std::vector<bl::ListInfo> lists;
  std::vector<Spec> rules;
  std::vector<Case> cases;
};

inline void run(const std::vector<Scenario>& scenarios) {
  for (const auto& scenario : scenarios) {
    INFO(scenario.what);
    check(*make(scenario.lists, scenario.rules), scenario.cases);
  }
}

inline std::uint64_t bit(const bl::Snapshot& s, std::string_view category) {
  const auto& names = s.categories();
  auto it = std::find(names.begin(), names.end(), category);
  REQUIRE(it != names.end());
  return std::uint64_t{1} << (it - names.begin());
}

// A name of exactly `size` bytes made of labels of at most 63 bytes.
inline std::string name_of_size(std::size_t size, char c) {
  std::string name;
  while (name.size() < size) {
    if (!name.empty()) name += '.';
    std::size_t left = size - name.size();
    std::size_t n = std::min<std::size_t>(63, left);
    if (left - n == 1) --n;  // never leave room for a lone dot
    name.append(n, c);
  }
  return name;
}

}  // namespace shelter::blocklist::test
