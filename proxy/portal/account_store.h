#pragma once
// The portal's accounts, one per household: the password's hash, when sessions were last
// revoked (sign-out, a new password), and the first-access code the operator issued (as a
// digest, with its expiry). Kept apart from the household document, which every node reads for
// every query and which must not carry secrets. Two stores, as for households: a file in the
// state directory (0600, rewritten atomically) and Redis (`<prefix>:v1:account:<household>`).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace shelter::proxy::redis {
class Client;
}

namespace shelter::proxy::portal {

struct Account {
  std::string household{};
  std::string password_hash{};            ///< "" : no password yet (first access pending)
  std::int64_t sessions_valid_after = 0;  ///< sessions issued before this are void
  std::string access_code_digest{};       ///< "" : no code outstanding
  std::int64_t access_code_expires = 0;
  bool operator==(const Account&) const = default;
};

std::string to_json(const Account& account);
/// nullopt, with `error`, when the text is not an account record.
std::optional<Account> account_from_json(std::string_view text, const std::string& household,
                                         std::string& error);

class AccountStoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  virtual boost::asio::awaitable<std::optional<Account>> get(std::string household) = 0;
  /// Writes the account (replacing the household's). Throws AccountStoreUnavailable.
  virtual boost::asio::awaitable<void> put(Account account) = 0;
};

/// "<state-directory>/portal-accounts.json". Throws AccountStoreUnavailable when the file exists
/// and does not read (never a silent reset of parents' passwords).
std::shared_ptr<AccountStore> make_file_account_store(std::string path);
/// Accounts in Redis, through `client` (awaited on its executor).
std::shared_ptr<AccountStore> make_redis_account_store(std::shared_ptr<redis::Client> client,
                                                       std::string key_prefix);

}  // namespace shelter::proxy::portal
