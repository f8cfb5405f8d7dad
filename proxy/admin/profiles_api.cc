#include "proxy/admin/profiles_api.h"

#include <algorithm>
#include <boost/json.hpp>

#include "proxy/admin/api_reply.h"
#include "proxy/profiles/household_json.h"

namespace shelter::proxy::admin {
namespace {

namespace json = boost::json;
using profiles::HouseholdEdit;

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 500;

constexpr std::string_view kConfigured =
    "presets and operator profiles are defined in the configuration (the presets are built "
    "into shelterd, the operator's profiles are under profiles: in its configuration file): "
    "edit the file, then reload shelterd (SIGHUP, as systemctl reload shelterd does). A "
    "household's own profiles are written under /v1/households/{id}/profiles/{name}";

// {"name", "kind", then the profile's fields}.
json::object profile_view(const config::ProfileConfig& profile, std::string_view kind) {
  json::object view;
  view["name"] = profile.name;
  view["kind"] = kind;
  json::value fields = json::parse(profiles::profile_to_json(profile));
  for (auto& [key, value] : fields.as_object())
    view[key] = std::move(value);
  return view;
}

// Every profile the configuration defines, in name order: the presets, "all-lists" and the
// operator's.
std::vector<json::object> configured(const server::Runtime& runtime) {
  std::vector<json::object> out;
  for (const config::ProfileConfig& preset : config::presets().profiles)
    out.push_back(profile_view(preset, "preset"));
  out.push_back(json::object{{"name", "all-lists"},
                             {"kind", "built-in"},
                             {"about",
                              "every category of every list (the filter without "
                              "profiles)"}});
  for (const config::ProfileConfig& own : runtime.config->profiles)
    out.push_back(profile_view(own, "operator"));
  std::sort(out.begin(), out.end(), [](const json::object& a, const json::object& b) {
    return std::string_view(a.at("name").as_string()) < std::string_view(b.at("name").as_string());
  });
  return out;
}

http::Response read_only() {
  http::Response r = error_answer(405, kConfigured);
  r.set("Allow", "GET");
  return r;
}

http::Response list_configured(const http::Request& request, const server::Runtime& runtime) {
  const std::optional<std::size_t> limit = page_limit(request, kDefaultPage, kMaxPage);
  if (!limit) return error_answer(400, "limit is 1 to " + std::to_string(kMaxPage));
  const std::string after = query_value(request, "after");
  json::object body;
  json::array& items = body["profiles"].emplace_array();
  std::string next;
  for (json::object& profile : configured(runtime)) {
    const std::string_view name = profile.at("name").as_string();
    if (!after.empty() && name <= after) continue;
    if (items.size() == *limit) {
      next = std::string(items.back().as_object().at("name").as_string());
      break;
    }
    items.push_back(std::move(profile));
  }
  body["next"] = next.empty() ? json::value(nullptr) : json::value(next);
  return json_answer(200, json::serialize(body));
}

// What uses a household's profile `name`: the household, its devices, its other profiles.
std::vector<std::string> users_of(const config::HouseholdConfig& household,
                                  const std::string& name) {
  std::vector<std::string> out;
  if (household.profile == name) out.emplace_back("household " + household.id);
  for (const config::DeviceConfig& device : household.devices) {
    if (device.profile == name) out.push_back("device " + device.id);
  }
  for (const config::ProfileConfig& other : household.profiles) {
    if (other.base == name) out.push_back("profile " + other.name + " (its base)");
  }
  return out;
}

json::object own_view(const config::HouseholdConfig& household,
                      const config::ProfileConfig& profile) {
  json::object view = profile_view(profile, "household");
  view["household"] = household.id;
  json::array& used = view["used_by"].emplace_array();
  for (const std::string& user : users_of(household, profile.name))
    used.emplace_back(user);
  return view;
}

const config::ProfileConfig* own_profile(const config::HouseholdConfig& household,
                                         std::string_view name) {
  for (const config::ProfileConfig& p : household.profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// The household's own profiles (`name` empty) or one of them.
boost::asio::awaitable<http::Response> show_own(const HouseholdsApi& api, const std::string& id,
                                                const std::string& name) {
  std::optional<config::HouseholdConfig> household;
  try {
    std::string key = id;
    household = co_await api.store->get(std::move(key));
  } catch (const profiles::HouseholdStoreUnavailable& e) {
    co_return error_answer(503, e.what());
  }
  if (!household) co_return error_answer(404, "no household " + id);
  if (name.empty()) {
    json::object body;
    body["household"] = id;
    json::array& items = body["profiles"].emplace_array();
    for (const config::ProfileConfig& p : household->profiles)
      items.push_back(own_view(*household, p));
    co_return json_answer(200, json::serialize(body));
  }
  const config::ProfileConfig* found = own_profile(*household, name);
  if (found == nullptr) co_return error_answer(404, "household " + id + " has no profile " + name);
  co_return json_answer(200, json::serialize(own_view(*household, *found)));
}

boost::asio::awaitable<http::Response> put_own(const http::Request& request,
                                               const HouseholdsApi& api, const std::string& id,
                                               const std::string& name, const std::string& who) {
  std::string error;
  std::optional<json::object> body = body_object(request, error);
  if (!body) co_return error_answer(400, error);
  if (const std::string named = string_field(*body, "name"); !named.empty() && named != name) {
    co_return error_answer(400, "the body's name is " + named + ", the path's " + name);
  }
  if (api.runtime.current()->profiles->find(name) != nullptr) {
    co_return error_answer(400, "'" + name +
                                    "' is a preset or an operator profile: give the "
                                    "household's own profile another name, with base: " +
                                    name);
  }
  // What a GET shows and a PUT does not take, so that a GET's answer can be sent back.
  for (const char* key : {"name", "kind", "household", "used_by"})
    body->erase(key);
  std::vector<std::string> reasons;
  std::optional<config::ProfileConfig> given =
      profiles::profile_from_json(json::serialize(*body), id, name, reasons);
  if (!given) co_return error_answer(400, "the profile does not read", reasons);
  HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
    if (!h) throw EditRefused(404, "no household " + id);
    replace_or_add(h->profiles, *given,
                   [&](const config::ProfileConfig& p) { return p.name == name; });
    return h;
  };
  AuditEntry audit{.who = who,
                   .action = "profile.put",
                   .target = id + "/" + name,
                   .detail = given->base.empty() ? "no base" : "base " + given->base};
  co_return co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
}

boost::asio::awaitable<http::Response> delete_own(const HouseholdsApi& api, const std::string& id,
                                                  const std::string& name, const std::string& who) {
  std::vector<std::string> users;  // set by the edit's last run
  HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
    if (!h) throw EditRefused(404, "no household " + id);
    if (own_profile(*h, name) == nullptr) {
      throw EditRefused(404, "household " + id + " has no profile " + name);
    }
    users = users_of(*h, name);
    if (!users.empty()) throw EditRefused(409, "in use");
    std::erase_if(h->profiles, [&](const config::ProfileConfig& p) { return p.name == name; });
    return h;
  };
  AuditEntry audit{.who = who, .action = "profile.delete", .target = id + "/" + name};
  http::Response answer = co_await apply_edit(api, id, std::move(edit), std::move(audit), 200);
  if (answer.status != 409 || users.empty()) co_return answer;
  std::string names;
  for (const std::string& user : users)
    names += (names.empty() ? "" : ", ") + user;
  co_return error_answer(
      409, "profile " + name + " is in use (" + names + "): give them another profile first",
      users);
}

}  // namespace

boost::asio::awaitable<http::Response> handle_profiles(const http::Request& request,
                                                       const HouseholdsApi& api,
                                                       const std::vector<std::string_view>& path) {
  if (request.method != "GET") co_return read_only();
  std::shared_ptr<const server::Runtime> runtime = api.runtime.current();
  if (path.size() == 2) co_return list_configured(request, *runtime);
  if (path.size() != 3) co_return error_answer(404, "no such resource");
  for (json::object& profile : configured(*runtime)) {
    if (profile.at("name").as_string() == path[2]) {
      co_return json_answer(200, json::serialize(profile));
    }
  }
  co_return error_answer(404, "no preset or operator profile " + std::string(path[2]) +
                                  " (a household's own profiles are under "
                                  "/v1/households/{id}/profiles)");
}

boost::asio::awaitable<http::Response> handle_household_profiles(
    const http::Request& request, const HouseholdsApi& api,
    const std::vector<std::string_view>& path, const std::string& who) {
  const std::string id(path[2]);
  if (path.size() == 4) {
    if (request.method != "GET") {
      co_return error_answer(405, "use GET here; PUT or DELETE .../profiles/{name}");
    }
    const std::string all;
    co_return co_await show_own(api, id, all);
  }
  if (path.size() != 5) co_return error_answer(404, "no such resource");
  const std::string name(path[4]);
  if (!valid_name(name)) {
    co_return error_answer(400, "a profile name has 1 to 64 letters, digits, '.', '_' or '-'");
  }
  if (request.method == "GET") co_return co_await show_own(api, id, name);
  if (request.method == "PUT") co_return co_await put_own(request, api, id, name, who);
  if (request.method == "DELETE") co_return co_await delete_own(api, id, name, who);
  co_return error_answer(405, "use GET, PUT or DELETE");
}

}  // namespace shelter::proxy::admin
