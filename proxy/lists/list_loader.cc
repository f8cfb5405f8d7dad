#include "proxy/lists/list_loader.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "blocklist/list_format.h"
#include "proxy/lists/snapshot_file.h"

namespace shelter::proxy::lists {
namespace {

struct FileText {
  std::string text;
  std::int64_t modified_unix = 0;
  std::string error;
};

FileText read_file(const std::string& path) {
  FileText result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.error = "cannot open '" + path + "': " + std::strerror(errno);
    return result;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    result.error = "cannot read '" + path + "': " + std::strerror(errno);
    return result;
  }
  result.text = std::move(buffer).str();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) result.modified_unix = st.st_mtime;
  return result;
}

blocklist::ListInfo info_of(const config::ListConfig& list) {
  std::string category = list.category;
  // A SquidGuard tree has a category per folder; the list's own is only a fallback.
  if (category.empty() && !list.categories.empty()) category = list.categories.front().second;
  return blocklist::ListInfo{
      .id = list.id,
      .category = category,
      .legal = list.legal,
      .authority = list.authority,
      .appeal = list.appeal,
  };
}

std::string where_of(const config::ListConfig& list) {
  std::string where = list.key_path.empty() ? "list '" + list.id + "'" : list.key_path + ".path";
  if (list.line > 0) where += " (line " + std::to_string(list.line) + ")";
  return where;
}

// Feeds one text to the builder, as blocks or (for an allowlist) as exceptions.
class ListFeeder {
 public:
  ListFeeder(blocklist::SnapshotBuilder& builder, std::uint32_t index, bool allowlist, bool legal,
             LoadedLists& out)
      : builder_(builder), index_(index), allowlist_(allowlist), legal_(legal), out_(out) {}

  // `url_prefixes`: SquidGuard matches a `urls` entry as a prefix ending at a path boundary
  // ("example.com/dir" covers /dir and /dir/page, not /directory).
  std::uint64_t feed(std::string_view text, blocklist::ListFormat format, const std::string& where,
                     std::string_view category, bool url_prefixes = false) {
    blocklist::ParseSummary summary =
        blocklist::parse_rules(text, format, [&](const blocklist::Rule& parsed) {
          blocklist::Rule rule = parsed;
          if (allowlist_) rule.action = blocklist::RuleAction::allow;
          if (!category.empty()) rule.category = category;
          if (url_prefixes && !rule.path.empty() && !rule.path_prefix) {
            rule.path_prefix = true;
            rule.path_separator = true;
          }
          if (legal_ && rule.action == blocklist::RuleAction::allow) ++legal_exceptions_;
          if (!builder_.add(index_, rule) && !category_warned_) {
            category_warned_ = true;
            out_.warnings.push_back(where + ": more than " +
                                    std::to_string(blocklist::kMaxCategories) +
                                    " categories; rules of further categories dropped");
          }
        });
    for (const blocklist::ParseIssue& issue : summary.issues) {
      out_.warnings.push_back(where + ":" + std::to_string(issue.line) + ": " + issue.message);
    }
    if (summary.rejected > summary.issues.size()) {
      out_.warnings.push_back(where + ": " +
                              std::to_string(summary.rejected - summary.issues.size()) +
                              " more malformed lines");
    }
    if (legal_exceptions_ > 0) {
      // The operator override of authority lists: said at every load, counted per answer.
      out_.warnings.push_back(where + ": " + std::to_string(legal_exceptions_) +
                              " exceptions in a legal list: they lift legal (authority) blocks; "
                              "answers they change are counted in shelter_legal_overrides_total");
      legal_exceptions_ = 0;
    }
    if (summary.unsupported > 0) {
      out_.warnings.push_back(where + ": " + std::to_string(summary.unsupported) +
                              " rules skipped as unsupported (browser-only or cosmetic)");
    }
    return summary.taken;
  }

 private:
  blocklist::SnapshotBuilder& builder_;
  std::uint32_t index_;
  bool allowlist_;
  bool legal_;
  LoadedLists& out_;
  std::uint64_t legal_exceptions_ = 0;
  bool category_warned_ = false;
};

// A SquidGuard tree: <path>/<folder>/domains and <path>/<folder>/urls for every mapped folder.
std::uint64_t feed_squidguard(const config::ListConfig& list, ListFeeder& feeder,
                              std::vector<std::string>& errors, metrics::ListGauge& gauge) {
  namespace fs = std::filesystem;
  std::uint64_t taken = 0;
  for (const auto& [folder, category] : list.categories) {
    fs::path dir = fs::path(list.path) / folder;
    bool any = false;
    for (auto [file, format] : {std::pair{"domains", blocklist::ListFormat::domains},
                                std::pair{"urls", blocklist::ListFormat::urls}}) {
      std::string path = (dir / file).string();
      std::error_code ec;
      if (!fs::exists(path, ec)) continue;
      FileText text = read_file(path);
      if (!text.error.empty()) {
        errors.push_back(where_of(list) + ": list '" + list.id + "': " + text.error);
        continue;
      }
      any = true;
      gauge.modified_unix = std::max(gauge.modified_unix, text.modified_unix);
      taken += feeder.feed(text.text, format, path, category, true);
    }
    if (!any) {
      errors.push_back(where_of(list) + ": list '" + list.id + "': folder '" + dir.string() +
                       "' has neither a domains nor a urls file");
    }
  }
  return taken;
}

}  // namespace

std::uint64_t random_hash_seed() {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = 0x5eed;
  return seed;
}

ListLoadResult compile_lists(const std::vector<config::ListConfig>& lists,
                             blocklist::SnapshotBuilder& builder) {
  ListLoadResult result;
  auto loaded = std::make_shared<LoadedLists>();
  for (const config::ListConfig& list : lists) {
    std::uint32_t index = builder.add_list(info_of(list));
    ListFeeder feeder(builder, index, list.action == "allow", list.legal, *loaded);
    metrics::ListGauge gauge{.id = list.id, .category = info_of(list).category};
    if (list.format == "squidguard") {
      gauge.entries = feed_squidguard(list, feeder, result.errors, gauge);
      loaded->gauges.push_back(std::move(gauge));
      continue;
    }
    auto format = blocklist::parse_list_format(list.format);
    if (!format) {
      result.errors.push_back("list '" + list.id + "': unknown format '" + list.format + "'");
      continue;
    }
    std::string text;
    std::string where;
    if (!list.path.empty()) {
      FileText file = read_file(list.path);
      if (!file.error.empty()) {
        result.errors.push_back(where_of(list) + ": list '" + list.id + "': " + file.error);
        continue;
      }
      text = std::move(file.text);
      gauge.modified_unix = file.modified_unix;
      where = list.path;
    } else {
      for (const std::string& entry : list.entries)
        text += entry + '\n';
      where = "entries of list '" + list.id + "'";
    }
    gauge.entries = feeder.feed(text, *format, where, {});
    loaded->gauges.push_back(std::move(gauge));
  }
  if (result.errors.empty()) result.lists = std::move(loaded);
  return result;
}

ListLoadResult load_lists(const std::vector<config::ListConfig>& lists, std::int64_t now_unix) {
  blocklist::SnapshotBuilder builder;
  ListLoadResult result = compile_lists(lists, builder);
  if (!result.lists) return result;
  result.lists->snapshot = builder.build(now_unix, random_hash_seed());
  for (metrics::ListGauge& gauge : result.lists->gauges)
    gauge.loaded_unix = now_unix;
  return result;
}

ListLoadResult load_configured_lists(const config::Config& config, std::int64_t now_unix) {
  if (config.snapshot.path.empty()) return load_lists(config.lists, now_unix);
  ListLoadResult result;
  SnapshotFile file = read_snapshot_file(config.snapshot.path);
  if (!file.snapshot) {
    result.errors.push_back("snapshot.path: " + file.error);
    return result;
  }
  auto loaded = std::make_shared<LoadedLists>();
  for (const blocklist::ListInfo& list : file.snapshot->lists()) {
    loaded->gauges.push_back({.id = list.id,
                              .category = list.category,
                              .entries = list.rules,
                              .loaded_unix = now_unix,
                              .modified_unix = file.snapshot->built_unix()});
  }
  loaded->snapshot = std::move(file.snapshot);
  loaded->snapshot_path = config.snapshot.path;
  loaded->snapshot_mtime = file.modified_unix;
  loaded->snapshot_inode = file.inode;
  result.lists = std::move(loaded);
  return result;
}

}  // namespace shelter::proxy::lists
