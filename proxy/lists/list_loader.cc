#include "proxy/lists/list_loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "blocklist/domain_list.h"

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

blocklist::ListInfo info_of(const config::ListConfig& list, const std::string& default_appeal) {
  return blocklist::ListInfo{
      .id = list.id,
      .category = list.category,
      .legal = list.legal,
      .authority = list.authority,
      .appeal = list.appeal.empty() ? default_appeal : list.appeal,
  };
}

}  // namespace

ListLoadResult load_lists(const std::vector<config::ListConfig>& lists,
                          const std::string& default_appeal, std::int64_t now_unix) {
  ListLoadResult result;
  auto loaded = std::make_shared<LoadedLists>();
  blocklist::SnapshotBuilder builder;
  for (const config::ListConfig& list : lists) {
    std::uint32_t index = builder.add_list(info_of(list, default_appeal));
    metrics::ListGauge gauge{.id = list.id, .category = list.category, .loaded_unix = now_unix};
    auto add = [&](std::string_view domain) { builder.add_domain(index, domain); };
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
        std::string where =
            list.key_path.empty() ? "list '" + list.id + "'" : list.key_path + ".path";
        if (list.line > 0) where += " (line " + std::to_string(list.line) + ")";
        result.errors.push_back(where + ": list '" + list.id + "': " + file.error);
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
    blocklist::ParseSummary summary = blocklist::parse_list(text, *format, add);
    gauge.entries = summary.taken;
    for (const blocklist::ParseIssue& issue : summary.issues) {
      loaded->warnings.push_back(where + ":" + std::to_string(issue.line) + ": " + issue.message);
    }
    if (summary.rejected > summary.issues.size()) {
      loaded->warnings.push_back(where + ": " +
                                 std::to_string(summary.rejected - summary.issues.size()) +
                                 " more malformed lines");
    }
    loaded->gauges.push_back(std::move(gauge));
  }
  if (!result.errors.empty()) return result;
  loaded->snapshot = builder.build();
  result.lists = std::move(loaded);
  return result;
}

}  // namespace shelter::proxy::lists
