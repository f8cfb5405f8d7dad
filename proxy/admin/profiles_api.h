#pragma once
// The admin API's profiles (docs/admin-api.md). Two kinds, two owners:
// - the presets compiled into shelterd, "all-lists", and the operator's profiles: defined by the
//   configuration (the operator's config management), so /v1/profiles only reads them (list with
//   paging, show) and answers a write with 405 saying how to change them (edit the file, then
//   reload shelterd with SIGHUP);
// - a household's own profiles: /v1/households/{id}/profiles, read, created or replaced and
//   deleted through the household store's edit (atomic, checked, audited like every household
//   change). A profile a device or the household still uses is not deleted (409, naming them).

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/admin/households_api.h"
#include "proxy/http/message.h"

namespace shelter::proxy::admin {

/// A request under /v1/profiles (`path` split into segments).
boost::asio::awaitable<http::Response> handle_profiles(const http::Request& request,
                                                       const HouseholdsApi& api,
                                                       const std::vector<std::string_view>& path);

/// A request under /v1/households/{id}/profiles (`path` split into segments) by `who`.
boost::asio::awaitable<http::Response> handle_household_profiles(
    const http::Request& request, const HouseholdsApi& api,
    const std::vector<std::string_view>& path, const std::string& who);

}  // namespace shelter::proxy::admin
