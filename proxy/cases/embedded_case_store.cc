#include "proxy/cases/embedded_case_store.h"

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "proxy/cases/case_json.h"
#include "proxy/clock.h"
#include "proxy/fs/atomic_file.h"

namespace shelter::proxy::cases {
namespace {

namespace json = boost::json;

constexpr std::string_view kFileName = "cases.json";

template <typename T, typename Parse>
bool read_array(const json::object& root, std::string_view key, std::vector<T>& into, Parse parse,
                std::string& error) {
  const json::value* v = root.if_contains(key);
  if (v == nullptr) return true;
  if (!v->is_array()) {
    error = std::string(key) + " is not an array";
    return false;
  }
  std::size_t index = 0;
  for (const json::value& item : v->as_array()) {
    std::string item_error;
    std::optional<T> parsed = parse(json::serialize(item), item_error);
    if (!parsed) {
      error = std::string(key) + "[" + std::to_string(index) + "]: " + item_error;
      return false;
    }
    into.push_back(std::move(*parsed));
    ++index;
  }
  return true;
}

std::string same_request_key(const AccessRequest& r) {
  return r.household + "/" + r.device + " " + r.site;
}

}  // namespace

EmbeddedCaseStore::EmbeddedCaseStore(std::string state_directory, std::string& warning) {
  warning.clear();
  if (state_directory.empty()) {
    warning = "no state directory: appeals and access requests are kept in memory only";
    return;
  }
  path_ = (std::filesystem::path(state_directory) / kFileName).string();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;  // none yet
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  State loaded;
  json::error_code ec;
  json::value root = json::parse(text.str(), ec);
  if (ec || !root.is_object()) {
    error = "not a JSON object";
  } else {
    const json::object& o = root.as_object();
    if (read_array(o, "appeals", loaded.appeals, appeal_from_json, error) &&
        read_array(o, "requests", loaded.requests, request_from_json, error) &&
        read_array(o, "grants", loaded.grants, grant_from_json, error)) {
      read_array(o, "allows", loaded.allows, allow_from_json, error);
    }
  }
  if (error.empty()) {
    state_ = std::move(loaded);
    return;
  }
  const std::string aside = path_ + ".unreadable-" + std::to_string(clock::now());
  std::error_code rename_error;
  std::filesystem::rename(path_, aside, rename_error);
  warning =
      path_ + " does not read (" + error + "): " +
      (rename_error ? "left in place (" + rename_error.message() + ")" : "moved to " + aside) +
      "; starting with no cases";
}

std::string EmbeddedCaseStore::serialise(const State& state) const {
  // The records' own JSON, assembled: one writer of each record's shape (case_json.cc).
  std::string out = "{\"version\":1,\n\"appeals\":[";
  auto append = [&out](const auto& items, auto&& write) {
    bool first = true;
    for (const auto& item : items) {
      out += first ? "\n" : ",\n";
      out += write(item);
      first = false;
    }
  };
  append(state.appeals, [](const Appeal& a) { return to_json(a, Detail::stored); });
  out += "],\n\"requests\":[";
  append(state.requests, [](const AccessRequest& r) { return to_json(r); });
  out += "],\n\"grants\":[";
  append(state.grants, [](const Grant& g) { return to_json(g); });
  out += "],\n\"allows\":[";
  append(state.allows, [](const OperatorAllow& a) { return to_json(a); });
  out += "]}\n";
  return out;
}

void EmbeddedCaseStore::commit(State next, bool overrides_changed) {
  if (!path_.empty()) {
    const std::string bytes = serialise(next);
    const std::string error = fs::write_file_atomically(path_, bytes, 0600);
    if (!error.empty()) throw StoreUnavailable("cannot write " + path_ + ": " + error);
  }
  state_ = std::move(next);
  if (overrides_changed && changed_) {
    changed_(build_overrides(state_.grants, state_.allows, clock::now()));
  }
}

boost::asio::awaitable<void> EmbeddedCaseStore::add_appeal(Appeal appeal) {
  {
    std::lock_guard lock(mutex_);
    for (const Appeal& a : state_.appeals) {
      if (a.id == appeal.id) throw CaseConflict("appeal id " + appeal.id + " exists");
    }
    const auto open = std::count_if(state_.appeals.begin(), state_.appeals.end(),
                                    [](const Appeal& a) { return !a.closed(); });
    if (static_cast<std::size_t>(open) >= kMaxOpenAppeals) {
      throw StoreFull("too many open appeals");
    }
    State next = state_;
    next.appeals.push_back(std::move(appeal));
    commit(std::move(next), false);
  }
  co_return;
}

boost::asio::awaitable<std::optional<Appeal>> EmbeddedCaseStore::appeal(std::string id) {
  std::optional<Appeal> found;
  {
    std::lock_guard lock(mutex_);
    for (const Appeal& a : state_.appeals) {
      if (a.id == id) found = a;
    }
  }
  co_return found;
}

boost::asio::awaitable<std::vector<Appeal>> EmbeddedCaseStore::appeals(AppealQuery query) {
  std::vector<Appeal> out;
  {
    std::lock_guard lock(mutex_);
    for (auto it = state_.appeals.rbegin(); it != state_.appeals.rend(); ++it) {
      if (out.size() >= query.limit) break;
      if (!query.household.empty() && it->household != query.household) continue;
      const bool wanted = query.which == AppealQuery::Which::all ||
                          (query.which == AppealQuery::Which::open) != it->closed();
      if (wanted) out.push_back(*it);
    }
  }
  co_return out;
}

boost::asio::awaitable<void> EmbeddedCaseStore::close_appeal(Appeal updated,
                                                             std::optional<OperatorAllow> allow) {
  {
    std::lock_guard lock(mutex_);
    State next = state_;
    auto it = std::find_if(next.appeals.begin(), next.appeals.end(),
                           [&](const Appeal& a) { return a.id == updated.id; });
    if (it == next.appeals.end()) throw CaseConflict("no appeal " + updated.id);
    if (it->closed()) throw CaseConflict("appeal " + updated.id + " is already closed");
    *it = std::move(updated);
    const bool allows = allow.has_value();
    if (allow) {
      std::erase_if(next.allows, [&](const OperatorAllow& a) { return a.site == allow->site; });
      next.allows.push_back(std::move(*allow));
    }
    commit(std::move(next), allows);
  }
  co_return;
}

boost::asio::awaitable<void> EmbeddedCaseStore::set_referral(std::string id, Referral referral) {
  {
    std::lock_guard lock(mutex_);
    State next = state_;
    auto it = std::find_if(next.appeals.begin(), next.appeals.end(),
                           [&](const Appeal& a) { return a.id == id; });
    if (it == next.appeals.end()) throw CaseConflict("no appeal " + id);
    it->referral = std::move(referral);
    commit(std::move(next), false);
  }
  co_return;
}

boost::asio::awaitable<AccessRequest> EmbeddedCaseStore::add_request(AccessRequest request) {
  AccessRequest result;
  {
    std::lock_guard lock(mutex_);
    const std::string key = same_request_key(request);
    std::size_t waiting = 0;
    for (const AccessRequest& r : state_.requests) {
      if (r.status != RequestStatus::waiting) continue;
      if (same_request_key(r) == key) co_return r;
      ++waiting;
    }
    if (waiting >= kMaxWaitingRequests) throw StoreFull("too many waiting requests");
    State next = state_;
    next.requests.push_back(request);
    commit(std::move(next), false);
    result = std::move(request);
  }
  co_return result;
}

boost::asio::awaitable<std::optional<AccessRequest>> EmbeddedCaseStore::request(std::string id) {
  std::optional<AccessRequest> found;
  {
    std::lock_guard lock(mutex_);
    for (const AccessRequest& r : state_.requests) {
      if (r.id == id) found = r;
    }
  }
  co_return found;
}

boost::asio::awaitable<std::vector<AccessRequest>> EmbeddedCaseStore::requests(RequestQuery query) {
  std::vector<AccessRequest> out;
  {
    std::lock_guard lock(mutex_);
    for (auto it = state_.requests.rbegin(); it != state_.requests.rend(); ++it) {
      if (out.size() >= query.limit) break;
      if (!query.household.empty() && it->household != query.household) continue;
      const bool waiting = it->status == RequestStatus::waiting;
      const bool wanted = query.which == RequestQuery::Which::all ||
                          (query.which == RequestQuery::Which::waiting) == waiting;
      if (wanted) out.push_back(*it);
    }
  }
  co_return out;
}

boost::asio::awaitable<void> EmbeddedCaseStore::answer_request(AccessRequest updated,
                                                               std::optional<Grant> grant) {
  {
    std::lock_guard lock(mutex_);
    State next = state_;
    auto it = std::find_if(next.requests.begin(), next.requests.end(),
                           [&](const AccessRequest& r) { return r.id == updated.id; });
    if (it == next.requests.end()) throw CaseConflict("no request " + updated.id);
    if (it->status != RequestStatus::waiting) {
      throw CaseConflict("request " + updated.id + " is already " +
                         std::string(status_name(it->status)));
    }
    *it = std::move(updated);
    const bool grants = grant.has_value();
    if (grant) next.grants.push_back(std::move(*grant));
    commit(std::move(next), grants);
  }
  co_return;
}

boost::asio::awaitable<void> EmbeddedCaseStore::expire(std::int64_t now, Retention retention) {
  {
    std::lock_guard lock(mutex_);
    State next = state_;
    bool changed = false;
    const std::size_t grants_before = next.grants.size();
    std::erase_if(next.grants, [now](const Grant& g) { return g.until <= now; });
    const bool overrides_changed = next.grants.size() != grants_before;
    changed |= overrides_changed;
    for (AccessRequest& r : next.requests) {
      if (r.status == RequestStatus::waiting && r.created + retention.waiting_request <= now) {
        r.status = RequestStatus::expired;
        r.answered = now;
        changed = true;
      }
    }
    const std::size_t requests_before = next.requests.size();
    std::erase_if(next.requests, [&](const AccessRequest& r) {
      if (r.status == RequestStatus::waiting) return false;
      const std::int64_t ended = std::max(r.answered, r.until == kAlways ? r.answered : r.until);
      return ended + retention.request <= now;
    });
    changed |= next.requests.size() != requests_before;
    for (Appeal& a : next.appeals) {
      if (a.closed() && !a.contact.empty() && a.decided + retention.contact_after_close <= now) {
        a.contact.clear();
        changed = true;
      }
    }
    const std::size_t appeals_before = next.appeals.size();
    std::erase_if(next.appeals, [&](const Appeal& a) {
      return a.closed() && a.decided + retention.closed_appeal <= now;
    });
    changed |= next.appeals.size() != appeals_before;
    if (changed) commit(std::move(next), overrides_changed);
  }
  co_return;
}

void EmbeddedCaseStore::start(
    std::function<void(std::shared_ptr<const policy::Overrides>)> changed) {
  std::lock_guard lock(mutex_);
  changed_ = std::move(changed);
  if (changed_) changed_(build_overrides(state_.grants, state_.allows, clock::now()));
}

void EmbeddedCaseStore::stop() {
  std::lock_guard lock(mutex_);
  changed_ = nullptr;
}

std::string EmbeddedCaseStore::describe() const {
  return path_.empty() ? "embedded (memory only)" : "embedded (" + path_ + ")";
}

}  // namespace shelter::proxy::cases
