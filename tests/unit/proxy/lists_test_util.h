#pragma once
// Helpers for the list loading tests: a scratch directory, list files, and the load and
// commit steps of the daemon's ListKeeper, done by hand so that each step can be checked.

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/loader.h"
#include "proxy/lists/last_good.h"
#include "proxy/lists/list_loader.h"
#include "tests/unit/proxy/scratch_dir.h"

namespace Catch {
template <>
struct StringMaker<shelter::proxy::lists::ListResult> {
  static std::string convert(shelter::proxy::lists::ListResult r) {
    return std::string(shelter::proxy::lists::result_name(r));
  }
};
}  // namespace Catch

namespace lists_test {

namespace fs = std::filesystem;
namespace cfg = shelter::proxy::config;
namespace lists = shelter::proxy::lists;

// A fixed clock: 2023-11-14T22:13:20Z.
constexpr std::int64_t kNow = 1'700'000'000;

inline std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines)
    all += line + "\n";
  return all;
}

using shelter::test::Scratch;

// "<prefix><i>.example", one a line, for i in [from, to).
inline std::string domains(std::string_view prefix, int from, int to) {
  std::string text;
  for (int i = from; i < to; ++i)
    text += std::string(prefix) + std::to_string(i) + ".example\n";
  return text;
}

inline cfg::Config parse(const std::string& yaml) {
  cfg::LoadResult r = cfg::parse_config(yaml, "test.yaml");
  INFO(yaml);
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return *r.config;
}

inline lists::LoadContext context(const lists::LastGoodStore* store, std::int64_t now = kNow,
                                  const lists::LoadedLists* running = nullptr) {
  lists::LoadContext c;
  c.store = store;
  c.now_unix = now;
  c.running = running;
  return c;
}

// load_configured_lists, which must give a snapshot.
inline std::shared_ptr<lists::LoadedLists> load(const cfg::Config& config,
                                                const lists::LastGoodStore* store,
                                                std::int64_t now = kNow) {
  lists::ListLoadResult r = lists::load_configured_lists(config, context(store, now));
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.lists);
  REQUIRE(r.lists->snapshot);
  return r.lists;
}

// What ListKeeper::commit keeps once a load is in force.
inline void commit(lists::LastGoodStore& store, const lists::LoadedLists& loaded) {
  for (const lists::ListStatus& list : loaded.lists) {
    if (!list.to_keep) continue;
    lists::LastGoodMeta meta;
    meta.entries = list.entries;
    meta.accepted_unix = list.accepted_unix;
    meta.modified_unix = list.to_keep->modified_unix;
    meta.fingerprint = list.to_keep->fingerprint;
    REQUIRE(store.save(list.id, list.to_keep, meta) == "");
  }
}

inline const lists::ListStatus& status_of(const lists::LoadedLists& loaded, std::string_view id) {
  for (const lists::ListStatus& list : loaded.lists) {
    if (list.id == id) return list;
  }
  FAIL("no list " << id);
  throw std::logic_error("unreachable");
}

inline bool blocks(const lists::LoadedLists& loaded, std::string_view name) {
  return loaded.snapshot->lookup(name).blocked();
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace lists_test
