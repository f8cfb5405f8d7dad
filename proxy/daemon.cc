#include "proxy/daemon.h"

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include "proxy/admin/admin_server.h"
#include "proxy/config/loader.h"
#include "proxy/lists/list_loader.h"
#include "proxy/lists/snapshot_file.h"
#include "proxy/log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/profiles/redis_directory.h"
#include "proxy/server/runtime.h"
#include "proxy/server/worker.h"

namespace shelter::proxy {
namespace {

namespace asio = boost::asio;
constexpr auto kDrainGrace = std::chrono::seconds(3);

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

// Every upstream query in flight holds a socket (a fresh source port each, by default) and
// every TCP client a connection: the common soft limit of 1024 descriptors would turn a slow
// upstream under load into SERVFAILs. Raise the soft limit to the hard one, as resolvers do.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log_warn("could not raise the open-file limit; many queries in flight may fail");
  }
}

// Everything a (re)load produces before it may be published.
struct Loaded {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const lists::LoadedLists> lists;
  std::vector<config::Endpoint> upstreams;
  std::vector<std::string> warnings;
  profiles::Subscribers subscribers;
};

struct LoadOutcome {
  std::optional<Loaded> loaded;
  std::vector<std::string> errors;
};

std::vector<config::Endpoint> upstreams_of(const config::Config& config,
                                           std::vector<std::string>& warnings) {
  if (!config.upstream.servers.empty()) return config.upstream.servers;
  std::ifstream in(config.upstream.resolv_conf);
  std::ostringstream text;
  text << in.rdbuf();
  auto servers = config::parse_resolv_conf(text.str());
  if (servers.empty()) {
    warnings.push_back("no upstream resolvers (upstream.servers is empty and " +
                       config.upstream.resolv_conf +
                       " names none): names that are not blocked get SERVFAIL");
  }
  return servers;
}

LoadOutcome load_everything(const DaemonOptions& options, policy::CategoryRegistry& categories) {
  LoadOutcome outcome;
  config::LoadResult parsed = options.config_path ? config::load_config_file(*options.config_path)
                                                  : config::embedded_defaults();
  std::string source = options.config_path.value_or("embedded defaults");
  if (!parsed.config) {
    for (const std::string& e : parsed.errors)
      outcome.errors.push_back(source + ": " + e);
    return outcome;
  }
  Loaded loaded;
  loaded.config = std::make_shared<const config::Config>(std::move(*parsed.config));
  loaded.subscribers = profiles::load_subscribers(*loaded.config, categories, outcome.errors);
  if (!outcome.errors.empty()) return outcome;
  lists::ListLoadResult lists = lists::load_configured_lists(*loaded.config, unix_now());
  if (!lists.lists) {
    outcome.errors = std::move(lists.errors);
    return outcome;
  }
  loaded.warnings = lists.lists->warnings;
  loaded.lists = std::move(lists.lists);
  loaded.upstreams = upstreams_of(*loaded.config, loaded.warnings);
  outcome.loaded = std::move(loaded);
  return outcome;
}

std::string describe(const Loaded& loaded) {
  const blocklist::Snapshot& snapshot = *loaded.lists->snapshot;
  std::string text =
      std::to_string(loaded.lists->gauges.size()) + " lists (" +
      std::to_string(snapshot.domain_rule_count()) + " domain entries, " +
      std::to_string(snapshot.url_rule_count()) + " URL entries" +
      (loaded.lists->snapshot_path.empty() ? ""
                                           : ", from snapshot " + loaded.lists->snapshot_path) +
      "), " + std::to_string(loaded.upstreams.size()) + " upstreams";
  if (const auto* embedded =
          dynamic_cast<const profiles::EmbeddedDirectory*>(loaded.subscribers.directory.get())) {
    text += ", " + std::to_string(embedded->size()) + " households";
  }
  text += ", default profile '" + loaded.subscribers.profiles->default_profile().name + "'";
  return text;
}

LogLevel level_of(const std::string& name) {
  if (name == "error") return LogLevel::error;
  if (name == "warn") return LogLevel::warn;
  if (name == "debug") return LogLevel::debug;
  return LogLevel::info;
}

// Settings that only a restart changes; a reload that changes them says so.
void warn_restart_only(const config::Config& before, const config::Config& after) {
  auto warn = [](const char* key) {
    log_warn(std::string("reload: ") + key + " changed; it takes effect after a restart");
  };
  if (before.threads != after.threads) warn("threads");
  if (before.dns.listen != after.dns.listen) warn("dns.listen");
  if (before.admin.listen != after.admin.listen) warn("admin.listen");
  if (before.cache.max_entries != after.cache.max_entries ||
      before.cache.min_ttl != after.cache.min_ttl || before.cache.max_ttl != after.cache.max_ttl ||
      before.cache.max_negative_ttl != after.cache.max_negative_ttl) {
    warn("cache");
  }
}

class Daemon {
 public:
  explicit Daemon(DaemonOptions options) : options_(std::move(options)) {}

  int run() {
    LoadOutcome outcome = load_everything(options_, categories_);
    if (!outcome.loaded) {
      for (const std::string& e : outcome.errors)
        log_error(e);
      log_error("shelterd: not started: the configuration has errors");
      return 1;
    }
    Loaded& loaded = *outcome.loaded;
    set_log_level(level_of(loaded.config->logging.level));
    for (const std::string& w : loaded.warnings)
      log_warn(w);
    raise_descriptor_limit();
    publish(loaded);
    const std::string description = describe(loaded);
    // The runtime holds the lists now; keeping them here too would pin the first snapshot in
    // memory for the life of the process, through every later reload.
    loaded.lists.reset();

    try {
      start_workers(*loaded.config);
      start_admin(*loaded.config);
    } catch (const std::system_error& e) {
      log_error(std::string("shelterd: not started: ") + e.what());
      return 1;
    }
    asio::signal_set signals(control_, SIGHUP, SIGTERM, SIGINT);
    wait_for_signal(signals);
    watch_snapshot_file();

    std::vector<std::thread> threads;
    for (auto& worker : workers_)
      threads.emplace_back([&w = *worker] { w.run(); });
    log_info("shelterd: ready: dns on " + listening_ + "; " + description +
             (admin_ ? "; admin on " + admin_->local_endpoint().to_string() : ""));
    control_.run();
    for (auto& t : threads)
      t.join();
    log_info("shelterd: stopped");
    return 0;
  }

 private:
  // A Redis store is made once and kept across reloads (its connections stay up); a reload
  // hands it the new profiles.
  void adopt_redis_store(profiles::Subscribers& subscribers) {
    auto fresh = std::dynamic_pointer_cast<const profiles::RedisDirectory>(subscribers.directory);
    if (!fresh) return;
    if (!redis_store_) {
      redis_store_ = std::const_pointer_cast<profiles::RedisDirectory>(fresh);
      redis_store_->start(control_.get_executor());
    } else if (fresh != redis_store_) {
      redis_store_->set_book(subscribers.profiles);
      subscribers.directory = redis_store_;
    }
  }

  void publish(Loaded& loaded) {
    adopt_redis_store(loaded.subscribers);
    gauges_ = loaded.lists->gauges;
    list_memory_ = loaded.lists->snapshot->image_bytes();
    runtime_.publish(server::make_runtime(loaded.config, loaded.lists, loaded.upstreams,
                                          loaded.subscribers, slots_));
  }

  void start_workers(const config::Config& config) {
    std::size_t count =
        config.threads != 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
    cache_ = std::make_unique<dns::SharedResponseCache>(server::cache_limits(config.cache));
    for (std::size_t i = 0; i < count; ++i) {
      workers_.push_back(std::make_unique<server::Worker>(runtime_, *cache_));
    }
    for (const config::Endpoint& endpoint : config.dns.listen) {
      // The first worker binds (and learns the port when it was 0); the others share it.
      config::Endpoint bound;
      try {
        bound = workers_[0]->listen(endpoint);
      } catch (const std::system_error& e) {
        // The embedded defaults also listen on [::1]; a machine without IPv6 still gets a
        // working `make run` on 127.0.0.1. A configured address must bind, or nothing starts.
        if (options_.config_path || !endpoint.address.v6) throw;
        log_warn(std::string("skipping ") + e.what());
        continue;
      }
      for (std::size_t i = 1; i < workers_.size(); ++i)
        workers_[i]->listen(bound);
      listening_ += (listening_.empty() ? "" : ", ") + bound.to_string();
    }
  }

  void start_admin(const config::Config& config) {
    if (!config.admin.listen) return;
    admin::AdminHandlers handlers{
        .metrics = [this] { return render_metrics(); },
        .healthy = [this] { return runtime_.current() != nullptr; },
    };
    admin_ =
        std::make_unique<admin::AdminServer>(control_, *config.admin.listen, std::move(handlers));
  }

  std::string render_metrics() {
    std::vector<const metrics::WorkerMetrics*> all;
    for (const auto& worker : workers_)
      all.push_back(&worker->metrics());
    dns::CacheStats cache = cache_->stats();
    metrics::SharedGauges shared{.cache_entries = cache_->size(),
                                 .cache_evictions = cache.evictions,
                                 .cache_memory_bytes = cache_->memory_bytes(),
                                 .list_memory_bytes = list_memory_,
                                 .now_unix = unix_now(),
                                 .redis = std::nullopt};
    if (redis_store_) {
      const profiles::RedisStoreCounters& c = redis_store_->counters();
      shared.redis = metrics::RedisGauges{.subscribed = redis_store_->subscribed(),
                                          .fetched = c.fetched.load(),
                                          .fetch_failed = c.fetch_failed.load(),
                                          .bad_documents = c.bad_documents.load(),
                                          .invalidations = c.invalidations.load(),
                                          .binding_reloads = c.binding_reloads.load(),
                                          .bindings = c.bindings.load(),
                                          .households = c.households.load()};
    }
    return metrics::render_prometheus(all, slots_, gauges_, shared);
  }

  void wait_for_signal(asio::signal_set& signals) {
    signals.async_wait([this, &signals](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signal(signals);
        return;
      }
      log_info("shelterd: stopping (signal " + std::to_string(signal) + ")");
      snapshot_timer_.cancel();
      if (admin_) admin_->close();
      if (redis_store_) redis_store_->stop();
      for (auto& worker : workers_)
        worker->stop(kDrainGrace);
    });
  }

  void reload() {
    LoadOutcome outcome = load_everything(options_, categories_);
    if (!outcome.loaded) {
      std::string reasons;
      for (const std::string& e : outcome.errors)
        reasons += "\n  " + e;
      log_error("reload: failed, keeping the running configuration and lists:" + reasons);
      return;
    }
    Loaded& loaded = *outcome.loaded;
    for (const std::string& w : loaded.warnings)
      log_warn(w);
    warn_restart_only(*runtime_.current()->config, *loaded.config);
    set_log_level(level_of(loaded.config->logging.level));
    publish(loaded);
    log_info("reload: ok: " + describe(loaded));
    if (!watching_snapshot_) watch_snapshot_file();
  }

  // A compiled snapshot that shelter-compile replaces (rename) is swapped in without a
  // SIGHUP: its mtime and inode are polled on the control thread.
  // Runs while the configuration names a snapshot; reload() starts it again when a new
  // configuration does.
  void watch_snapshot_file() {
    auto interval = runtime_.current()->config->snapshot.check_interval;
    watching_snapshot_ =
        !runtime_.current()->config->snapshot.path.empty() && interval.count() != 0;
    if (!watching_snapshot_) return;
    snapshot_timer_.expires_after(interval);
    snapshot_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      check_snapshot_file();
      watch_snapshot_file();
    });
  }

  void check_snapshot_file() {
    std::shared_ptr<const server::Runtime> current = runtime_.current();
    const lists::LoadedLists& lists = *current->lists;
    if (lists.snapshot_path.empty()) return;
    std::int64_t mtime = 0;
    std::uint64_t inode = 0;
    if (!lists::file_identity(lists.snapshot_path, mtime, inode)) return;
    if ((mtime == lists.snapshot_mtime && inode == lists.snapshot_inode) ||
        (mtime == rejected_mtime_ && inode == rejected_inode_)) {
      return;
    }
    auto started = std::chrono::steady_clock::now();
    lists::ListLoadResult fresh = lists::load_configured_lists(*current->config, unix_now());
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    if (!fresh.lists) {
      rejected_mtime_ = mtime;  // say it once, not every interval
      rejected_inode_ = inode;
      for (const std::string& e : fresh.errors)
        log_error("snapshot: new file rejected, keeping the running lists: " + e);
      return;
    }
    Loaded loaded{current->config,
                  std::move(fresh.lists),
                  current->upstreams,
                  {},
                  {current->profiles, current->subscribers}};
    publish(loaded);
    log_info("snapshot: swapped in (read and checked in " + std::to_string(took.count() / 1000) +
             "." + std::to_string(took.count() / 100 % 10) + " ms): " + describe(loaded));
  }

  DaemonOptions options_;
  asio::io_context control_{1};
  asio::steady_timer snapshot_timer_{control_};
  bool watching_snapshot_ = false;
  std::int64_t rejected_mtime_ = 0;
  std::uint64_t rejected_inode_ = 0;
  server::RuntimeHolder runtime_;
  policy::CategoryRegistry categories_;  // category names -> ids, for the life of the process
  metrics::CategorySlots slots_;
  std::vector<metrics::ListGauge> gauges_;  // read and written on the control thread only
  std::uint64_t list_memory_ = 0;
  std::unique_ptr<dns::SharedResponseCache> cache_;  // before the workers that use it
  std::vector<std::unique_ptr<server::Worker>> workers_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::shared_ptr<profiles::RedisDirectory> redis_store_;  // with subscribers.store: redis
  std::string listening_;
};

}  // namespace

int check_config(const DaemonOptions& options) {
  policy::CategoryRegistry categories;
  LoadOutcome outcome = load_everything(options, categories);
  if (!outcome.loaded) {
    for (const std::string& e : outcome.errors)
      std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "configuration has errors\n");
    return 1;
  }
  for (const std::string& w : outcome.loaded->warnings)
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::printf("configuration ok: %s\n", describe(*outcome.loaded).c_str());
  return 0;
}

int run_daemon(const DaemonOptions& options) {
  return Daemon(options).run();
}

}  // namespace shelter::proxy
