#include "proxy/cases/redis_case_store.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_set>

#include "proxy/cases/case_json.h"
#include "proxy/cases/redis_case_scripts.h"
#include "proxy/clock.h"
#include "proxy/config/subscribers.h"
#include "proxy/log.h"
#include "proxy/redis/client.h"
#include "proxy/redis/settings_from_config.h"
#include "proxy/redis/subscriber.h"

namespace shelter::proxy::cases {
namespace {

namespace asio = boost::asio;
using redis::Reply;
using redis::ReplyType;

constexpr std::size_t kPage = 500;            // ids per ZREVRANGE, keys per MGET
constexpr std::size_t kMaxExamined = 20'000;  // records one listing reads at most
constexpr std::size_t kBatch = 200;           // records per housekeeping script (Redis waits)
constexpr std::size_t kBudget = 2'000;        // records each housekeeping step takes per call
constexpr int kAttempts = 5;                  // optimistic read-modify-writes before giving up

// EVAL script numkeys key... arg..., built up in a named variable (GCC 12 and braced lists of
// strings in coroutines do not mix).
class Eval {
 public:
  explicit Eval(std::string_view script) : script_(script) {}
  Eval& key(std::string key) {
    keys_.push_back(std::move(key));
    return *this;
  }
  Eval& arg(std::string arg) {
    args_.push_back(std::move(arg));
    return *this;
  }
  std::vector<std::string> command() && {
    std::vector<std::string> out;
    out.reserve(3 + keys_.size() + args_.size());
    out.emplace_back("EVAL");
    out.emplace_back(script_);
    out.push_back(std::to_string(keys_.size()));
    std::move(keys_.begin(), keys_.end(), std::back_inserter(out));
    std::move(args_.begin(), args_.end(), std::back_inserter(out));
    return out;
  }

 private:
  std::string_view script_;
  std::vector<std::string> keys_, args_;
};

template <typename... Args>
std::vector<std::string> words(const Args&... args) {
  std::vector<std::string> out;
  out.reserve(sizeof...(args));
  (out.emplace_back(std::string_view(args)), ...);
  return out;
}

// What a script answered: its text, or the first element of an array.
std::string_view outcome(const Reply& reply) {
  if (reply.type == ReplyType::array) {
    return reply.elements.empty() ? std::string_view() : std::string_view(reply.elements[0].text);
  }
  return reply.text;
}

std::string short_id(std::string_view id) {
  return std::string(id.substr(0, 64));
}

// A stored record, or nothing (logged): one bad record must not hide the others.
template <typename T>
std::optional<T> read_record(std::optional<T> (*parse)(std::string_view, std::string&),
                             std::string_view kind, std::string_view id, std::string_view text) {
  std::string error;
  std::optional<T> record = parse(text, error);
  if (!record) {
    log_warn("redis cases: " + std::string(kind) + " '" + short_id(id) + "' does not read (" +
             error + "); skipped");
  }
  return record;
}

std::optional<Appeal> read_appeal(std::string_view id, std::string_view text) {
  return read_record<Appeal>(appeal_from_json, "appeal", id, text);
}

std::optional<AccessRequest> read_request(std::string_view id, std::string_view text) {
  return read_record<AccessRequest>(request_from_json, "request", id, text);
}

// requests:waiting's field: one waiting request per household, device and site.
std::string waiting_field(const AccessRequest& r) {
  return r.household + "/" + r.device + " " + r.site;
}

// When an answered or expired request's retention starts (as the embedded store counts it).
std::int64_t request_ended(const AccessRequest& r) {
  return std::max(r.answered, r.until == kAlways ? r.answered : r.until);
}

bool newer(const auto& a, const auto& b) {
  return a.created != b.created ? a.created > b.created : a.id > b.id;
}

// redis.* -> the connections' settings. Always the primary: the store writes.
redis::Settings settings_of(const config::RedisConfig& c) {
  redis::Settings s = redis::settings_from(c);
  s.prefer_replica = false;
  return s;
}

// One record of an index: its id and its text (none: the record is gone).
struct Record {
  std::string id;
  std::optional<std::string> text;
};

// A change for kApply: the record's text as read ("" = it was missing) and its new text
// ("" = delete it). Made by a plain function: braced lists of strings stay out of coroutines.
struct Change {
  std::string id, before, after;
};
Change change(std::string id, std::string before, std::string after) {
  Change c;
  c.id = std::move(id);
  c.before = std::move(before);
  c.after = std::move(after);
  return c;
}

// An entry of requests:waiting for kSettleWaiting: its request expired (before and after set)
// or the entry is stale (both "").
struct Settle {
  std::string field, id, before, after;
};
Settle settle_entry(std::string field, std::string id, std::string before, std::string after) {
  Settle e;
  e.field = std::move(field);
  e.id = std::move(id);
  e.before = std::move(before);
  e.after = std::move(after);
  return e;
}

}  // namespace

struct RedisCaseStore::Impl {
  explicit Impl(const config::RedisConfig& config)
      : settings(settings_of(config)),
        appeal(config.key_prefix + ":v1:appeal:"),
        appeals(config.key_prefix + ":v1:appeals"),
        appeals_open(appeals + ":open"),
        appeals_closed(appeals + ":closed"),
        appeals_contact(appeals + ":contact"),
        request(config.key_prefix + ":v1:request:"),
        requests(config.key_prefix + ":v1:requests"),
        waiting(requests + ":waiting"),
        grants(config.key_prefix + ":v1:grants"),
        allows(config.key_prefix + ":v1:allows"),
        channel(config.key_prefix + ":v1:changes") {}

  // Runs `inner` on the store's thread; the caller resumes on its own executor, with the
  // value or the exception.
  template <typename T>
  asio::awaitable<T> on_store(asio::awaitable<T> inner) {
    if (!running.load()) throw StoreUnavailable("the Redis case store is not running");
    asio::io_context::executor_type executor = io.get_executor();
    if constexpr (std::is_void_v<T>) {
      co_await asio::co_spawn(executor, std::move(inner), asio::use_awaitable);
    } else {
      co_return co_await asio::co_spawn(executor, std::move(inner), asio::use_awaitable);
    }
  }

  // Everything below runs on the store's thread.
  asio::awaitable<Reply> run(std::vector<std::string> command);
  // Strings by reference: the Impl's keys, or locals of the awaiting coroutine (GCC 12 and
  // argument temporaries inside a co_await do not mix).
  asio::awaitable<std::optional<std::string>> get(const std::string& key);
  asio::awaitable<std::vector<Record>> get_many(const std::string& prefix,
                                                std::vector<std::string> ids);
  asio::awaitable<std::vector<Record>> page(const std::string& index, const std::string& prefix,
                                            std::size_t start);
  asio::awaitable<std::vector<std::string>> older_than(const std::string& index,
                                                       std::int64_t cutoff);
  asio::awaitable<std::size_t> apply(std::vector<std::string> indexes, const std::string& prefix,
                                     std::vector<Change> changes);

  asio::awaitable<void> add_appeal(Appeal a);
  asio::awaitable<std::optional<Appeal>> get_appeal(std::string id);
  asio::awaitable<std::vector<Appeal>> list_appeals(AppealQuery query);
  asio::awaitable<void> close_appeal(Appeal updated, std::optional<OperatorAllow> allow);
  asio::awaitable<void> set_referral(std::string id, Referral referral);
  asio::awaitable<AccessRequest> add_request(AccessRequest r);
  asio::awaitable<std::optional<AccessRequest>> get_request(std::string id);
  asio::awaitable<std::vector<AccessRequest>> list_requests(RequestQuery query);
  asio::awaitable<std::vector<AccessRequest>> waiting_requests(const RequestQuery& query);
  asio::awaitable<void> answer_request(AccessRequest updated, std::optional<Grant> grant);
  asio::awaitable<void> expire(std::int64_t now, Retention retention);
  asio::awaitable<void> expire_grants(std::int64_t now);
  asio::awaitable<void> expire_waiting(std::int64_t now, std::int64_t after);
  asio::awaitable<void> delete_requests(std::int64_t now, std::int64_t after);
  asio::awaitable<void> erase_contacts(std::int64_t now, std::int64_t after);
  asio::awaitable<void> delete_appeals(std::int64_t now, std::int64_t after);

  void schedule_refresh();
  asio::awaitable<void> refresh_loop();
  asio::awaitable<void> refresh();
  void deliver(std::shared_ptr<const policy::Overrides> overrides);

  const redis::Settings settings;
  const std::string appeal, appeals, appeals_open, appeals_closed, appeals_contact;
  const std::string request, requests, waiting, grants, allows, channel;

  // Declared first among the I/O members: destroyed after the client and the subscriber.
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::atomic<bool> running{false};
  std::unique_ptr<redis::Client> client;
  std::unique_ptr<redis::Subscriber> subscriber;
  std::function<void(std::shared_ptr<const policy::Overrides>)> changed;
  // Refreshes: one loop at a time; a newer read never loses to an older one.
  bool refreshing = false, refresh_again = false;
  std::uint64_t refresh_started = 0, refresh_delivered = 0;
};

// --- Commands --------------------------------------------------------------------------------

asio::awaitable<Reply> RedisCaseStore::Impl::run(std::vector<std::string> command) {
  redis::Result result = co_await client->command(std::move(command));
  if (!result.ok()) {
    const redis::Error& e = result.error();
    throw StoreUnavailable("redis: " + std::string(redis::to_string(e.kind)) +
                           (e.text.empty() ? "" : ": " + e.text));
  }
  if (result.reply().is_error()) throw StoreUnavailable("redis: " + result.reply().text);
  co_return std::move(result.reply());
}

asio::awaitable<std::optional<std::string>> RedisCaseStore::Impl::get(const std::string& key) {
  std::vector<std::string> command = words("GET", key);
  Reply reply = co_await run(std::move(command));
  if (reply.type != ReplyType::string) co_return std::nullopt;
  co_return std::move(reply.text);
}

asio::awaitable<std::vector<Record>> RedisCaseStore::Impl::get_many(const std::string& prefix,
                                                                    std::vector<std::string> ids) {
  std::vector<Record> out;
  out.reserve(ids.size());
  for (std::size_t first = 0; first < ids.size(); first += kPage) {
    const std::size_t last = std::min(ids.size(), first + kPage);
    std::vector<std::string> command;
    command.reserve(1 + last - first);
    command.emplace_back("MGET");
    for (std::size_t i = first; i < last; ++i)
      command.push_back(prefix + ids[i]);
    Reply reply = co_await run(std::move(command));
    for (std::size_t i = first; i < last; ++i) {
      Record record{std::move(ids[i]), std::nullopt};
      const std::size_t at = i - first;
      if (at < reply.elements.size() && reply.elements[at].type == ReplyType::string) {
        record.text = std::move(reply.elements[at].text);
      }
      out.push_back(std::move(record));
    }
  }
  co_return out;
}

// Records of `index` from position `start`, newest first; fewer than kPage: the last page.
asio::awaitable<std::vector<Record>> RedisCaseStore::Impl::page(const std::string& index,
                                                                const std::string& prefix,
                                                                std::size_t start) {
  std::vector<std::string> command =
      words("ZREVRANGE", index, std::to_string(start), std::to_string(start + kPage - 1));
  Reply reply = co_await run(std::move(command));
  std::vector<std::string> ids;
  ids.reserve(reply.elements.size());
  for (Reply& element : reply.elements)
    ids.push_back(std::move(element.text));
  co_return co_await get_many(prefix, std::move(ids));
}

// The oldest ids of `index` scored at or before `cutoff`, at most kBudget.
asio::awaitable<std::vector<std::string>> RedisCaseStore::Impl::older_than(const std::string& index,
                                                                           std::int64_t cutoff) {
  std::vector<std::string> command = words("ZRANGEBYSCORE", index, "-inf", std::to_string(cutoff),
                                           "LIMIT", "0", std::to_string(kBudget));
  Reply reply = co_await run(std::move(command));
  std::vector<std::string> ids;
  ids.reserve(reply.elements.size());
  for (Reply& element : reply.elements)
    ids.push_back(std::move(element.text));
  co_return ids;
}

// kApply in batches.
asio::awaitable<std::size_t> RedisCaseStore::Impl::apply(std::vector<std::string> indexes,
                                                         const std::string& prefix,
                                                         std::vector<Change> changes) {
  std::size_t done = 0;
  for (std::size_t first = 0; first < changes.size(); first += kBatch) {
    const std::size_t last = std::min(changes.size(), first + kBatch);
    Eval eval(lua::kApply);
    eval.arg(std::to_string(indexes.size()));
    for (const std::string& index : indexes)
      eval.key(index);
    for (std::size_t i = first; i < last; ++i) {
      eval.key(prefix + changes[i].id);
      eval.arg(std::move(changes[i].id))
          .arg(std::move(changes[i].before))
          .arg(std::move(changes[i].after));
    }
    std::vector<std::string> command = std::move(eval).command();
    Reply reply = co_await run(std::move(command));
    done += static_cast<std::size_t>(std::max<std::int64_t>(0, reply.integer));
  }
  co_return done;
}

// --- Appeals ---------------------------------------------------------------------------------

asio::awaitable<void> RedisCaseStore::Impl::add_appeal(Appeal a) {
  Eval eval(lua::kAddAppeal);
  eval.key(appeal + a.id).key(appeals).key(appeals_open).key(appeals_closed).key(appeals_contact);
  eval.arg(to_json(a, Detail::stored))
      .arg(std::to_string(a.created))
      .arg(a.id)
      .arg(std::to_string(kMaxOpenAppeals))
      .arg(a.closed() ? std::to_string(a.decided) : std::string())
      .arg(a.closed() && !a.contact.empty() ? "1" : "0");
  std::vector<std::string> command = std::move(eval).command();
  Reply reply = co_await run(std::move(command));
  const std::string_view result = outcome(reply);
  if (result == "conflict") throw CaseConflict("appeal id " + a.id + " exists");
  if (result == "full") throw StoreFull("too many open appeals");
  if (result != "ok") throw StoreUnavailable("redis: unexpected answer to add_appeal");
}

asio::awaitable<std::optional<Appeal>> RedisCaseStore::Impl::get_appeal(std::string id) {
  const std::string key = appeal + id;
  std::optional<std::string> text = co_await get(key);
  if (!text) co_return std::nullopt;
  co_return read_appeal(id, *text);
}

asio::awaitable<std::vector<Appeal>> RedisCaseStore::Impl::list_appeals(AppealQuery query) {
  using Which = AppealQuery::Which;
  // Open ones have their own index; closed ones are most of the rest.
  const std::string& index = query.which == Which::open ? appeals_open : appeals;
  std::vector<Appeal> out;
  std::unordered_set<std::string> seen;  // a record added meanwhile shifts the pages by one
  for (std::size_t start = 0; out.size() < query.limit && start < kMaxExamined; start += kPage) {
    std::vector<Record> records = co_await page(index, appeal, start);
    for (Record& record : records) {
      if (!record.text || !seen.insert(record.id).second) continue;
      std::optional<Appeal> a = read_appeal(record.id, *record.text);
      if (!a) continue;
      if (!query.household.empty() && a->household != query.household) continue;
      const bool wanted = query.which == Which::all || (query.which == Which::open) != a->closed();
      if (wanted && out.size() < query.limit) out.push_back(std::move(*a));
    }
    if (records.size() < kPage) break;
  }
  co_return out;
}

asio::awaitable<void> RedisCaseStore::Impl::close_appeal(Appeal updated,
                                                         std::optional<OperatorAllow> allow) {
  if (!updated.closed()) throw std::invalid_argument("close_appeal: the appeal is still open");
  const bool allows_site = allow && !allow->site.empty();
  Eval eval(lua::kCloseAppeal);
  eval.key(appeal + updated.id)
      .key(appeals_open)
      .key(appeals_closed)
      .key(appeals_contact)
      .key(allows);
  eval.arg(to_json(updated, Detail::stored))
      .arg(updated.id)
      .arg(std::to_string(updated.decided))
      .arg(updated.contact.empty() ? "0" : "1")
      .arg(allows_site ? allow->site : std::string())
      .arg(allows_site ? to_json(*allow) : std::string())
      .arg(channel);
  std::vector<std::string> command = std::move(eval).command();
  Reply reply = co_await run(std::move(command));
  const std::string_view result = outcome(reply);
  if (result == "missing") throw CaseConflict("no appeal " + updated.id);
  if (result == "conflict") throw CaseConflict("appeal " + updated.id + " is already closed");
  if (result != "ok") throw StoreUnavailable("redis: unexpected answer to close_appeal");
  // In force here when this returns; the other nodes read it on the message.
  if (allows_site) co_await refresh();
}

asio::awaitable<void> RedisCaseStore::Impl::set_referral(std::string id, Referral referral) {
  const std::string key = appeal + id;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::optional<std::string> text = co_await get(key);
    std::optional<Appeal> a = text ? read_appeal(id, *text) : std::nullopt;
    if (!a) throw CaseConflict("no appeal " + id);
    a->referral = referral;
    std::vector<Change> changes;
    changes.push_back(change(id, std::move(*text), to_json(*a, Detail::stored)));
    std::vector<std::string> no_indexes;
    if (co_await apply(std::move(no_indexes), appeal, std::move(changes)) == 1) co_return;
  }
  throw CaseConflict("appeal " + id + " keeps changing");
}

// --- Access requests -------------------------------------------------------------------------

asio::awaitable<AccessRequest> RedisCaseStore::Impl::add_request(AccessRequest r) {
  if (r.status != RequestStatus::waiting) {
    throw std::invalid_argument("add_request: a new request is waiting");
  }
  const std::string field = waiting_field(r);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Eval eval(lua::kAddRequest);
    eval.key(request + r.id).key(requests).key(waiting);
    eval.arg(to_json(r))
        .arg(std::to_string(r.created))
        .arg(r.id)
        .arg(field)
        .arg(std::to_string(kMaxWaitingRequests));
    std::vector<std::string> command = std::move(eval).command();
    Reply reply = co_await run(std::move(command));
    const std::string_view result = outcome(reply);
    if (result == "ok") co_return r;
    if (result == "full") throw StoreFull("too many waiting requests");
    if (result == "conflict") throw CaseConflict("request id " + r.id + " exists");
    if (result != "existing" || reply.elements.size() != 2) {
      throw StoreUnavailable("redis: unexpected answer to add_request");
    }
    const std::string existing = reply.elements[1].text;
    const std::string key = request + existing;
    std::optional<std::string> text = co_await get(key);
    std::optional<AccessRequest> found = text ? read_request(existing, *text) : std::nullopt;
    if (found && found->status == RequestStatus::waiting) co_return *found;
    // A stale entry (its request gone, answered, or unreadable and logged): drop it if it is
    // still there, and try again.
    Eval settle(lua::kSettleWaiting);
    settle.key(waiting).key(request + existing);
    settle.arg(field).arg(existing).arg("").arg("");
    std::vector<std::string> drop = std::move(settle).command();
    co_await run(std::move(drop));
  }
  throw CaseConflict("the waiting requests keep changing");
}

asio::awaitable<std::optional<AccessRequest>> RedisCaseStore::Impl::get_request(std::string id) {
  const std::string key = request + id;
  std::optional<std::string> text = co_await get(key);
  if (!text) co_return std::nullopt;
  co_return read_request(id, *text);
}

// Waiting ones: all of them from their hash (bounded), then newest first.
asio::awaitable<std::vector<AccessRequest>> RedisCaseStore::Impl::waiting_requests(
    const RequestQuery& query) {
  std::vector<std::string> command = words("HVALS", waiting);
  Reply reply = co_await run(std::move(command));
  std::vector<std::string> ids;
  ids.reserve(reply.elements.size());
  for (Reply& element : reply.elements)
    ids.push_back(std::move(element.text));
  std::vector<Record> records = co_await get_many(request, std::move(ids));
  std::vector<AccessRequest> out;
  for (Record& record : records) {
    if (!record.text) continue;
    std::optional<AccessRequest> r = read_request(record.id, *record.text);
    if (!r || r->status != RequestStatus::waiting) continue;
    if (!query.household.empty() && r->household != query.household) continue;
    out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return newer(a, b); });
  if (out.size() > query.limit) out.resize(query.limit);
  co_return out;
}

asio::awaitable<std::vector<AccessRequest>> RedisCaseStore::Impl::list_requests(
    RequestQuery query) {
  using Which = RequestQuery::Which;
  if (query.which == Which::waiting) co_return co_await waiting_requests(query);
  std::vector<AccessRequest> out;
  std::unordered_set<std::string> seen;
  for (std::size_t start = 0; out.size() < query.limit && start < kMaxExamined; start += kPage) {
    std::vector<Record> records = co_await page(requests, request, start);
    for (Record& record : records) {
      if (!record.text || !seen.insert(record.id).second) continue;
      std::optional<AccessRequest> r = read_request(record.id, *record.text);
      if (!r) continue;
      if (!query.household.empty() && r->household != query.household) continue;
      const bool wanted = query.which == Which::all || r->status != RequestStatus::waiting;
      if (wanted && out.size() < query.limit) out.push_back(std::move(*r));
    }
    if (records.size() < kPage) break;
  }
  co_return out;
}

asio::awaitable<void> RedisCaseStore::Impl::answer_request(AccessRequest updated,
                                                           std::optional<Grant> grant) {
  if (updated.status == RequestStatus::waiting) {
    throw std::invalid_argument("answer_request: the request is still waiting");
  }
  Eval eval(lua::kAnswerRequest);
  eval.key(request + updated.id).key(waiting).key(grants);
  eval.arg(to_json(updated))
      .arg(updated.id)
      .arg(waiting_field(updated))
      .arg(grant ? to_json(*grant) : std::string())
      .arg(channel);
  std::vector<std::string> command = std::move(eval).command();
  Reply reply = co_await run(std::move(command));
  const std::string_view result = outcome(reply);
  if (result == "missing") throw CaseConflict("no request " + updated.id);
  if (result == "conflict") throw CaseConflict("request " + updated.id + " is no longer waiting");
  if (result != "ok") throw StoreUnavailable("redis: unexpected answer to answer_request");
  if (grant) co_await refresh();
}

// --- Housekeeping ----------------------------------------------------------------------------

asio::awaitable<void> RedisCaseStore::Impl::expire(std::int64_t now, Retention retention) {
  co_await expire_grants(now);
  co_await expire_waiting(now, retention.waiting_request);
  co_await delete_requests(now, retention.request);
  co_await erase_contacts(now, retention.contact_after_close);
  co_await delete_appeals(now, retention.closed_appeal);
}

asio::awaitable<void> RedisCaseStore::Impl::expire_grants(std::int64_t now) {
  std::vector<std::string> command = words("HGETALL", grants);
  Reply reply = co_await run(std::move(command));
  std::vector<std::string> ended;
  for (std::size_t i = 0; i + 1 < reply.elements.size() && ended.size() < kBudget; i += 2) {
    std::string error;
    std::optional<Grant> g = grant_from_json(reply.elements[i + 1].text, error);
    if (g && g->until <= now) ended.push_back(std::move(reply.elements[i].text));
  }
  std::int64_t removed = 0;
  for (std::size_t first = 0; first < ended.size(); first += kBatch) {
    Eval eval(lua::kDropGrants);
    eval.key(grants).arg(std::to_string(now)).arg(channel);
    for (std::size_t i = first; i < std::min(ended.size(), first + kBatch); ++i)
      eval.arg(std::move(ended[i]));
    std::vector<std::string> drop = std::move(eval).command();
    Reply dropped = co_await run(std::move(drop));
    removed += dropped.integer;
  }
  if (removed > 0) co_await refresh();
}

asio::awaitable<void> RedisCaseStore::Impl::expire_waiting(std::int64_t now, std::int64_t after) {
  std::vector<std::string> command = words("HGETALL", waiting);
  Reply reply = co_await run(std::move(command));
  std::vector<std::string> fields, ids;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    fields.push_back(std::move(reply.elements[i].text));
    ids.push_back(std::move(reply.elements[i + 1].text));
  }
  std::vector<Record> records = co_await get_many(request, std::move(ids));
  std::vector<Settle> settle;
  for (std::size_t i = 0; i < records.size() && settle.size() < kBudget; ++i) {
    Record& record = records[i];
    if (!record.text) {
      settle.push_back(settle_entry(fields[i], record.id, "", ""));
      continue;
    }
    std::optional<AccessRequest> r = read_request(record.id, *record.text);
    if (!r) continue;
    if (r->status != RequestStatus::waiting) {
      settle.push_back(settle_entry(fields[i], record.id, "", ""));
    } else if (r->created + after <= now) {
      r->status = RequestStatus::expired;
      r->answered = now;
      settle.push_back(settle_entry(fields[i], record.id, std::move(*record.text), to_json(*r)));
    }
  }
  for (std::size_t first = 0; first < settle.size(); first += kBatch) {
    Eval eval(lua::kSettleWaiting);
    eval.key(waiting);
    for (std::size_t i = first; i < std::min(settle.size(), first + kBatch); ++i) {
      eval.key(request + settle[i].id);
      eval.arg(std::move(settle[i].field))
          .arg(std::move(settle[i].id))
          .arg(std::move(settle[i].before))
          .arg(std::move(settle[i].after));
    }
    std::vector<std::string> batch = std::move(eval).command();
    co_await run(std::move(batch));
  }
}

// Answered and expired requests past their retention. A request ends no earlier than it was
// made, so the candidates are among those made before the cutoff.
asio::awaitable<void> RedisCaseStore::Impl::delete_requests(std::int64_t now, std::int64_t after) {
  std::vector<std::string> ids = co_await older_than(requests, now - after);
  std::vector<Record> records = co_await get_many(request, std::move(ids));
  std::vector<Change> changes;
  for (Record& record : records) {
    if (!record.text) {
      changes.push_back(change(record.id, "", ""));  // its index entry outlived it
      continue;
    }
    std::optional<AccessRequest> r = read_request(record.id, *record.text);
    // One that does not read goes too: it was made before the cutoff, and what it holds
    // about a child must not outlive the retention because it cannot be read.
    if (r && (r->status == RequestStatus::waiting || request_ended(*r) + after > now)) continue;
    changes.push_back(change(record.id, std::move(*record.text), ""));
  }
  std::vector<std::string> indexes = words(requests);
  co_await apply(std::move(indexes), request, std::move(changes));
}

asio::awaitable<void> RedisCaseStore::Impl::erase_contacts(std::int64_t now, std::int64_t after) {
  std::vector<std::string> ids = co_await older_than(appeals_contact, now - after);
  std::vector<Record> records = co_await get_many(appeal, std::move(ids));
  std::vector<Change> changes;
  for (Record& record : records) {
    if (!record.text) {
      changes.push_back(change(record.id, "", ""));
      continue;
    }
    std::optional<Appeal> a = read_appeal(record.id, *record.text);
    if (!a) continue;  // logged; it stays indexed, and is deleted with the closed appeals
    a->contact.clear();
    std::string erased = to_json(*a, Detail::stored);
    changes.push_back(change(record.id, std::move(*record.text), std::move(erased)));
  }
  std::vector<std::string> indexes = words(appeals_contact);
  co_await apply(std::move(indexes), appeal, std::move(changes));
}

asio::awaitable<void> RedisCaseStore::Impl::delete_appeals(std::int64_t now, std::int64_t after) {
  std::vector<std::string> ids = co_await older_than(appeals_closed, now - after);
  std::vector<Record> records = co_await get_many(appeal, std::move(ids));
  std::vector<Change> changes;
  for (Record& record : records) {
    if (!record.text) {
      changes.push_back(change(record.id, "", ""));
      continue;
    }
    // Decided before the cutoff (its score in appeals:closed); one that does not read goes too.
    changes.push_back(change(record.id, std::move(*record.text), ""));
  }
  std::vector<std::string> indexes = words(appeals, appeals_open, appeals_closed, appeals_contact);
  co_await apply(std::move(indexes), appeal, std::move(changes));
}

// --- Overrides -------------------------------------------------------------------------------

void RedisCaseStore::Impl::schedule_refresh() {
  if (refreshing) {
    refresh_again = true;
    return;
  }
  refreshing = true;
  asio::co_spawn(io, refresh_loop(), log_exception{"redis cases: reading the overrides"});
}

asio::awaitable<void> RedisCaseStore::Impl::refresh_loop() {
  try {
    do {
      refresh_again = false;
      co_await refresh();
    } while (refresh_again);
  } catch (...) {
    log_exception{"redis cases: reading the overrides"}(std::current_exception());
  }
  refreshing = false;
}

// Reads every grant and allow and hands the overrides to the owner. A failure keeps the ones
// in force: the next message or (re)subscription reads them again.
asio::awaitable<void> RedisCaseStore::Impl::refresh() {
  const std::uint64_t sequence = ++refresh_started;
  Eval eval(lua::kReadOverrides);
  eval.key(grants).key(allows);
  std::vector<std::string> command = std::move(eval).command();
  redis::Result result = co_await client->command(std::move(command));
  if (!result.ok() || result.reply().is_error() || result.reply().elements.size() != 2) {
    log_warn("redis cases: could not read the grants and allows (" +
             (result.ok() ? result.reply().text : result.error().text) +
             "); keeping the ones in force");
    co_return;
  }
  // Replies come in order: one read that began later was delivered already.
  if (sequence < refresh_delivered) co_return;
  refresh_delivered = sequence;
  const Reply& reply = result.reply();
  std::vector<Grant> grant_list;
  std::vector<OperatorAllow> allow_list;
  std::size_t bad = 0;
  std::string error, first_error;
  const auto& grant_fields = reply.elements[0].elements;
  for (std::size_t i = 0; i + 1 < grant_fields.size(); i += 2) {
    if (auto g = grant_from_json(grant_fields[i + 1].text, error)) {
      grant_list.push_back(std::move(*g));
    } else if (++bad == 1) {
      first_error = "grant '" + short_id(grant_fields[i].text) + "': " + error;
    }
  }
  const auto& allow_fields = reply.elements[1].elements;
  for (std::size_t i = 0; i + 1 < allow_fields.size(); i += 2) {
    if (auto a = allow_from_json(allow_fields[i + 1].text, error)) {
      allow_list.push_back(std::move(*a));
    } else if (++bad == 1) {
      first_error = "allow '" + short_id(allow_fields[i].text) + "': " + error;
    }
  }
  if (bad > 0) {
    log_warn("redis cases: " + std::to_string(bad) + " grants or allows do not read and are " +
             "not in force; the first: " + first_error);
  }
  deliver(build_overrides(grant_list, allow_list, clock::now()));
}

void RedisCaseStore::Impl::deliver(std::shared_ptr<const policy::Overrides> overrides) {
  if (!changed) return;
  try {
    changed(std::move(overrides));
  } catch (...) {
    log_exception{"redis cases: the overrides callback"}(std::current_exception());
  }
}

// --- The interface ---------------------------------------------------------------------------

RedisCaseStore::RedisCaseStore(const config::RedisConfig& config)
    : impl_(std::make_unique<Impl>(config)) {}

RedisCaseStore::~RedisCaseStore() {
  stop();
}

asio::awaitable<void> RedisCaseStore::add_appeal(Appeal appeal) {
  return impl_->on_store(impl_->add_appeal(std::move(appeal)));
}

asio::awaitable<std::optional<Appeal>> RedisCaseStore::appeal(std::string id) {
  return impl_->on_store(impl_->get_appeal(std::move(id)));
}

asio::awaitable<std::vector<Appeal>> RedisCaseStore::appeals(AppealQuery query) {
  return impl_->on_store(impl_->list_appeals(query));
}

asio::awaitable<void> RedisCaseStore::close_appeal(Appeal updated,
                                                   std::optional<OperatorAllow> allow) {
  return impl_->on_store(impl_->close_appeal(std::move(updated), std::move(allow)));
}

asio::awaitable<void> RedisCaseStore::set_referral(std::string id, Referral referral) {
  return impl_->on_store(impl_->set_referral(std::move(id), std::move(referral)));
}

asio::awaitable<AccessRequest> RedisCaseStore::add_request(AccessRequest request) {
  return impl_->on_store(impl_->add_request(std::move(request)));
}

asio::awaitable<std::optional<AccessRequest>> RedisCaseStore::request(std::string id) {
  return impl_->on_store(impl_->get_request(std::move(id)));
}

asio::awaitable<std::vector<AccessRequest>> RedisCaseStore::requests(RequestQuery query) {
  return impl_->on_store(impl_->list_requests(std::move(query)));
}

asio::awaitable<void> RedisCaseStore::answer_request(AccessRequest updated,
                                                     std::optional<Grant> grant) {
  return impl_->on_store(impl_->answer_request(std::move(updated), std::move(grant)));
}

asio::awaitable<void> RedisCaseStore::expire(std::int64_t now, Retention retention) {
  return impl_->on_store(impl_->expire(now, retention));
}

void RedisCaseStore::start(std::function<void(std::shared_ptr<const policy::Overrides>)> changed) {
  Impl& s = *impl_;
  if (s.client) return;  // once only
  s.changed = std::move(changed);
  s.client = std::make_unique<redis::Client>(s.io.get_executor(), s.settings);
  s.subscriber = std::make_unique<redis::Subscriber>(
      s.io.get_executor(), s.settings, std::vector<std::string>{s.channel},
      [&s](std::string_view, std::string_view message) {
        // The profile directory's messages share the channel.
        if (message == "overrides") s.schedule_refresh();
      },
      "redis cases changes");
  // Messages sent while unsubscribed are lost: read everything after every (re)subscription.
  // The command connection may come up later; it reads on its own (re)connection too.
  s.subscriber->on_subscribed([&s] {
    if (s.client->connected()) s.schedule_refresh();
  });
  s.client->on_connected([&s] { s.schedule_refresh(); });
  s.client->start();
  s.subscriber->start();
  s.work.emplace(s.io.get_executor());
  s.running = true;
  s.thread = std::thread([&s] { s.io.run(); });
}

void RedisCaseStore::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  s.running = false;
  // Commands in flight complete with not_connected (StoreUnavailable), the loops end, and
  // run() returns once nothing is left.
  asio::post(s.io, [&s] {
    s.subscriber->stop();
    s.client->stop();
    s.work.reset();
  });
  s.thread.join();
  s.changed = nullptr;
}

std::string RedisCaseStore::describe() const {
  return "redis";
}

}  // namespace shelter::proxy::cases
