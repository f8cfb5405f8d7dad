#include "proxy/portal/account_store.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "proxy/fs/atomic_file.h"
#include "proxy/redis/client.h"

namespace shelter::proxy::portal {
namespace {

namespace json = boost::json;

json::object account_object(const Account& a) {
  json::object o;
  if (!a.password_hash.empty()) o["password"] = a.password_hash;
  if (a.sessions_valid_after != 0) o["sessions-valid-after"] = a.sessions_valid_after;
  if (!a.access_code_digest.empty()) {
    o["access-code"] = a.access_code_digest;
    o["access-code-expires"] = a.access_code_expires;
  }
  return o;
}

std::optional<Account> account_of(const json::value& v, const std::string& household,
                                  std::string& error) {
  if (!v.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const json::object& o = v.as_object();
  Account a;
  a.household = household;
  for (const auto& [key, value] : o) {
    if ((key == "password" || key == "access-code") && value.is_string()) {
      (key == "password" ? a.password_hash : a.access_code_digest) = value.as_string();
    } else if (key == "sessions-valid-after" && value.is_int64()) {
      a.sessions_valid_after = value.as_int64();
    } else if (key == "access-code-expires" && value.is_int64()) {
      a.access_code_expires = value.as_int64();
    } else {
      error = "unexpected field '" + std::string(key) + "'";
      return std::nullopt;
    }
  }
  return a;
}

// Every account in one JSON object, rewritten whole on each change: a box's households number
// in the hundreds at most, and a parent's sign-up is rare.
class FileAccountStore final : public AccountStore {
 public:
  explicit FileAccountStore(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    if (!in) return;  // none yet
    std::ostringstream text;
    text << in.rdbuf();
    json::error_code ec;
    json::value all = json::parse(text.str(), ec);
    if (ec || !all.is_object()) {
      throw AccountStoreUnavailable(path_ + " is not a JSON object: fix or move it");
    }
    for (const auto& [household, record] : all.as_object()) {
      std::string error;
      std::optional<Account> a = account_of(record, std::string(household), error);
      if (!a) throw AccountStoreUnavailable(path_ + ": " + std::string(household) + ": " + error);
      accounts_.emplace(a->household, std::move(*a));
    }
  }

  boost::asio::awaitable<std::optional<Account>> get(std::string household) override {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(household);
    if (it == accounts_.end()) co_return std::nullopt;
    co_return it->second;
  }

  boost::asio::awaitable<void> put(Account account) override {
    std::lock_guard lock(mutex_);
    std::map<std::string, Account, std::less<>> next = accounts_;
    next[account.household] = account;
    json::object all;
    for (const auto& [household, a] : next)
      all[household] = account_object(a);
    // Password hashes: readable by shelterd alone.
    const std::string error = fs::write_file_atomically(path_, json::serialize(all) + "\n", 0600);
    if (!error.empty()) throw AccountStoreUnavailable(error);
    accounts_ = std::move(next);
    co_return;
  }

 private:
  std::string path_;
  std::mutex mutex_;
  std::map<std::string, Account, std::less<>> accounts_;
};

class RedisAccountStore final : public AccountStore {
 public:
  RedisAccountStore(std::shared_ptr<redis::Client> client, std::string key_prefix)
      : client_(std::move(client)), key_(key_prefix + ":v1:account:") {}

  boost::asio::awaitable<std::optional<Account>> get(std::string household) override {
    const std::string key = key_ + household;
    redis::Result result = co_await client_->command("GET", key);
    const redis::Reply& reply = checked(result);
    if (reply.type != redis::ReplyType::string) co_return std::nullopt;
    json::error_code ec;
    json::value v = json::parse(reply.text, ec);
    std::string error = ec ? ec.message() : "";
    std::optional<Account> a = ec ? std::nullopt : account_of(v, household, error);
    if (!a)
      throw AccountStoreUnavailable("the account of '" + household + "' does not read: " + error);
    co_return a;
  }

  boost::asio::awaitable<void> put(Account account) override {
    const std::string key = key_ + account.household;
    const std::string text = json::serialize(account_object(account));
    redis::Result result = co_await client_->command("SET", key, text);
    checked(result);
  }

 private:
  static const redis::Reply& checked(const redis::Result& result) {
    if (!result.ok()) {
      throw AccountStoreUnavailable("redis: " + std::string(redis::to_string(result.error().kind)));
    }
    if (result.reply().is_error()) throw AccountStoreUnavailable("redis: " + result.reply().text);
    return result.reply();
  }

  std::shared_ptr<redis::Client> client_;
  std::string key_;
};

}  // namespace

std::string to_json(const Account& account) {
  return json::serialize(account_object(account));
}

std::optional<Account> account_from_json(std::string_view text, const std::string& household,
                                         std::string& error) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    error = ec.message();
    return std::nullopt;
  }
  return account_of(v, household, error);
}

std::shared_ptr<AccountStore> make_file_account_store(std::string path) {
  return std::make_shared<FileAccountStore>(std::move(path));
}

std::shared_ptr<AccountStore> make_redis_account_store(std::shared_ptr<redis::Client> client,
                                                       std::string key_prefix) {
  return std::make_shared<RedisAccountStore>(std::move(client), std::move(key_prefix));
}

}  // namespace shelter::proxy::portal
