#include "proxy/lists/list_loader.h"

#include <malloc.h>
#include <sys/random.h>

#include <algorithm>

#include "blocklist/list_format.h"
#include "proxy/lists/snapshot_file.h"

namespace shelter::proxy::lists {
namespace {

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
      .steer = list.steer,
      .https_block = list.https_block,
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
  blocklist::ParseSummary feed(std::string_view text, blocklist::ListFormat format,
                               const std::string& where, std::string_view category,
                               bool url_prefixes = false) {
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
      // A parser's message quotes the line; a legal list's lines are never shown to anyone,
      // the log included, so its malformed lines are named by number only.
      out_.warnings.push_back(
          where + ":" + std::to_string(issue.line) + ": " +
          (legal_ ? std::string("malformed entry (legal lists are not quoted)") : issue.message));
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
    return summary;
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

// Feeds every part of a source, skipping parts that are not text (their junk would only
// flood the log with malformed lines), and sums up what the checks need.
blocklist::ListFacts feed_source(const ListSource& source, ListFeeder& feeder) {
  blocklist::ListFacts facts{.kind = blocklist::TextKind::empty,
                             .kind_detail = "no bytes but white space"};
  for (const SourcePart& part : source.parts) {
    std::string detail;
    const blocklist::TextKind kind = blocklist::sniff_text(part.text, &detail);
    if (kind == blocklist::TextKind::markup || kind == blocklist::TextKind::binary) {
      facts.kind = kind;
      facts.kind_detail = detail + " ('" + part.name + "')";
      continue;
    }
    if (kind == blocklist::TextKind::text && facts.kind == blocklist::TextKind::empty) {
      facts.kind = kind;
      facts.kind_detail = detail;
    }
    const blocklist::ParseSummary summary =
        feeder.feed(part.text, part.format, part.name, part.category, part.url_prefixes);
    facts.entries += summary.taken;
    facts.malformed += summary.rejected;
  }
  return facts;
}

ListResult result_of(blocklist::ListVerdict verdict) {
  switch (verdict) {
    case blocklist::ListVerdict::ok:
      return ListResult::ok;
    case blocklist::ListVerdict::refused_empty:
      return ListResult::refused_empty;
    case blocklist::ListVerdict::refused_format:
      return ListResult::refused_format;
    case blocklist::ListVerdict::refused_shrink:
      return ListResult::refused_shrink;
  }
  return ListResult::refused_format;
}

std::string format_of(const config::ListConfig& list) {
  return list.format == "squidguard" ? "SquidGuard" : list.format;
}

// The checks' verdict on a source that was read and fed, with the operator's acceptance
// applied where one is waiting for this very version.
void judge(const config::ListConfig& list, const config::ListUpdatesConfig& updates,
           const ListSource& source, const blocklist::ListFacts& facts,
           const std::optional<LastGoodMeta>& last, const LastGoodStore* store,
           ListStatus& status) {
  if (source.inline_entries) return;  // the configuration's own entries: checked as config
  const blocklist::ListCheck check =
      blocklist::check_list(facts, last ? std::optional(last->entries) : std::nullopt,
                            limits_for(list, updates), format_of(list));
  status.result = result_of(check.verdict);
  status.reason = check.reason;
  if (!check.acceptable() || store == nullptr) return;
  std::optional<Acceptance> acceptance = store->acceptance(list.id);
  if (acceptance &&
      (acceptance->fingerprint == source.fingerprint || acceptance->fingerprint == "*")) {
    status.result = ListResult::accepted_override;
    status.acceptance = std::move(acceptance);
  } else if (acceptance) {
    status.reason +=
        "; the acceptance given by " + acceptance->by + " is for another version of the file";
  }
}

ListStatus compile_one(const config::ListConfig& list, const config::ListUpdatesConfig& updates,
                       blocklist::SnapshotBuilder& builder, LoadedLists& out,
                       const LoadContext& context) {
  const blocklist::ListInfo info = info_of(list);
  ListStatus status{.id = list.id,
                    .category = info.category,
                    .legal = list.legal,
                    .max_age = max_age_for(list, updates)};
  const std::uint32_t index = builder.add_list(info);
  ListFeeder feeder(builder, index, list.action == "allow", list.legal, out);
  const std::optional<LastGoodMeta> last =
      context.store != nullptr ? context.store->meta(list.id) : std::nullopt;
  const auto mark = builder.mark(index);
  const std::size_t warnings = out.warnings.size();
  ListSource source = read_list_source(list);
  if (!source.error.empty()) {
    status.result = ListResult::refused_unreadable;
    status.reason = where_of(list) + ": " + source.error;
  } else {
    const blocklist::ListFacts facts = feed_source(source, feeder);
    judge(list, updates, source, facts, last, context.store, status);
    if (!is_refusal(status.result)) {
      status.in_force = true;
      status.modified_unix = source.modified_unix;
      status.accepted_unix = context.now_unix;
      if (source.inline_entries) return status;
      status.entries = facts.entries;
      if (last && last->fingerprint == source.fingerprint) {
        status.accepted_unix = last->accepted_unix;
      } else {
        status.to_keep = std::make_shared<const ListSource>(std::move(source));
      }
      return status;
    }
  }
  // Refused: take its rules back and feed the last good version instead. The refused file's
  // malformed lines are summed up in the reason; listing them would bury it.
  builder.rollback(mark);
  out.warnings.resize(warnings);
  std::string error;
  std::optional<ListSource> good =
      context.store != nullptr ? context.store->load(list.id, error) : std::nullopt;
  if (!good) {
    status.reason += "; no last good version to fall back on (" +
                     (context.store != nullptr ? error : std::string("none kept")) + ")";
    return status;
  }
  status.entries = feed_source(*good, feeder).entries;
  status.in_force = true;
  status.serving_last_good = true;
  status.modified_unix = good->modified_unix;
  status.accepted_unix = last ? last->accepted_unix : 0;
  return status;
}

// The per-list rules of the snapshot just built: what the metrics and the log show.
void count_entries(LoadedLists& lists) {
  const auto& infos = lists.snapshot->lists();
  for (std::size_t i = 0; i < lists.lists.size() && i < infos.size(); ++i)
    lists.lists[i].entries = infos[i].rules;
}

const config::ListConfig* configured(const config::Config& config, const std::string& id) {
  for (const config::ListConfig& list : config.lists) {
    if (list.id == id) return &list;
  }
  return nullptr;
}

// Statuses for the lists of a compiled snapshot: it was checked list by list when compiled.
void describe_snapshot_lists(const config::Config& config, LoadedLists& loaded,
                             std::int64_t now_unix) {
  for (const blocklist::ListInfo& info : loaded.snapshot->lists()) {
    ListStatus status{.id = info.id,
                      .category = info.category,
                      .legal = info.legal,
                      .in_force = true,
                      .entries = info.rules,
                      .modified_unix = loaded.snapshot->built_unix(),
                      .accepted_unix = now_unix};
    const config::ListConfig* list = configured(config, info.id);
    config::ListConfig defaults;
    defaults.legal = info.legal;
    status.max_age = max_age_for(list != nullptr ? *list : defaults, config.list_updates);
    loaded.lists.push_back(std::move(status));
  }
}

// A new snapshot may not silently drop a legal list that the running one enforces.
std::string dropped_legal_list(const blocklist::Snapshot& fresh, const LoadedLists* running) {
  if (running == nullptr) return {};
  for (const ListStatus& list : running->lists) {
    if (!list.legal || !list.in_force) continue;
    const auto& infos = fresh.lists();
    if (std::none_of(infos.begin(), infos.end(),
                     [&](const blocklist::ListInfo& i) { return i.id == list.id && i.legal; })) {
      return "it drops the legal list '" + list.id + "'";
    }
  }
  return {};
}

std::shared_ptr<LoadedLists> from_snapshot_file(const config::Config& config,
                                                const std::string& path, SnapshotFile file,
                                                std::int64_t now_unix) {
  auto loaded = std::make_shared<LoadedLists>();
  loaded->snapshot = std::move(file.snapshot);
  loaded->snapshot_path = path;
  loaded->snapshot_mtime = file.modified_unix;
  loaded->snapshot_inode = file.inode;
  describe_snapshot_lists(config, *loaded, now_unix);
  return loaded;
}

}  // namespace

std::string_view result_name(ListResult result) {
  static constexpr std::string_view kNames[] = {
      "ok",
      "accepted-override",
      "refused-empty",
      "refused-format",
      "refused-shrink",
      "refused-unreadable",
      "refused-snapshot",
  };
  return kNames[static_cast<std::size_t>(result)];
}

std::string describe_steering(const blocklist::Snapshot& snapshot) {
  std::string text = "names steered to the proxy for a page check:\n";
  for (const blocklist::ListInfo& list : snapshot.lists()) {
    text.append("  ").append(list.id).append(": ");
    text.append(std::to_string(list.steered_names)).append(" names");
    text.append(list.steer ? "\n" : " (steer: false)\n");
  }
  text.append("  total: ")
      .append(std::to_string(snapshot.steered_name_count()))
      .append(" distinct names\n");
  return text;
}

bool is_refusal(ListResult result) {
  return result != ListResult::ok && result != ListResult::accepted_override;
}

std::size_t LoadedLists::refused() const {
  return static_cast<std::size_t>(std::count_if(
      lists.begin(), lists.end(), [](const ListStatus& l) { return is_refusal(l.result); }));
}

std::uint64_t LoadedLists::entries() const {
  std::uint64_t sum = 0;
  for (const ListStatus& l : lists)
    sum += l.entries;
  return sum;
}

blocklist::ListLimits limits_for(const config::ListConfig& list,
                                 const config::ListUpdatesConfig& updates) {
  return {.max_malformed = list.max_malformed.value_or(updates.max_malformed),
          .max_shrink =
              list.max_shrink.value_or(list.legal ? updates.max_shrink_legal : updates.max_shrink)};
}

std::chrono::milliseconds max_age_for(const config::ListConfig& list,
                                      const config::ListUpdatesConfig& updates) {
  // Inline entries are the configuration itself: they do not age.
  if (list.path.empty() && !list.entries.empty()) return std::chrono::milliseconds{0};
  return list.max_age.value_or(list.legal ? updates.max_age_legal : updates.max_age);
}

std::uint64_t random_hash_seed() {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = 0x5eed;
  return seed;
}

ListLoadResult compile_lists(const config::Config& config, blocklist::SnapshotBuilder& builder,
                             const LoadContext& context) {
  ListLoadResult result;
  auto loaded = std::make_shared<LoadedLists>();
  for (const config::ListConfig& list : config.lists)
    loaded->lists.push_back(compile_one(list, config.list_updates, builder, *loaded, context));
  result.lists = std::move(loaded);
  return result;
}

ListLoadResult load_configured_lists(const config::Config& config, const LoadContext& context) {
  ListLoadResult result;
  if (config.snapshot.path.empty()) {
    blocklist::SnapshotBuilder builder;
    result = compile_lists(config, builder, context);
    result.lists->snapshot = builder.build(context.now_unix, random_hash_seed());
    count_entries(*result.lists);
    // The build freed tens of MB in pieces of every size (the rules, the records); most of it
    // sits in holes of the heap that glibc keeps until told, so the steady size would carry
    // the build's peak for the life of the process.
    ::malloc_trim(0);
    return result;
  }
  SnapshotFile file = read_snapshot_file(config.snapshot.path);
  std::string problem =
      file.snapshot ? dropped_legal_list(*file.snapshot, context.running) : file.error;
  if (problem.empty()) {
    result.lists =
        from_snapshot_file(config, config.snapshot.path, std::move(file), context.now_unix);
    return result;
  }
  result.errors.push_back("snapshot.path: " + problem);
  // At start there is nothing running to keep: the last snapshot swapped in is the fallback.
  if (context.running != nullptr || context.store == nullptr || !context.store->persistent()) {
    return result;
  }
  SnapshotFile kept = read_snapshot_file(context.store->snapshot_path());
  if (!kept.snapshot) {
    result.errors.push_back("no last good snapshot to fall back on: " + kept.error);
    return result;
  }
  result.lists =
      from_snapshot_file(config, config.snapshot.path, std::move(kept), context.now_unix);
  result.lists->snapshot_mtime = file.modified_unix;  // the refused file is not read again
  result.lists->snapshot_inode = file.inode;
  for (ListStatus& list : result.lists->lists) {
    list.result = ListResult::refused_snapshot;
    list.reason = problem;
    list.serving_last_good = true;
  }
  result.errors.clear();
  result.lists->warnings.push_back("snapshot.path: " + problem +
                                   "; serving the last good snapshot from " +
                                   context.store->snapshot_path());
  return result;
}

std::optional<ListVerdictNow> check_list_now(const config::Config& config, const std::string& id,
                                             const LastGoodStore& store) {
  const config::ListConfig* list = configured(config, id);
  if (list == nullptr) return std::nullopt;
  blocklist::SnapshotBuilder builder;
  LoadedLists scratch;
  const std::uint32_t index = builder.add_list(info_of(*list));
  ListFeeder feeder(builder, index, list->action == "allow", list->legal, scratch);
  ListVerdictNow now;
  const std::optional<LastGoodMeta> last = store.meta(id);
  if (last) now.last_good_entries = last->entries;
  const ListSource source = read_list_source(*list);
  if (!source.error.empty()) {
    now.result = ListResult::refused_unreadable;
    now.reason = source.error;
    return now;
  }
  const blocklist::ListFacts facts = feed_source(source, feeder);
  const blocklist::ListCheck check = blocklist::check_list(
      facts, now.last_good_entries, limits_for(*list, config.list_updates), format_of(*list));
  now.result = source.inline_entries ? ListResult::ok : result_of(check.verdict);
  now.reason = check.reason;
  now.acceptable = !source.inline_entries && check.acceptable();
  now.entries = facts.entries;
  now.fingerprint = source.fingerprint;
  return now;
}

}  // namespace shelter::proxy::lists
