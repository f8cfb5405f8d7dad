#pragma once
// The admin API's households, devices and bindings (docs/admin-api.md): list with paging, show,
// create, replace, patch, delete a household; add, change or remove one device; issue the
// first-access code of the parents' portal. Bindings (addresses,
// prefixes, MACs, CPE-IDs) are fields of the household and its devices, so a binding moves with
// the edit that changes it, atomically. Every change is audited.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
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

/// A request under /v1/households (`path` split into segments) by the token named `who`.
boost::asio::awaitable<http::Response> handle_households(const http::Request& request,
                                                         const HouseholdsApi& api,
                                                         const std::vector<std::string_view>& path,
                                                         const std::string& who);

/// The household as the API shows it: {"id": ..., then the document's fields}.
boost::json::object household_view(const config::HouseholdConfig& household);

}  // namespace shelter::proxy::admin
