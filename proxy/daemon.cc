#include "proxy/daemon.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include "proxy/admin/admin_api.h"
#include "proxy/admin/admin_server.h"
#include "proxy/cases/block_ledger.h"
#include "proxy/cases/case_metrics.h"
#include "proxy/cases/embedded_case_store.h"
#include "proxy/cases/redis_case_store.h"
#include "proxy/cases/referral.h"
#include "proxy/clock.h"
#include "proxy/config/loader.h"
#include "proxy/lists/list_keeper.h"
#include "proxy/lists/list_loader.h"
#include "proxy/lists/readiness.h"
#include "proxy/lists/snapshot_file.h"
#include "proxy/log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/node_name.h"
#include "proxy/portal/portal_front.h"
#include "proxy/profiles/activity_stores.h"
#include "proxy/profiles/embedded_household_store.h"
#include "proxy/profiles/redis_directory.h"
#include "proxy/profiles/redis_household_store.h"
#include "proxy/querylog/log_pump.h"
#include "proxy/redis/client.h"
#include "proxy/redis/sentinel_watch.h"
#include "proxy/redis/settings_from_config.h"
#include "proxy/relay/relay_front.h"
#include "proxy/relay/tls_terminate.h"
#include "proxy/server/block_tally.h"
#include "proxy/server/connection_slots.h"
#include "proxy/server/runtime.h"
#include "proxy/server/worker.h"
#include "proxy/service/notify.h"
#include "proxy/service/privileges.h"
#include "proxy/upstream/health_board.h"
#include "proxy/web/web_front.h"

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

// A file of keys or tokens, read and parsed: null, with the file's name and what is wrong in
// `error`, when it cannot be read or does not parse.
template <typename T>
std::optional<T> read_key_file(const std::string& path,
                               std::optional<T> (*parse)(std::string_view, std::string&),
                               std::string& error) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.is_open()) {
    error = path + ": cannot be read";
    return std::nullopt;
  }
  std::optional<T> parsed = parse(text.str(), error);
  if (!parsed) error = path + ": " + error;
  return parsed;
}

// Everything a (re)load produces before it may be published.
struct Loaded {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const lists::LoadedLists> lists;
  std::vector<net::Endpoint> upstreams;
  std::vector<std::string> warnings;
  profiles::Subscribers subscribers;
  std::shared_ptr<const web::Pages> pages;
};

struct LoadOutcome {
  std::optional<Loaded> loaded;
  std::vector<std::string> errors;
};

std::vector<net::Endpoint> upstreams_of(const config::Config& config,
                                        std::vector<std::string>& warnings) {
  if (!config.upstream.servers.empty()) return config.upstream.servers;
  std::ifstream in(config.upstream.resolv_conf);
  std::ostringstream text;
  text << in.rdbuf();
  config::ResolvConf resolv = config::parse_resolv_conf(text.str());
  if (!resolv.ignored.empty()) {
    std::string names;
    for (const std::string& name : resolv.ignored)
      names += (names.empty() ? "" : ", ") + name;
    warnings.push_back(config.upstream.resolv_conf + " names more than " +
                       std::to_string(config::kMaxNameservers) + " nameservers: only the first " +
                       std::to_string(config::kMaxNameservers) +
                       " are used, as by the system resolver; ignored: " + names);
  }
  if (resolv.servers.empty()) {
    warnings.push_back("no upstream resolvers (upstream.servers is empty and " +
                       config.upstream.resolv_conf +
                       " names none): names that are not blocked get SERVFAIL");
  }
  return std::move(resolv.servers);
}

LoadOutcome load_everything(const DaemonOptions& options, policy::CategoryRegistry& categories,
                            lists::ListKeeper& keeper, const lists::LoadedLists* running) {
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
  loaded.pages = web::Pages::load(loaded.config->web.pages_directory, outcome.errors);
  if (!outcome.errors.empty()) return outcome;
  keeper.remember_files(*loaded.config);
  lists::ListLoadResult lists = lists::load_configured_lists(
      *loaded.config, keeper.context(*loaded.config, running, unix_now()));
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
  std::string text = lists::describe_lists(*loaded.lists) + ", " +
                     std::to_string(loaded.upstreams.size()) + " upstreams";
  if (const auto* embedded =
          dynamic_cast<const profiles::EmbeddedDirectory*>(loaded.subscribers.directory.get())) {
    text += ", " + std::to_string(embedded->size()) + " households";
  }
  text += ", default profile '" + loaded.subscribers.profiles->default_profile().name + "'";
  return text;
}

std::string milliseconds_text(std::chrono::microseconds took) {
  return std::to_string(took.count() / 1000) + "." + std::to_string(took.count() / 100 % 10) +
         " ms";
}

LogLevel level_of(const std::string& name) {
  if (name == "error") return LogLevel::error;
  if (name == "warn") return LogLevel::warn;
  if (name == "debug") return LogLevel::debug;
  return LogLevel::info;
}

void apply_logging(const config::LoggingConfig& logging) {
  set_log_level(level_of(logging.level));
  set_log_format(logging.format == "json" ? LogFormat::json : LogFormat::text);
}

// What shelterd reads or writes after it started, checked as the run-as user before it
// switches for good: the state directory and the households file's directory (files are
// replaced there by rename), and what a reload reads again.
std::vector<service::NeededAccess> needed_access(const config::Config& config,
                                                 const std::optional<std::string>& config_path) {
  std::vector<service::NeededAccess> needed;
  if (std::string state = lists::state_directory_of(config); !state.empty())
    needed.push_back({state, "the state directory (list-updates.state-directory)", true});
  if (config.subscribers.store == config::StoreKind::embedded && !config.subscribers.file.empty()) {
    const std::string directory =
        std::filesystem::path(config.subscribers.file).parent_path().string();
    needed.push_back({directory.empty() ? "." : directory,
                      "the households file's directory (subscribers.file)", true});
  }
  if (config_path) needed.push_back({*config_path, "the configuration file", false});
  if (!config.snapshot.path.empty())
    needed.push_back({config.snapshot.path, "the snapshot (snapshot.path)", false});
  for (const config::ListConfig& list : config.lists) {
    if (!list.path.empty()) needed.push_back({list.path, "list '" + list.id + "'", false});
  }
  return needed;
}

// Settings that only a restart changes; a reload that changes them says so.
void warn_restart_only(const config::Config& before, const config::Config& after) {
  auto warn = [](const char* key) {
    log_warn(std::string("reload: ") + key + " changed; it takes effect after a restart");
  };
  if (before.threads != after.threads) warn("threads");
  if (before.dns.listen != after.dns.listen) warn("dns.listen");
  if (before.admin.listen != after.admin.listen) warn("admin.listen");
  if (before.web.block_listen != after.web.block_listen ||
      before.web.threads != after.web.threads) {
    warn("web.block-listen / web.threads");
  }
  if (before.cache.max_entries != after.cache.max_entries ||
      before.cache.min_ttl != after.cache.min_ttl || before.cache.max_ttl != after.cache.max_ttl ||
      before.cache.max_negative_ttl != after.cache.max_negative_ttl) {
    warn("cache");
  }
  const config::QueryLogConfig& qb = before.logging.query_log;
  const config::QueryLogConfig& qa = after.logging.query_log;
  if (qb.enabled != qa.enabled || qb.directory != qa.directory ||
      qb.key_rotation != qa.key_rotation || qb.retention != qa.retention ||
      qb.buffer_kb != qa.buffer_kb) {
    warn("logging.query-log");
  }
}

// Logs the start and end of upstream trouble: each resolver going down or coming back (at most
// once a minute each), and an outage of every resolver with its length.
class UpstreamWatch {
 public:
  void check(const std::vector<upstream::HealthBoard::Entry>& now) {
    const auto clock = std::chrono::steady_clock::now();
    std::size_t up = 0;
    for (const auto& entry : now) {
      up += entry.up ? 1 : 0;
      const std::string name = entry.server.to_string();
      auto [it, fresh] = state_.try_emplace(name, State{entry.up, {}});
      if (fresh || it->second.up == entry.up) continue;
      it->second.up = entry.up;
      if (clock - it->second.last_logged < kQuiet) continue;
      it->second.last_logged = clock;
      if (entry.up) {
        log_info("upstream " + name + ": answering again");
      } else {
        log_warn("upstream " + name + ": down (" +
                 std::to_string(upstream::HealthBoard::kFailuresToDown) +
                 " failed queries in a row); the others are tried first");
      }
    }
    const bool outage = !now.empty() && up == 0;
    if (outage && !outage_) {
      outage_since_ = clock;
      log_error(
          "upstream: outage: no upstream resolver answers; names that are not blocked "
          "get SERVFAIL");
    } else if (!outage && outage_) {
      const auto seconds =
          std::chrono::duration_cast<std::chrono::seconds>(clock - outage_since_).count();
      log_info("upstream: outage over after " + std::to_string(seconds) + " s");
    }
    outage_ = outage;
  }

 private:
  static constexpr auto kQuiet = std::chrono::seconds(60);
  struct State {
    bool up = true;
    std::chrono::steady_clock::time_point last_logged;
  };
  std::map<std::string, State> state_;
  bool outage_ = false;
  std::chrono::steady_clock::time_point outage_since_;
};

// A legal list with no good version is never run silently empty: shelterd does not start.
std::vector<std::string> missing_legal_lists(const lists::LoadedLists& loaded) {
  std::vector<std::string> out;
  for (const lists::ListStatus& list : loaded.lists) {
    if (list.legal && !list.in_force) {
      out.push_back("legal list '" + list.id +
                    "': " + std::string(lists::result_name(list.result)) + ": " + list.reason);
    }
  }
  return out;
}

class Daemon {
 public:
  explicit Daemon(DaemonOptions options) : options_(std::move(options)) {}

  int run() {
    // A write to a connection its peer has closed must be an error (EPIPE), not the end of the
    // process: send() is told so per call (MSG_NOSIGNAL), but splice(2) into a socket (the
    // proxy's tunnels) has no such flag.
    std::signal(SIGPIPE, SIG_IGN);
    LoadOutcome outcome = load_everything(options_, categories_, keeper_, nullptr);
    if (!outcome.loaded) {
      for (const std::string& e : outcome.errors)
        log_error(e);
      log_error("shelterd: not started: the configuration has errors");
      return 1;
    }
    Loaded& loaded = *outcome.loaded;
    apply_logging(loaded.config->logging);
    for (const std::string& w : loaded.warnings)
      log_warn(w);
    if (!assume_run_as(*loaded.config)) return 1;
    if (auto missing = missing_legal_lists(*loaded.lists); !missing.empty()) {
      for (const std::string& m : missing)
        log_error(m);
      log_error(
          "shelterd: not started: a legal list has no good version (neither its file nor "
          "a last good copy in the state directory); see docs/list-updates.md");
      return 1;
    }
    if (lists::state_directory_of(*loaded.config).empty() && !loaded.config->lists.empty()) {
      log_warn(
          "list-updates.state-directory is not set: last good lists are kept in memory "
          "only, so a restart with a broken list file has nothing to fall back on");
    }
    raise_descriptor_limit();
    publish(loaded);
    keeper_.commit(*loaded.lists, unix_now());
    const std::string description = describe(loaded);
    // The runtime holds the lists now; keeping them here too would pin the first snapshot in
    // memory for the life of the process, through every later reload.
    loaded.lists.reset();

    if (!start_cases(*loaded.config)) return 1;
    try {
      open_account_stores(*loaded.config);
      start_workers(*loaded.config);
      start_query_log(*loaded.config);
      start_activity(*loaded.config);
      start_tally(*loaded.config);
      start_admin(*loaded.config);
      web_ = std::make_unique<web::WebFront>(
          runtime_, loaded.pages, cases_, token_keys_, [this](const cases::Appeal& a) { refer(a); },
          tally_, &page_blocks_);
      start_relay(*loaded.config, runtime_.current()->upstreams);
      start_portal(*loaded.config);
      drop_run_as();  // every listener is bound; no thread serves yet
    } catch (const std::system_error& e) {
      log_error(std::string("shelterd: not started: ") + e.what());
      return 1;
    } catch (const std::runtime_error& e) {  // proxy.managed-tls's CA, the portal's certificate
      log_error(std::string("shelterd: not started: ") + e.what());
      return 1;
    }
    asio::signal_set signals(control_, SIGHUP, SIGTERM, SIGINT);
    wait_for_signal(signals);
    watch_snapshot_file();
    watch_list_files();
    watch_health();
    keep_cases();
    keep_activity();
    keep_tally();

    std::vector<std::thread> threads;
    for (auto& worker : workers_)
      threads.emplace_back([&w = *worker] { w.run(); });
    web_->start();
    if (relay_) relay_->start();
    const std::string web = web_->describe();
    const std::string relay = relay_ ? relay_->describe() : std::string();
    log_info("shelterd: ready: dns on " + listening_ + "; " + description +
             (web.empty() ? "" : "; " + web) + (relay.empty() ? "" : "; " + relay) +
             (admin_ ? "; admin on " + admin_->local_endpoint().to_string() : "") +
             portal_description());
    status_ = "serving: dns on " + listening_ + "; " + description;
    service::notify_ready(status_);
    keep_watchdog();
    control_.run();
    for (auto& t : threads)
      t.join();
    if (!writer_redis_) final_flush();    // the blocks of the workers' last moments (a file)
    if (query_log_) query_log_->flush();  // the workers' last lines
    web_->stop();
    if (relay_) relay_->stop();
    referral_pool_.join();
    if (cases_) cases_->stop();
    log_info("shelterd: stopped");
    return 0;
  }

 private:
  // The filtering proxy, when proxy.http-listen or proxy.tls-listen is set. Its listeners and
  // origin resolvers are read at start (like the web front's).
  void start_relay(const config::Config& config, const std::vector<net::Endpoint>& upstreams) {
    const config::ProxyConfig& p = config.proxy;
    if (p.http_listen.empty() && p.tls_listen.empty()) return;
    web::WebFront* web = web_.get();
    relay::PageGate gate{
        .page =
            [web](const net::Address& client, std::string_view host, std::string_view path,
                  std::int64_t now, const std::function<http::Request()>& request) {
              return web->proxy_page(client, host, path, now, request);
            },
        .host_verdict = [web](const net::Address& client, std::string_view host,
                              std::int64_t now) { return web->host_verdict(client, host, now); },
        .own_path = [web](const http::Request& request) { return web->shelter_path(request); }};
    relay_ = std::make_unique<relay::RelayFront>(runtime_, std::move(gate),
                                                 p.resolvers.empty() ? upstreams : p.resolvers);
  }

  // A Redis store is made once and kept across reloads (its connections stay up); a reload
  // hands it the new profiles.
  void adopt_redis_store(profiles::Subscribers& subscribers) {
    auto fresh = std::dynamic_pointer_cast<const profiles::RedisDirectory>(subscribers.directory);
    if (!fresh) return;
    if (!redis_store_) {
      redis_store_ = std::const_pointer_cast<profiles::RedisDirectory>(fresh);
      // One +switch-master subscription for every connection of the process (the workers',
      // the directory's, the writer's, the case store's): they start after it and listen to it.
      if (!redis_store_->config().sentinels.empty()) {
        sentinel_watch_ = redis::SentinelWatch::start(control_.get_executor(),
                                                      redis::settings_from(redis_store_->config()));
      }
      redis_store_->start(control_.get_executor());
      // The writers' connection (households, portal accounts): always the primary.
      redis::Settings settings = redis::settings_from(redis_store_->config());
      settings.prefer_replica = false;
      writer_redis_ = std::make_shared<redis::Client>(control_.get_executor(), settings);
      writer_redis_->start();
      redis_households_ =
          std::make_shared<profiles::RedisHouseholdStore>(writer_redis_, redis_store_->config());
    } else if (fresh != redis_store_) {
      redis_store_->set_book(subscribers.profiles);
      subscribers.directory = redis_store_;
    }
  }

  // The embedded store's editor follows the households file as (re)loaded: edits start from
  // what the file holds now.
  void adopt_households(const Loaded& loaded) {
    const profiles::Subscribers& s = loaded.subscribers;
    if (!s.households) return;
    auto file =
        std::make_unique<profiles::HouseholdsFile>(loaded.config->subscribers.file, *s.households);
    if (embedded_households_) {
      embedded_households_->reset(std::move(file));
      return;
    }
    embedded_households_ = std::make_shared<profiles::EmbeddedHouseholdStore>(
        std::move(file), [this](std::shared_ptr<const profiles::EmbeddedDirectory> directory) {
          // An edit: the runtime in force with the new directory (on the control thread, like
          // reloads, so the two never interleave).
          auto next = std::make_shared<server::Runtime>(*runtime_.current());
          next->subscribers = std::move(directory);
          runtime_.publish(std::move(next));
        });
  }

  // Where the admin API (and the portal) change households: the store in use.
  std::shared_ptr<profiles::HouseholdStore> household_store() const {
    if (redis_households_) return redis_households_;
    return embedded_households_;
  }

  void publish(Loaded& loaded) {
    adopt_redis_store(loaded.subscribers);
    adopt_households(loaded);
    list_memory_ = loaded.lists->snapshot->image_bytes();
    // The query log's settings are those of the start: a reload changes nothing of it.
    if (!running_query_log_) running_query_log_ = loaded.config->logging.query_log;
    runtime_.publish(server::make_runtime(loaded.config, loaded.lists, loaded.upstreams,
                                          loaded.subscribers, slots_, &*running_query_log_));
  }

  // run-as, step 1 (proxy/service/privileges.h): started as root, shelterd takes the run-as
  // account's identity for files before it writes any, and checks what it will need later.
  // False, with the reason logged, when it must not start.
  bool assume_run_as(const config::Config& config) {
    const config::RunAsConfig& run_as = config.run_as;
    if (::geteuid() != 0) {
      if (!run_as.user.empty()) {
        log_info("run-as: not started as root, so nothing to switch; running as uid " +
                 std::to_string(::geteuid()));
      }
      return true;
    }
    if (run_as.user.empty()) {
      log_warn(
          "shelterd: RUNNING AS ROOT: a flaw in any part of shelterd would own this machine. "
          "Set run-as (user, group) to switch to an unprivileged user once the listeners are "
          "bound, or start it with deploy/systemd/shelterd.service (docs/operations.md)");
      return true;
    }
    std::string error;
    account_ = service::find_account(run_as, error);
    if (!account_) {
      log_error("shelterd: not started: " + error);
      return false;
    }
    try {
      service::assume_account(*account_);
    } catch (const std::system_error& e) {
      log_error(std::string("shelterd: not started: ") + e.what());
      return false;
    }
    const std::vector<std::string> errors =
        service::check_access(needed_access(config, options_.config_path));
    for (const std::string& e : errors)
      log_error("run-as: user '" + account_->user + "': " + e);
    if (!errors.empty()) {
      log_error("shelterd: not started: the run-as user '" + account_->user +
                "' cannot reach what shelterd writes and reads later (see above)");
      return false;
    }
    return true;
  }

  // run-as, step 2: every id becomes the account's, which leaves no capability. Throws
  // std::runtime_error when root could be regained or a capability is left.
  void drop_run_as() {
    if (!account_) return;
    service::drop_to_account(*account_);
    log_info("run-as: running as user '" + account_->user + "' (uid " +
             std::to_string(account_->uid) + "), group '" + account_->group + "' (gid " +
             std::to_string(account_->gid) + "); no capabilities left");
  }

  // WATCHDOG=1 from the control thread (WatchdogSec= in the unit): a control thread stuck in a
  // reload or a store call stops it, and systemd restarts shelterd.
  void keep_watchdog() {
    const auto period = service::watchdog_period();
    if (!period) return;
    service::notify_watchdog();
    watchdog_timer_.expires_after(*period);
    watchdog_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) keep_watchdog();
    });
  }

  void start_workers(const config::Config& config) {
    std::size_t count =
        config.threads != 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
    cache_ = std::make_unique<dns::SharedResponseCache>(server::cache_limits(config.cache));
    for (std::size_t i = 0; i < count; ++i) {
      workers_.push_back(
          std::make_unique<server::Worker>(runtime_, *cache_, tcp_slots_, &upstream_health_));
    }
    for (const net::Endpoint& endpoint : config.dns.listen) {
      // The first worker binds (and learns the port when it was 0); the others share it.
      net::Endpoint bound;
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

  // The optional query log (logging.query-log): off unless the operator turned it on; read at
  // start only (the workers' buffers are made with them).
  void start_query_log(const config::Config& config) {
    if (!config.logging.query_log.enabled) return;
    std::vector<querylog::Buffer*> buffers;
    for (auto& worker : workers_)
      buffers.push_back(worker->query_log());
    query_log_ = std::make_unique<querylog::LogPump>(config.logging.query_log, std::move(buffers),
                                                     slots_, control_.get_executor());
    query_log_->start();
  }

  // The case store (appeals, access requests) beside the profile store, and the keys that
  // sign the pages' tokens. False, with the reason logged, when either cannot be had.
  bool start_cases(const config::Config& config) {
    if (config.web.token_keys_file.empty()) {
      token_keys_ = std::make_shared<const web::TokenKeys>(web::TokenKeys::random());
      if (config.subscribers.store == config::StoreKind::redis) {
        log_warn(
            "web.token-keys-file is not set: each node signs with a key of its own, so a "
            "block page's report link works only on the node that showed it");
      }
    } else {
      std::string error;
      std::optional<std::vector<web::TokenKey>> keys =
          read_key_file(config.web.token_keys_file, web::read_token_keys, error);
      if (!keys) {
        log_error("shelterd: not started: " + error);
        return false;
      }
      token_keys_ = std::make_shared<const web::TokenKeys>(std::move(*keys));
    }
    try {
      if (config.subscribers.store == config::StoreKind::redis) {
        cases_ = std::make_shared<cases::RedisCaseStore>(config.redis);
      } else {
        std::string warning;
        cases_ =
            std::make_shared<cases::EmbeddedCaseStore>(lists::state_directory_of(config), warning);
        if (!warning.empty()) log_warn("cases: " + warning);
      }
    } catch (const std::exception& e) {
      log_error(std::string("shelterd: not started: the case store: ") + e.what());
      return false;
    }
    cases_->start([this](std::shared_ptr<const policy::Overrides> overrides) {
      runtime_.publish_overrides(std::move(overrides));
    });
    return true;
  }

  // A legal list's appeal goes to its authority: delivered on a thread of its own (a program or
  // a webhook may take seconds), then recorded on the case.
  void refer(const cases::Appeal& appeal) {
    std::shared_ptr<const config::Config> config = runtime_.current()->config;
    asio::post(referral_pool_, [this, appeal, config] {
      cases::Referral referral =
          cases::deliver_referral(appeal, config->cases, config->web.organisation, clock::now());
      if (referral.delivered) {
        log_info("appeal " + appeal.id + ": referral delivered (" + referral.detail + ")");
      } else {
        log_warn("appeal " + appeal.id + ": referral not delivered: " + referral.detail);
      }
      asio::co_spawn(referral_pool_, cases_->set_referral(appeal.id, std::move(referral)),
                     [id = appeal.id](const std::exception_ptr& e) {
                       if (e) log_exception{"recording a referral"}(e);
                     });
    });
  }

  // Every minute: retention (contacts erased, ended grants dropped, old cases deleted) and the
  // workflow's numbers for /metrics (a reviewer's queue changes in hours, not seconds; with
  // Redis every node reads the cases, so not more often).
  void keep_cases() {
    if (!cases_) return;
    // Tests (--test-clock) see retention and metrics follow the moved clock within seconds.
    const auto interval = first_case_refresh_ || options_.test_clock ? std::chrono::seconds(1)
                                                                     : std::chrono::seconds(60);
    first_case_refresh_ = false;
    cases_timer_.expires_after(interval);
    cases_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      asio::co_spawn(control_, refresh_cases(), [this](const std::exception_ptr& e) {
        if (e) log_exception{"case housekeeping"}(e);
        keep_cases();
      });
    });
  }

  asio::awaitable<void> refresh_cases() {
    const config::CasesConfig& c = runtime_.current()->config->cases;
    const std::int64_t now = clock::now();
    cases::Retention retention{.contact_after_close = c.contact_after_close.count(),
                               .closed_appeal = c.closed_appeal.count(),
                               .request = c.request.count(),
                               .waiting_request = c.waiting_request.count()};
    co_await cases_->expire(now, retention);
    const cases::EveryCase every = co_await cases::every_case(*cases_, 20'000);
    case_metrics_ = cases::render_case_metrics(every.appeals, every.requests, now);
  }

  // Household activity (weekly block counts, new private MACs): the workers count, this
  // thread flushes into the store in use (Redis with the Redis store, else the state directory).
  void start_activity(const config::Config& config) {
    std::shared_ptr<profiles::ActivityStore> store;
    if (writer_redis_) {
      store =
          std::make_shared<profiles::RedisActivityStore>(writer_redis_, config.redis.key_prefix);
    } else {
      std::string warning;
      store = std::make_shared<profiles::EmbeddedActivityStore>(lists::state_directory_of(config),
                                                                warning);
      if (!warning.empty()) log_warn("household activity: " + warning);
    }
    std::vector<profiles::ActivityAccumulator*> accumulators;
    for (auto& worker : workers_)
      accumulators.push_back(&worker->activity());
    activity_ = std::make_shared<profiles::HouseholdActivity>(
        std::move(store), std::move(accumulators), [this] {
          // A household's counts are by category: a list's rule's, or its own setting's.
          std::vector<std::string> names;
          for (metrics::BlockSource& source : slots_.sources())
            names.push_back(std::move(source.category));
          return names;
        });
  }

  // Every minute: the workers' counts into the store.
  void keep_activity() {
    activity_timer_.expires_after(std::chrono::seconds(60));
    activity_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      asio::co_spawn(control_, activity_->flush(clock::now()), [this](const std::exception_ptr& e) {
        if (e) log_exception{"household activity"}(e);
        keep_activity();
      });
    });
  }

  static std::int64_t access_code_lifetime(const config::Config& config) {
    return std::chrono::duration_cast<std::chrono::seconds>(config.portal.access_code_lifetime)
        .count();
  }

  // The audit trail (the state directory's audit.jsonl; none: the log only) and, with a portal,
  // its accounts: in Redis with the Redis store, else beside the trail. Throws
  // std::runtime_error when the accounts cannot be kept.
  void open_account_stores(const config::Config& config) {
    const std::string directory = lists::state_directory_of(config);
    if (!directory.empty()) audit_ = admin::make_file_audit_trail(directory + "/audit.jsonl");
    if (config.portal.listen.empty()) return;
    if (writer_redis_) {
      accounts_ = portal::make_redis_account_store(writer_redis_, config.redis.key_prefix);
    } else if (directory.empty()) {
      throw std::runtime_error(
          "portal.listen needs list-updates.state-directory: the portal's accounts are kept "
          "there");
    } else {
      try {
        accounts_ = portal::make_file_account_store(directory + "/portal-accounts.json");
      } catch (const portal::AccountStoreUnavailable& e) {
        throw std::runtime_error(std::string("the portal's accounts: ") + e.what());
      }
    }
  }

  void start_portal(const config::Config& config) {
    if (config.portal.listen.empty()) return;
    web::WebFront* web = web_.get();
    portal_ = std::make_unique<portal::PortalFront>(
        control_, config.portal,
        portal::PortalDeps{.runtime = runtime_,
                           .households = household_store(),
                           .accounts = accounts_,
                           .cases = cases_,
                           .keys = token_keys_,
                           .audit = audit_,
                           .pages = [web] { return web->pages(); },
                           .activity = activity_});
  }

  std::string portal_description() const {
    if (!portal_) return "";
    std::string out = "; portal on ";
    for (const net::Endpoint& e : portal_->local_endpoints())
      out += e.to_string() + " ";
    out.pop_back();
    return out;
  }

  void start_admin(const config::Config& config) {
    if (!config.admin.listen) return;
    http::AsyncHandler api;
    if (!config.admin.token_file.empty()) {
      std::string error;
      std::optional<std::vector<admin::ApiToken>> tokens =
          read_key_file(config.admin.token_file, admin::read_api_tokens, error);
      if (!tokens) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument), error);
      }
      auto context = std::make_shared<admin::ApiContext>(admin::ApiContext{
          .runtime = runtime_,
          .store = cases_,
          .tokens = std::move(*tokens),
          .send_referral = [this](const cases::Appeal& a) { refer(a); },
          .test_clock = options_.test_clock,
          .households = household_store(),
          .audit = audit_,
          .accounts = accounts_,
          .access_code_lifetime = access_code_lifetime(config),
          .lists_status = [this] { return readiness().json; },
          .reload_lists =
              [this] {
                const auto before = reloads_;
                reload_lists("admin API");
                if (reloads_[kReloadFailed] != before[kReloadFailed]) return std::string("failed");
                return std::string(
                    reloads_[kReloadPartial] != before[kReloadPartial] ? "partial" : "swapped in");
              },
          .set_draining = [this](bool on) { set_draining(on); },
          .keys = token_keys_,
          .node = node_name(),
          .tally = tally_});
      api = [context](const http::Request& r) { return admin::handle_api(r, *context); };
    }
    admin::AdminHandlers handlers{
        .metrics = [this] { return render_metrics(); },
        .healthy = [this] { return runtime_.current() != nullptr; },
        .readiness =
            [this] {
              lists::Readiness r = readiness();
              return admin::ReadyAnswer{r.ready(), std::move(r.json)};
            },
        .api = std::move(api),
    };
    admin_ =
        std::make_unique<admin::AdminServer>(control_, *config.admin.listen, std::move(handlers));
  }

  lists::UpstreamHealth upstream_health(const server::Runtime& runtime,
                                        std::vector<metrics::UpstreamGauge>* gauges = nullptr) {
    lists::UpstreamHealth health;
    for (const auto& entry : upstream_health_.read(runtime.upstreams)) {
      ++health.total;
      health.up += entry.up ? 1 : 0;
      if (gauges) gauges->push_back({entry.server.to_string(), entry.up});
    }
    return health;
  }

  lists::Readiness readiness() {
    std::shared_ptr<const server::Runtime> current = runtime_.current();
    return lists::assess_readiness(current->lists->lists, unix_now(), upstream_health(*current),
                                   draining_.load());
  }

  // A fleet node taken out of service before a stop or an upgrade: /readyz answers 503 so the
  // load balancer (or the routing daemon's health check) moves the traffic, while this node
  // goes on answering whatever still reaches it.
  void set_draining(bool on) {
    if (draining_.exchange(on) == on) return;
    log_info(on ? "shelterd: draining: /readyz answers 503 until DELETE /v1/node/drain"
                : "shelterd: drain ended: /readyz answers as the lists and upstreams say");
  }

  std::string render_metrics() {
    std::vector<const metrics::WorkerMetrics*> all;
    for (const auto& worker : workers_)
      all.push_back(&worker->metrics());
    dns::CacheStats cache = cache_->stats();
    std::shared_ptr<const server::Runtime> current = runtime_.current();
    const std::int64_t now = unix_now();
    metrics::SharedGauges shared{.reloads = reloads_,
                                 .cache_entries = cache_->size(),
                                 .cache_evictions = cache.evictions,
                                 .cache_memory_bytes = cache_->memory_bytes(),
                                 .list_memory_bytes = list_memory_,
                                 .now_unix = now,
                                 .redis = std::nullopt};
    const lists::Readiness ready = lists::assess_readiness(
        current->lists->lists, now, upstream_health(*current, &shared.upstreams), draining_.load());
    shared.ready = ready.ready();
    if (web_) {
      const http::Server::Stats web = web_->stats();
      shared.web = metrics::WebGauges{.connections = web.connections,
                                      .refused_connections = web.refused_connections,
                                      .requests = web.requests,
                                      .bad_requests = web.bad_requests,
                                      .open = web.open};
    }
    shared.degraded = ready.state == lists::ReadyState::degraded;
    if (redis_store_) {
      const profiles::RedisStoreCounters& c = redis_store_->counters();
      shared.redis = metrics::RedisGauges{.subscribed = redis_store_->subscribed(),
                                          .fetched = c.fetched.load(),
                                          .fetch_failed = c.fetch_failed.load(),
                                          .bad_documents = c.bad_documents.load(),
                                          .invalidations = c.invalidations.load(),
                                          .binding_reloads = c.binding_reloads.load(),
                                          .bindings = c.bindings.load(),
                                          .households = c.households.load(),
                                          .cache_bytes = c.cache_bytes.load(),
                                          .evictions = c.evictions.load()};
    }
    return metrics::render_prometheus(all, slots_, keeper_.gauges(*current->lists, now), shared) +
           case_metrics_ + activity_metrics() +
           (query_log_ ? query_log_->render_metrics() : std::string()) +
           (relay_ ? relay::render_relay_metrics(relay_->metrics()) : std::string());
  }

  std::string activity_metrics() const {
    if (!activity_) return {};
    return "# HELP shelter_household_activity_dropped_total Household block counts and new-device "
           "sightings not kept: over a worker's limits, or a flush the store refused.\n"
           "# TYPE shelter_household_activity_dropped_total counter\n"
           "shelter_household_activity_dropped_total{reason=\"limit\"} " +
           std::to_string(activity_->dropped()) +
           "\nshelter_household_activity_dropped_total{reason=\"store\"} " +
           std::to_string(activity_->failed_flushes()) + "\n";
  }

  void wait_for_signal(asio::signal_set& signals) {
    signals.async_wait([this, &signals](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        service::notify_reloading();
        reload();
        service::notify_ready(status_);
        wait_for_signal(signals);
        return;
      }
      log_info("shelterd: stopping (signal " + std::to_string(signal) + ")");
      service::notify_stopping("stopping: draining queries in flight");
      activity_timer_.cancel();
      tally_timer_.cancel();
      // The last minute's counts are kept before anything stops (Redis is still connected).
      asio::co_spawn(control_, activity_->flush(clock::now()), [this](const std::exception_ptr& e) {
        if (e) log_exception{"household activity"}(e);
        stop_everything();
      });
    });
  }

  void stop_everything() {
    watchdog_timer_.cancel();
    snapshot_timer_.cancel();
    list_timer_.cancel();
    health_timer_.cancel();
    cases_timer_.cancel();
    if (query_log_) query_log_->stop();
    if (admin_) admin_->close();
    if (portal_) portal_->stop();
    if (web_) web_->stop();
    if (relay_) relay_->stop();
    if (redis_store_) redis_store_->stop();
    if (sentinel_watch_) sentinel_watch_->stop();
    if (writer_redis_) {
      // The fleet's ledger: this node's last counts first, then the connection closes.
      asio::co_spawn(control_, flush_tally(),
                     [this](const std::exception_ptr&) { writer_redis_->stop(); });
    }
    for (auto& worker : workers_)
      worker->stop(kDrainGrace);
  }

  // The transparency report's day ledger (cases/block_ledger.h): beside the cases, in Redis
  // with the Redis store, else transparency.json in the state directory (memory without one).
  void start_tally(const config::Config& config) {
    std::shared_ptr<cases::BlockLedger> ledger;
    if (writer_redis_) {
      ledger = cases::make_redis_block_ledger(writer_redis_, control_.get_executor(),
                                              config.redis.key_prefix);
    } else {
      const std::string directory = lists::state_directory_of(config);
      std::string warning;
      ledger = cases::make_file_block_ledger(
          directory.empty() ? std::string() : directory + "/transparency.json", warning);
      if (!warning.empty()) log_warn("transparency: " + warning);
    }
    std::vector<const metrics::WorkerMetrics*> all;
    for (const auto& worker : workers_)
      all.push_back(&worker->metrics());
    tally_ = std::make_shared<server::BlockTally>(std::move(all), page_blocks_, slots_,
                                                  std::move(ledger));
  }

  // Every minute (every second under --test-clock, so that a fleet's test sees other nodes'
  // counts at once): the blocks since the last flush into today's bucket.
  void keep_tally() {
    tally_timer_.expires_after(options_.test_clock ? std::chrono::seconds(1)
                                                   : std::chrono::seconds(60));
    tally_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      asio::co_spawn(control_, flush_tally(), [this](const std::exception_ptr&) { keep_tally(); });
    });
  }

  asio::awaitable<void> flush_tally() {
    const std::int64_t retention_days =
        runtime_.current()->config->cases.closed_appeal.count() / 86400;
    try {
      co_await tally_->flush(clock::now(), retention_days);
      if (tally_failing_) log_info("transparency: block counts recorded again");
      tally_failing_ = false;
    } catch (const cases::StoreUnavailable& e) {
      // Kept for the next flush: nothing lost, nothing added twice.
      if (!tally_failing_)
        log_warn(std::string("transparency: block counts kept for later: ") + e.what());
      tally_failing_ = true;
    }
  }

  void final_flush() {
    control_.restart();
    asio::co_spawn(control_, flush_tally(), asio::detached);
    control_.run();
  }

  enum ReloadResult { kReloadOk, kReloadPartial, kReloadFailed };

  void reload() {
    std::shared_ptr<const server::Runtime> current = runtime_.current();
    LoadOutcome outcome = load_everything(options_, categories_, keeper_, current->lists.get());
    if (!outcome.loaded) {
      std::string reasons;
      for (const std::string& e : outcome.errors)
        reasons += "\n  " + e;
      ++reloads_[kReloadFailed];
      if (std::any_of(outcome.errors.begin(), outcome.errors.end(),
                      [](const std::string& e) { return e.starts_with("snapshot.path"); })) {
        keeper_.count_snapshot_refusal(*current->lists);
      }
      log_error("reload: failed, keeping the running configuration and lists:" + reasons);
      status_ = "serving: dns on " + listening_ + "; last reload failed (see the log)";
      return;
    }
    Loaded& loaded = *outcome.loaded;
    for (const std::string& w : loaded.warnings)
      log_warn(w);
    warn_restart_only(*current->config, *loaded.config);
    apply_logging(loaded.config->logging);
    publish(loaded);
    web_->set_pages(loaded.pages);
    keeper_.commit(*loaded.lists, unix_now());
    const bool partial = loaded.lists->refused() > 0;
    ++reloads_[partial ? kReloadPartial : kReloadOk];
    log_info(std::string(partial ? "reload: partial: " : "reload: ok: ") + describe(loaded));
    status_ = "serving: dns on " + listening_ + "; " + describe(loaded);
    if (!watching_snapshot_) watch_snapshot_file();
    if (!watching_lists_) watch_list_files();
  }

  // Lists read again with the configuration in force, when their files (or the compiled
  // snapshot) changed on disk: no signal needed.
  void reload_lists(const std::string& trigger) {
    std::shared_ptr<const server::Runtime> current = runtime_.current();
    keeper_.remember_files(*current->config);
    auto started = std::chrono::steady_clock::now();
    lists::ListLoadResult fresh = lists::load_configured_lists(
        *current->config, keeper_.context(*current->config, current->lists.get(), unix_now()));
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    if (!fresh.lists) {
      ++reloads_[kReloadFailed];
      keeper_.count_snapshot_refusal(*current->lists);
      for (const std::string& e : fresh.errors)
        log_error(trigger + ": new file rejected, keeping the running lists: " + e);
      return;
    }
    for (const std::string& w : fresh.lists->warnings)
      log_warn(w);
    Loaded loaded{current->config,
                  std::move(fresh.lists),
                  current->upstreams,
                  {},
                  {current->profiles, current->subscribers},
                  nullptr};
    publish(loaded);
    started = std::chrono::steady_clock::now();
    keeper_.commit(*loaded.lists, unix_now());
    auto kept = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    const bool partial = loaded.lists->refused() > 0;
    ++reloads_[partial ? kReloadPartial : kReloadOk];
    log_info(trigger + (partial ? ": partial" : ": swapped in") + " (read and checked in " +
             milliseconds_text(took) + ", kept in " + milliseconds_text(kept) +
             "): " + describe(loaded));
    // Not a reload of the service (nothing is interrupted, no RELOADING=1): the status only.
    status_ = "serving: dns on " + listening_ + "; " + describe(loaded);
    service::notify_status(status_);
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
    rejected_mtime_ = mtime;  // a refused file is said once, not every interval
    rejected_inode_ = inode;
    reload_lists("snapshot");
  }

  // List files replaced (or rewritten) on disk are read again once they stop changing.
  void watch_list_files() {
    const config::Config& config = *runtime_.current()->config;
    auto interval = config.list_updates.check_interval;
    watching_lists_ =
        config.snapshot.path.empty() && !config.lists.empty() && interval.count() != 0;
    if (!watching_lists_) return;
    list_timer_.expires_after(interval);
    list_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (keeper_.files_settled_after_change(*runtime_.current()->config)) {
        reload_lists("lists");
      }
      watch_list_files();
    });
  }

  // Once a second: upstream outages and stale lists, said in the log as they start and end.
  void watch_health() {
    health_timer_.expires_after(std::chrono::seconds(1));
    health_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      std::shared_ptr<const server::Runtime> current = runtime_.current();
      upstream_watch_.check(upstream_health_.read(current->upstreams));
      keeper_.check_staleness(*current->lists, unix_now());
      watch_health();
    });
  }

  DaemonOptions options_;
  asio::io_context control_{1};
  asio::steady_timer snapshot_timer_{control_};
  asio::steady_timer list_timer_{control_};
  asio::steady_timer health_timer_{control_};
  bool watching_snapshot_ = false;
  bool watching_lists_ = false;
  std::int64_t rejected_mtime_ = 0;
  std::uint64_t rejected_inode_ = 0;
  server::RuntimeHolder runtime_;
  policy::CategoryRegistry categories_;  // category names -> ids, for the life of the process
  metrics::BlockSlots slots_;
  server::SharedBlockCounters page_blocks_;  // the proxy's page blocks, per slot
  lists::ListKeeper keeper_;                 // control thread only
  std::array<std::uint64_t, 3> reloads_{};
  upstream::HealthBoard upstream_health_;
  UpstreamWatch upstream_watch_;
  std::uint64_t list_memory_ = 0;
  std::unique_ptr<dns::SharedResponseCache> cache_;  // before the workers that use it
  // dns.max-tcp-connections counts here, across every worker (before the workers too).
  server::ConnectionSlots tcp_slots_;
  std::vector<std::unique_ptr<server::Worker>> workers_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::atomic<bool> draining_{false};  // POST /v1/node/drain
  std::shared_ptr<profiles::EmbeddedHouseholdStore> embedded_households_;
  std::shared_ptr<profiles::RedisHouseholdStore> redis_households_;
  std::shared_ptr<redis::Client> writer_redis_;
  std::shared_ptr<admin::AuditTrail> audit_;
  std::shared_ptr<portal::AccountStore> accounts_;
  std::unique_ptr<portal::PortalFront> portal_;
  std::unique_ptr<web::WebFront> web_;
  std::unique_ptr<relay::RelayFront> relay_;
  std::shared_ptr<profiles::RedisDirectory> redis_store_;  // with subscribers.store: redis
  std::shared_ptr<redis::SentinelWatch> sentinel_watch_;   // with redis.sentinel
  std::shared_ptr<cases::CaseStore> cases_;
  std::shared_ptr<const web::TokenKeys> token_keys_;
  asio::steady_timer cases_timer_{control_};
  std::shared_ptr<profiles::HouseholdActivity> activity_;
  asio::steady_timer activity_timer_{control_};
  asio::steady_timer tally_timer_{control_};
  std::shared_ptr<server::BlockTally> tally_;
  bool tally_failing_ = false;  // control thread only
  asio::thread_pool referral_pool_{1};
  std::string case_metrics_;                                 // control thread only
  std::unique_ptr<querylog::LogPump> query_log_;             // null: the query log is off
  std::optional<config::QueryLogConfig> running_query_log_;  // its settings, from the start
  bool first_case_refresh_ = true;
  std::string listening_;
  std::optional<service::Account> account_;  // run-as, when started as root with it
  std::string status_;                       // STATUS= for the service manager
  asio::steady_timer watchdog_timer_{control_};
};

}  // namespace

int check_config(const DaemonOptions& options) {
  policy::CategoryRegistry categories;
  lists::ListKeeper keeper;
  LoadOutcome outcome = load_everything(options, categories, keeper, nullptr);
  if (!outcome.loaded) {
    for (const std::string& e : outcome.errors)
      std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "configuration has errors\n");
    return 1;
  }
  for (const std::string& w : outcome.loaded->warnings)
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (const config::RunAsConfig& run_as = outcome.loaded->config->run_as; !run_as.user.empty()) {
    std::string error;
    if (!service::find_account(run_as, error)) {
      std::fprintf(stderr, "%s\nconfiguration has errors\n", error.c_str());
      return 1;
    }
  }
  // A list that a reload would refuse is an error here, so a pre-reload check catches it.
  int status = 0;
  for (const lists::ListStatus& list : outcome.loaded->lists->lists) {
    if (!lists::is_refusal(list.result)) continue;
    std::fprintf(stderr, "list '%s': %s: %s%s\n", list.id.c_str(),
                 std::string(lists::result_name(list.result)).c_str(), list.reason.c_str(),
                 list.serving_last_good ? " (shelterd would keep its last good version)" : "");
    status = 1;
  }
  if (outcome.loaded->config->proxy.managed_tls.enabled()) {
    try {
      relay::make_managed_tls(outcome.loaded->config->proxy.managed_tls);
    } catch (const std::runtime_error& e) {
      std::fprintf(stderr, "%s\nconfiguration has errors\n", e.what());
      return 1;
    }
  }
  if (status != 0) {
    std::fprintf(stderr, "configuration ok, but lists were refused: %s\n",
                 describe(*outcome.loaded).c_str());
    return status;
  }
  std::printf("configuration ok: %s\n%s", describe(*outcome.loaded).c_str(),
              lists::describe_steering(*outcome.loaded->lists->snapshot).c_str());
  return 0;
}

int accept_list(const DaemonOptions& options, const std::string& id, const std::string& reason) {
  config::LoadResult parsed = options.config_path ? config::load_config_file(*options.config_path)
                                                  : config::embedded_defaults();
  if (!parsed.config) {
    for (const std::string& e : parsed.errors)
      std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  lists::LastGoodStore store(lists::state_directory_of(*parsed.config));
  if (!store.persistent()) {
    std::fprintf(stderr,
                 "shelterd: --accept-list needs list-updates.state-directory: the acceptance is "
                 "left there for the running shelterd to find\n");
    return 1;
  }
  std::optional<lists::ListVerdictNow> now = lists::check_list_now(*parsed.config, id, store);
  if (!now) {
    std::fprintf(stderr, "shelterd: no list '%s' in the configuration\n", id.c_str());
    return 1;
  }
  if (!lists::is_refusal(now->result)) {
    std::printf("list '%s' is fit as it is (%llu entries): nothing to accept\n", id.c_str(),
                static_cast<unsigned long long>(now->entries));
    return 0;
  }
  if (!now->acceptable) {
    std::fprintf(stderr,
                 "shelterd: list '%s' cannot be accepted: %s: %s (only a shrink or an emptied "
                 "list can be; fix the file)\n",
                 id.c_str(), std::string(lists::result_name(now->result)).c_str(),
                 now->reason.c_str());
    return 1;
  }
  lists::Acceptance acceptance{.list = id,
                               .fingerprint = now->fingerprint,
                               .entries = now->entries,
                               .previous_entries = now->last_good_entries.value_or(0),
                               .by = lists::current_user(),
                               .at_unix = unix_now(),
                               .reason = reason};
  if (std::string e = store.give_acceptance(acceptance); !e.empty()) {
    std::fprintf(stderr, "shelterd: %s\n", e.c_str());
    return 1;
  }
  std::printf(
      "accepted: list '%s' as it is now (%s), by %s. Reload shelterd (SIGHUP, "
      "systemctl reload) to put it in force; the acceptance holds for this version of "
      "the file only and is used once.\n",
      id.c_str(), now->reason.c_str(), acceptance.by.c_str());
  return 0;
}

int run_daemon(const DaemonOptions& options) {
  // Started as root: no program shelterd runs (a referral's) may gain privileges through a
  // set-user-ID bit or file capabilities, once run-as has switched. Set before the Daemon's
  // first thread, since every thread keeps its own flag; root itself loses nothing by it.
  try {
    if (::geteuid() == 0) service::forbid_new_privileges();
  } catch (const std::system_error& e) {
    log_error(std::string("shelterd: not started: ") + e.what());
    return 1;
  }
  return Daemon(options).run();
}

}  // namespace shelter::proxy
