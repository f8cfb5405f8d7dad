#include "proxy/admin/households_api.h"

#include <algorithm>

#include "proxy/admin/api_reply.h"
#include "proxy/admin/profiles_api.h"
#include "proxy/clock.h"
#include "proxy/portal/access_code.h"
#include "proxy/profiles/household_json.h"

namespace shelter::proxy::admin {
namespace {

namespace json = boost::json;
using profiles::EditOutcome;
using profiles::HouseholdEdit;

constexpr std::size_t kDefaultPage = 100;

using Refused = EditRefused;

// The body (a JSON object, "id" removed) read as a household document: every mistake with its
// key. nullopt with the reasons in `reasons`.
std::optional<config::HouseholdConfig> read_household(json::object body, const std::string& id,
                                                      std::vector<std::string>& reasons) {
  body.erase("id");
  config::HouseholdsResult parsed = profiles::household_from_json(json::serialize(body), id);
  if (!parsed.errors.empty() || parsed.households.size() != 1) {
    reasons = std::move(parsed.errors);
    if (reasons.empty()) reasons.emplace_back("the household does not read");
    return std::nullopt;
  }
  return std::move(parsed.households.front());
}

// A device's body read the way a households file reads it, under devices.<name>.
std::optional<config::DeviceConfig> read_device(json::object body, const std::string& household,
                                                const std::string& device,
                                                std::vector<std::string>& reasons) {
  body.erase("id");
  json::object wrapper;
  wrapper["devices"].emplace_object()[device] = std::move(body);
  std::optional<config::HouseholdConfig> h = read_household(std::move(wrapper), household, reasons);
  if (!h) return std::nullopt;
  if (h->devices.size() != 1) {
    reasons.emplace_back("'" + device + "' is not a valid device name");
    return std::nullopt;
  }
  return std::move(h->devices.front());
}

std::string edit_body(const EditOutcome& outcome) {
  json::object body;
  body["household"] =
      outcome.household ? json::value(household_view(*outcome.household)) : json::value(nullptr);
  body["changed"] = outcome.changed;
  body["version"] = outcome.version;
  return json::serialize(body);
}

boost::asio::awaitable<http::Response> list(const http::Request& request,
                                            const HouseholdsApi& api) {
  const std::optional<std::size_t> limit =
      page_limit(request, kDefaultPage, profiles::HouseholdStore::kMaxPage);
  if (!limit) {
    co_return error_answer(400,
                           "limit is 1 to " + std::to_string(profiles::HouseholdStore::kMaxPage));
  }
  profiles::HouseholdPage page;
  try {
    page = co_await api.store->list(query_value(request, "after"), *limit);
  } catch (const profiles::HouseholdStoreUnavailable& e) {
    co_return error_answer(503, e.what());
  }
  json::object body;
  json::array& items = body["households"].emplace_array();
  for (const config::HouseholdConfig& h : page.households)
    items.push_back(household_view(h));
  body["next"] = page.next_after.empty() ? json::value(nullptr) : json::value(page.next_after);
  co_return json_answer(200, json::serialize(body));
}

// "profile, devices.tablet.profile": which fields a patch touched (not their values).
std::string patched_keys(const json::value& patch, const std::string& prefix = "") {
  if (!patch.is_object() || patch.as_object().empty()) return prefix;
  std::string out;
  for (const auto& [key, value] : patch.as_object()) {
    const std::string path = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
    out += (out.empty() ? "" : ", ") + patched_keys(value, path);
  }
  return out;
}

std::string summary(const config::HouseholdConfig& h) {
  std::string out = "profile " + (h.profile.empty() ? std::string("(default)") : h.profile) + ", " +
                    std::to_string(h.devices.size()) + " devices";
  return out;
}

boost::asio::awaitable<http::Response> device_route(const http::Request& request,
                                                    const HouseholdsApi& api, const std::string& id,
                                                    const std::string& device,
                                                    const std::string& who) {
  if (!valid_name(device)) {
    co_return error_answer(400, "a device name has 1 to 64 letters, digits, '.', '_' or '-'");
  }
  auto missing = [&id] { return Refused(404, "no household " + id); };
  if (request.method == "DELETE") {
    HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
      if (!h) throw missing();
      auto gone = std::remove_if(h->devices.begin(), h->devices.end(),
                                 [&](const config::DeviceConfig& d) { return d.id == device; });
      if (gone == h->devices.end()) throw Refused(404, "no device " + device + " in " + id);
      h->devices.erase(gone, h->devices.end());
      return h;
    };
    AuditEntry audit{.who = who, .action = "device.delete", .target = id + "/" + device};
    co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
  }
  if (request.method != "PUT") co_return error_answer(405, "use PUT or DELETE");
  std::string error;
  std::optional<json::object> body = body_object(request, error);
  if (!body) co_return error_answer(400, error);
  std::vector<std::string> reasons;
  std::optional<config::DeviceConfig> given = read_device(std::move(*body), id, device, reasons);
  if (!given) co_return error_answer(400, "the device does not read", reasons);
  const std::string detail =
      "profile " + (given->profile.empty() ? std::string("(household's)") : given->profile);
  HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
    if (!h) throw missing();
    replace_or_add(h->devices, *given,
                   [&](const config::DeviceConfig& d) { return d.id == device; });
    return h;
  };
  AuditEntry audit{
      .who = who, .action = "device.put", .target = id + "/" + device, .detail = detail};
  co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
}

// RFC 7396: objects merge key by key, null removes a key, anything else replaces it.
void merge_patch(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  json::object& into = target.as_object();
  for (const auto& [key, value] : patch.as_object()) {
    if (value.is_null()) {
      into.erase(key);
    } else {
      merge_patch(into[key], value);
    }
  }
}

// PATCH /v1/households/{id}: a JSON merge patch of the household's document, applied inside
// the store's edit, so that it lands on the latest version (two parents' changes both count).
boost::asio::awaitable<http::Response> patch(const http::Request& request, const HouseholdsApi& api,
                                             const std::string& id, const std::string& who) {
  std::string error;
  std::optional<json::object> body = body_object(request, error);
  if (!body) co_return error_answer(400, error);
  if (body->contains("id")) co_return error_answer(400, "the id cannot be patched");
  const json::value changes(std::move(*body));
  HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> current) {
    if (!current) throw Refused(404, "no household " + id);
    json::value document = json::parse(profiles::household_to_json(*current));
    merge_patch(document, changes);
    std::vector<std::string> reasons;
    std::optional<config::HouseholdConfig> next =
        read_household(std::move(document.as_object()), id, reasons);
    if (!next) throw profiles::HouseholdRejected(std::move(reasons));
    return next;
  };
  AuditEntry audit{
      .who = who, .action = "household.patch", .target = id, .detail = patched_keys(changes)};
  co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
}

// A first-access code for the household's parents (shown once: only its digest is kept). A
// new code replaces an outstanding one; the password, if any, stays until the code is used.
boost::asio::awaitable<http::Response> issue_access_code(const HouseholdsApi& api,
                                                         const std::string& id,
                                                         const std::string& who) {
  if (!api.accounts) co_return error_answer(404, "no portal on this node (portal.listen)");
  std::optional<config::HouseholdConfig> household;
  std::optional<portal::Account> account;
  try {
    household = co_await api.store->get(id);
    if (household) account = co_await api.accounts->get(id);
  } catch (const profiles::HouseholdStoreUnavailable& e) {
    co_return error_answer(503, e.what());
  } catch (const portal::AccountStoreUnavailable& e) {
    co_return error_answer(503, e.what());
  }
  if (!household) co_return error_answer(404, "no household " + id);
  if (!account) account = portal::Account{.household = id};
  const std::string code = portal::make_access_code();
  const std::int64_t now = clock::now();
  account->access_code_digest = portal::access_code_digest(*portal::normalise_access_code(code));
  account->access_code_expires = now + api.access_code_lifetime;
  try {
    co_await api.accounts->put(*account);
  } catch (const portal::AccountStoreUnavailable& e) {
    co_return error_answer(503, e.what());
  }
  if (api.audit) {
    AuditEntry entry{.at = now, .who = who, .action = "account.access-code", .target = id};
    co_await api.audit->record(std::move(entry));
  }
  json::object body;
  body["household"] = id;
  body["code"] = code;
  body["expires"] = account->access_code_expires;
  co_return json_answer(200, json::serialize(body));
}

}  // namespace

bool valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

boost::asio::awaitable<http::Response> apply_edit(const HouseholdsApi& api, std::string id,
                                                  HouseholdEdit edit, AuditEntry audit,
                                                  unsigned ok_status) {
  std::shared_ptr<const server::Runtime> runtime = api.runtime.current();
  std::optional<http::Response> refused;
  EditOutcome outcome;
  try {
    outcome = co_await api.store->edit(std::move(id), std::move(edit), runtime->profiles);
  } catch (const profiles::HouseholdRejected& e) {
    refused = error_answer(400, "the household was not changed", e.reasons());
  } catch (const profiles::BindingTaken& e) {
    refused = error_answer(409, e.what());
  } catch (const profiles::HouseholdStoreUnavailable& e) {
    refused = error_answer(503, e.what());
  } catch (const Refused& e) {
    refused = error_answer(e.status, e.what());
  }
  if (refused) co_return std::move(*refused);
  if (outcome.changed && api.audit) {
    audit.at = clock::now();
    co_await api.audit->record(std::move(audit));
  }
  co_return json_answer(ok_status, edit_body(outcome));
}

json::object household_view(const config::HouseholdConfig& household) {
  json::object view;
  view["id"] = household.id;
  json::value document = json::parse(profiles::household_to_json(household));
  for (auto& [key, value] : document.as_object())
    view[key] = std::move(value);
  return view;
}

boost::asio::awaitable<http::Response> handle_households(const http::Request& request,
                                                         const HouseholdsApi& api,
                                                         const std::vector<std::string_view>& path,
                                                         const std::string& who) {
  if (!api.store) co_return error_answer(404, "households are not kept on this node");
  if (path.size() == 2) {
    if (request.method == "GET") co_return co_await list(request, api);
    if (request.method != "POST") co_return error_answer(405, "use GET or POST");
    std::string error;
    std::optional<json::object> body = body_object(request, error);
    if (!body) co_return error_answer(400, error);
    const std::string id = string_field(*body, "id");
    if (!valid_name(id)) {
      co_return error_answer(400, "give \"id\": 1 to 64 letters, digits, '.', '_' or '-'");
    }
    std::vector<std::string> reasons;
    std::optional<config::HouseholdConfig> given = read_household(std::move(*body), id, reasons);
    if (!given) co_return error_answer(400, "the household does not read", reasons);
    const std::string detail = summary(*given);
    HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> current) {
      if (current) throw Refused(409, "household " + id + " exists: use PUT to replace it");
      return given;
    };
    AuditEntry audit{.who = who, .action = "household.create", .target = id, .detail = detail};
    co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 201);
  }
  const std::string id(path[2]);
  if (!valid_name(id)) co_return error_answer(404, "no household " + id);
  if (path.size() >= 4 && path[3] == "profiles") {
    co_return co_await handle_household_profiles(request, api, path, who);
  }
  if (path.size() == 5 && path[3] == "devices") {
    co_return co_await device_route(request, api, id, std::string(path[4]), who);
  }
  if (path.size() == 4 && path[3] == "access-code") {
    if (request.method != "POST") co_return error_answer(405, "use POST");
    co_return co_await issue_access_code(api, id, who);
  }
  if (path.size() != 3) co_return error_answer(404, "no such resource");
  if (request.method == "GET") {
    std::optional<config::HouseholdConfig> found;
    try {
      found = co_await api.store->get(id);
    } catch (const profiles::HouseholdStoreUnavailable& e) {
      co_return error_answer(503, e.what());
    }
    if (!found) co_return error_answer(404, "no household " + id);
    co_return json_answer(200, json::serialize(household_view(*found)));
  }
  if (request.method == "DELETE") {
    HouseholdEdit edit = [&id](std::optional<config::HouseholdConfig> current) {
      if (!current) throw Refused(404, "no household " + id);
      return std::optional<config::HouseholdConfig>();
    };
    AuditEntry audit{.who = who, .action = "household.delete", .target = id};
    co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
  }
  if (request.method == "PATCH") co_return co_await patch(request, api, id, who);
  if (request.method != "PUT") co_return error_answer(405, "use GET, PUT, PATCH or DELETE");
  std::string error;
  std::optional<json::object> body = body_object(request, error);
  if (!body) co_return error_answer(400, error);
  if (const std::string named = string_field(*body, "id"); !named.empty() && named != id) {
    co_return error_answer(400, "the body's id is " + named + ", the path's " + id);
  }
  std::vector<std::string> reasons;
  std::optional<config::HouseholdConfig> given = read_household(std::move(*body), id, reasons);
  if (!given) co_return error_answer(400, "the household does not read", reasons);
  const std::string detail = summary(*given);
  HouseholdEdit edit = [&](const std::optional<config::HouseholdConfig>&) { return given; };
  AuditEntry audit{.who = who, .action = "household.replace", .target = id, .detail = detail};
  co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
}

}  // namespace shelter::proxy::admin
