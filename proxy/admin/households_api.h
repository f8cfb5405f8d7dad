#pragma once
// The admin API's households, devices and bindings (docs/admin-api.md): list with paging, show,
// create, replace, patch, delete a household; add, change or remove one device; issue the
// first-access code of the parents' portal. Bindings (addresses,
// prefixes, MACs, CPE-IDs) are fields of the household and its devices, so a binding moves with
// the edit that changes it, atomically. Every change is audited.

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/admin/audit.h"
#include "proxy/http/message.h"
#include "proxy/portal/account_store.h"
#include "proxy/profiles/household_store.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::admin {

struct HouseholdsApi {
  const server::RuntimeHolder& runtime;  ///< for the profiles edits are checked against
  std::shared_ptr<profiles::HouseholdStore> store;
  std::shared_ptr<AuditTrail> audit;
  /// The portal's accounts: POST .../access-code issues a first-access code (null: no portal).
  std::shared_ptr<portal::AccountStore> accounts{};
  std::int64_t access_code_lifetime = 7 * 86400;  ///< seconds
};

/// An edit's refusal with its own status (no such household or device, already exists, in
/// use): thrown inside a HouseholdEdit, answered by apply_edit.
class EditRefused : public std::runtime_error {
 public:
  EditRefused(unsigned status, const std::string& message)
      : std::runtime_error(message), status(status) {}
  unsigned status;
};

/// Runs `edit` on household `id` through the store (atomic, checked against the profiles in
/// force) and answers it: `ok_status` with {"household", "changed", "version"}, 400 with the
/// reasons, 409 for a binding taken, 503, or an EditRefused's status. Audits a change.
boost::asio::awaitable<http::Response> apply_edit(const HouseholdsApi& api, std::string id,
                                                  profiles::HouseholdEdit edit, AuditEntry audit,
                                                  unsigned ok_status);

/// `item` in place of the first of `items` that `same` matches, else added at the end (a device
/// or a household's profile PUT whole).
template <typename T, typename Same>
void replace_or_add(std::vector<T>& items, const T& item, Same same) {
  auto it = std::find_if(items.begin(), items.end(), same);
  if (it != items.end()) {
    *it = item;
  } else {
    items.push_back(item);
  }
}

/// 1 to 64 letters, digits, '.', '_' or '-': a household, device or profile name.
bool valid_name(std::string_view name);

/// A request under /v1/households (`path` split into segments) by the token named `who`.
boost::asio::awaitable<http::Response> handle_households(const http::Request& request,
                                                         const HouseholdsApi& api,
                                                         const std::vector<std::string_view>& path,
                                                         const std::string& who);

/// The household as the API shows it: {"id": ..., then the document's fields}.
boost::json::object household_view(const config::HouseholdConfig& household);

}  // namespace shelter::proxy::admin
