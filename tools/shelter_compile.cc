// shelter-compile: reads the lists a configuration names and writes one checked, versioned
// snapshot that shelterd loads; or explains which rules match a name or URL.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/loader.h"
#include "proxy/lists/list_loader.h"
#include "proxy/lists/snapshot_file.h"
#include "tools/explain.h"

namespace {

namespace config = shelter::proxy::config;
namespace lists = shelter::proxy::lists;
namespace bl = shelter::blocklist;

constexpr const char* kUsage = R"(Usage:
  shelter-compile --config FILE [--output SNAPSHOT] [--accept-shrink ID [--reason TEXT]]...
                  [--explain NAME-OR-URL]...
  shelter-compile --snapshot SNAPSHOT --explain NAME-OR-URL...

Reads every list the configuration names (domains, hosts, adblock, rpz, urls, squidguard),
reports what each gave (taken / skipped / unsupported / rejected lines), and with --output
writes a snapshot for shelterd's `snapshot.path` (atomically: shelterd sees the old file or
the new one, and swaps to the new one without dropping a query).

Every list read from a file is checked first (docs/list-updates.md): one that is empty, is not
its declared format (an HTML page, binary data, too many malformed lines) or lost more entries
than its max-shrink against the snapshot being replaced is refused, and then nothing is written.

  --config FILE        shelterd's configuration (its `lists` section is read)
  --output SNAPSHOT    write the compiled snapshot here
  --snapshot SNAPSHOT  explain against an existing snapshot instead of the lists
  --accept-shrink ID   take list ID although it shrank past its limit or is empty, on
                       purpose (said with your name and the time); once per list
  --reason TEXT        why, printed with each acceptance
  --explain SUBJECT    a name (www.example.com) or URL (http://example.com/a/b): print every
                       rule that matches it, from which list and line, and the decision
  --help               print this help

Exit status: 0 done; 1 a list was refused, or the configuration or the snapshot has errors
(nothing written); 2 bad usage.
)";

struct Options {
  std::string config_path;
  std::string output;
  std::string snapshot;
  std::vector<std::string> explain;
  std::vector<std::string> accept_shrink;
  std::string reason;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "shelter-compile: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

void print_summary(const bl::Snapshot& snapshot, double seconds) {
  std::printf("compiled %zu lists in %.2f s:\n", snapshot.lists().size(), seconds);
  for (const bl::ListInfo& list : snapshot.lists()) {
    std::printf("  %-24s %-12s %10llu rules%s\n", list.id.c_str(), list.category.c_str(),
                static_cast<unsigned long long>(list.rules), list.legal ? "  (legal)" : "");
  }
  std::size_t hosts = snapshot.host_count();
  std::printf("%zu hosts, %zu domain entries, %zu URL entries, %zu categories; %zu bytes", hosts,
              snapshot.domain_rule_count(), snapshot.url_rule_count(), snapshot.categories().size(),
              snapshot.image_bytes());
  if (hosts > 0)
    std::printf(" (%.1f bytes a host)", static_cast<double>(snapshot.image_bytes()) / hosts);
  std::printf("\n%s", lists::describe_steering(snapshot).c_str());
}

int explain_all(const Options& options, const bl::Snapshot& snapshot,
                const std::vector<config::ListConfig>& sources, bool proxy) {
  int status = 0;
  for (const std::string& subject : options.explain) {
    std::string text;
    if (!shelter::tools::explain(subject, snapshot, sources, proxy, text)) {
      std::fprintf(stderr, "shelter-compile: --explain '%s': %s\n", subject.c_str(), text.c_str());
      status = 1;
      continue;
    }
    std::fputs(text.c_str(), stdout);
  }
  return status;
}

// The snapshot about to be replaced is what a shrink is measured against. An existing path
// that is not a regular file (a device, a directory) is refused before anything is read.
bool read_baseline(const std::string& output, lists::LastGoodStore& store) {
  struct stat st {};
  if (::stat(output.c_str(), &st) != 0) return true;  // a first snapshot
  if (!S_ISREG(st.st_mode)) {
    std::fprintf(stderr, "shelter-compile: --output '%s' exists and is not a regular file\n",
                 output.c_str());
    return false;
  }
  lists::SnapshotFile old = lists::read_snapshot_file(output);
  if (!old.snapshot) {
    std::fprintf(stderr, "warning: %s; no shrink check against it\n", old.error.c_str());
    return true;
  }
  for (const bl::ListInfo& list : old.snapshot->lists())
    store.set_baseline(list.id, {.entries = list.rules, .fingerprint = "-"});
  return true;
}

void give_acceptances(const Options& options, lists::LastGoodStore& store) {
  const std::string by = lists::current_user();
  for (const std::string& id : options.accept_shrink) {
    store.give_acceptance({.list = id,
                           .fingerprint = "*",
                           .by = by,
                           .at_unix = std::time(nullptr),
                           .reason = options.reason});
  }
}

// Prints every refusal; true when there was none.
bool report_refusals(const lists::LoadedLists& loaded) {
  bool none = true;
  for (const lists::ListStatus& list : loaded.lists) {
    if (list.acceptance) {
      std::fprintf(
          stderr, "accepted: list '%s': %s; by %s%s\n", list.id.c_str(), list.reason.c_str(),
          list.acceptance->by.c_str(),
          list.acceptance->reason.empty() ? "" : (", reason: " + list.acceptance->reason).c_str());
    }
    if (!lists::is_refusal(list.result)) continue;
    none = false;
    std::fprintf(stderr, "refused: list '%s'%s: %s: %s\n", list.id.c_str(),
                 list.legal ? " (legal)" : "", std::string(lists::result_name(list.result)).c_str(),
                 list.reason.c_str());
  }
  return none;
}

int run(const Options& options) {
  std::shared_ptr<const bl::Snapshot> snapshot;
  std::vector<config::ListConfig> sources;
  std::optional<config::Config> config;
  bool proxy = false;
  if (!options.config_path.empty()) {
    config::LoadResult parsed = config::load_config_file(options.config_path);
    if (!parsed.config) {
      for (const std::string& e : parsed.errors)
        std::fprintf(stderr, "%s: %s\n", options.config_path.c_str(), e.c_str());
      return 1;
    }
    config = std::move(parsed.config);
    sources = config->lists;
    proxy = config->proxy.enabled();
  }
  if (!options.snapshot.empty()) {
    lists::SnapshotFile file = lists::read_snapshot_file(options.snapshot);
    if (!file.snapshot) {
      std::fprintf(stderr, "shelter-compile: %s\n", file.error.c_str());
      return 1;
    }
    snapshot = std::move(file.snapshot);
  } else {
    auto start = std::chrono::steady_clock::now();
    lists::LastGoodStore store("");  // in memory: the baseline and this run's acceptances
    if (!options.output.empty() && !read_baseline(options.output, store)) return 1;
    give_acceptances(options, store);
    bl::SnapshotBuilder builder;
    lists::ListLoadResult loaded =
        lists::compile_lists(*config, builder, {.store = &store, .now_unix = std::time(nullptr)});
    for (const std::string& e : loaded.errors)
      std::fprintf(stderr, "error: %s\n", e.c_str());
    if (!loaded.lists) return 1;
    for (const std::string& w : loaded.lists->warnings)
      std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!report_refusals(*loaded.lists)) {
      std::fprintf(
          stderr, "shelter-compile: lists refused; nothing written%s\n",
          options.output.empty() ? "" : (" (" + options.output + " is unchanged)").c_str());
      return 1;
    }
    std::vector<std::uint8_t> image =
        builder.build_image(std::time(nullptr), lists::random_hash_seed());
    std::string error;
    snapshot = bl::Snapshot::open(std::shared_ptr<const void>(), image.data(), image.size(), error);
    if (!snapshot) {
      std::fprintf(stderr, "shelter-compile: internal error: %s\n", error.c_str());
      return 1;
    }
    if (!options.output.empty()) {
      if (std::string e = lists::write_snapshot_file(options.output, image); !e.empty()) {
        std::fprintf(stderr, "shelter-compile: %s\n", e.c_str());
        return 1;
      }
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.explain.empty()) print_summary(*snapshot, seconds);
    if (!options.output.empty()) std::printf("wrote %s\n", options.output.c_str());
    if (!options.explain.empty()) return explain_all(options, *snapshot, sources, proxy);
    return 0;
  }
  return explain_all(options, *snapshot, sources, proxy);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string explain;
    std::string accept;
    if (arg == "--config"          ? !value(options.config_path)
        : arg == "--accept-shrink" ? !value(accept)
        : arg == "--reason"        ? !value(options.reason)
        : arg == "--output"        ? !value(options.output)
        : arg == "--snapshot"      ? !value(options.snapshot)
        : arg == "--explain"       ? !value(explain)
                                   : true) {
      return usage_error("unknown or incomplete argument '" + std::string(arg) + "'");
    }
    if (!explain.empty()) options.explain.push_back(explain);
    if (!accept.empty()) options.accept_shrink.push_back(accept);
  }
  if (options.config_path.empty() && options.snapshot.empty())
    return usage_error("give --config or --snapshot");
  if (!options.snapshot.empty() && (options.explain.empty() || !options.output.empty()))
    return usage_error("--snapshot is only for --explain");
  return run(options);
}
