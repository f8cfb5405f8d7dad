#include "tools/shelterctl_households.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <vector>

namespace shelter::tools::ctl {
namespace {

namespace json = boost::json;

std::string household_path(const Invocation& inv) {
  return "/v1/households/" + inv.id;
}

// "?limit=3&after=page-2" from the parameters that are set; "" when none is.
std::string query(int limit, std::string_view after) {
  std::string out;
  if (limit > 0) out += "&limit=" + std::to_string(limit);
  if (!after.empty()) out += "&after=" + percent_encode(after);
  if (!out.empty()) out[0] = '?';
  return out;
}

void put_list(json::object& body, std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  json::array& list = body[key].emplace_array();
  for (const std::string& value : values)
    list.emplace_back(value);
}

ApiCall add_call(const Invocation& inv) {
  json::object body{{"id", inv.id}};
  if (!inv.profile.empty()) body["profile"] = inv.profile;
  if (!inv.time_zone.empty()) body["time-zone"] = inv.time_zone;
  put_list(body, "addresses", inv.addresses);
  put_list(body, "macs", inv.macs);
  put_list(body, "cpe-ids", inv.cpe_ids);
  return {.method = Method::kPost, .target = "/v1/households", .body = json::serialize(body)};
}

struct Network {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  int prefix = 0;
};

// "203.0.113.7", "2001:db8::/48": the network with its host bits cleared.
std::optional<Network> parse_network(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Network net;
  if (::inet_pton(AF_INET, address.c_str(), net.bytes.data()) == 1) {
    net.family = 4;
    net.prefix = 32;
  } else if (::inet_pton(AF_INET6, address.c_str(), net.bytes.data()) == 1) {
    net.family = 6;
    net.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > net.prefix)
      return std::nullopt;
    net.prefix = prefix;
  }
  for (int i = 0; i < 16; ++i) {
    const int kept = std::clamp(net.prefix - 8 * i, 0, 8);
    net.bytes[i] &= static_cast<unsigned char>(0xFF00 >> kept);
  }
  return net;
}

std::string mac_key(std::string_view mac) {
  std::string key;
  for (char c : mac)
    if (c != ':' && c != '-' && c != '.')
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

using Same = bool (*)(std::string_view, std::string_view);

// The strings of object[key] (none when it is absent); false when it is not a list of strings.
bool strings_of(const json::object& object, std::string_view key, std::vector<std::string>& out) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return true;
  const json::array* list = value->if_array();
  if (list == nullptr) return false;
  for (const json::value& item : *list) {
    if (!item.is_string()) return false;
    out.emplace_back(item.get_string());
  }
  return true;
}

// Adds `given` to device[key] (bind) or takes it out (unbind), each binding once; an empty list
// leaves the key out, as the API does. Unbind puts what the device does not have in `missing`.
bool edit_bindings(json::object& device, std::string_view key,
                   const std::vector<std::string>& given, Same same, bool bind,
                   std::vector<std::string>& missing) {
  std::vector<std::string> values;
  if (!strings_of(device, key, values)) return false;
  std::vector<std::string> removed;
  for (const std::string& value : given) {
    auto is_it = [&](const std::string& other) { return same(other, value); };
    auto it = std::find_if(values.begin(), values.end(), is_it);
    if (bind) {
      if (it == values.end()) values.push_back(value);
    } else if (it != values.end()) {
      removed.push_back(std::move(*it));
      values.erase(it);
    } else if (std::none_of(removed.begin(), removed.end(), is_it)) {
      missing.push_back(value);
    }
  }
  if (values.empty()) {
    device.erase(key);
  } else {
    json::array list;
    for (std::string& value : values)
      list.emplace_back(std::move(value));
    device[key] = std::move(list);
  }
  return true;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values)
    out += (out.empty() ? "" : ", ") + value;
  return out;
}

ChangeCall refused(std::string error) {
  return {.call = std::nullopt, .error = std::move(error)};
}

// device bind or unbind of bindings, from the device as it is (null when it is new).
ChangeCall device_change(const Invocation& inv, const json::object* current) {
  const bool bind = inv.action == Action::kDeviceBind;
  json::object device = current != nullptr ? *current : json::object();
  std::vector<std::string> missing;
  if (!edit_bindings(device, "macs", inv.macs, same_mac, bind, missing) ||
      !edit_bindings(device, "addresses", inv.addresses, same_address, bind, missing))
    return refused("device " + inv.device + " of " + inv.id +
                   " is not what this shelterctl expects; see household show --json");
  if (!missing.empty()) {
    std::vector<std::string> has;  // missing is only filled by unbind, of a device that exists
    if (current != nullptr && strings_of(*current, "macs", has))
      strings_of(*current, "addresses", has);
    return refused("device " + inv.device + " of " + inv.id + " has no binding " + joined(missing) +
                   " (" + (has.empty() ? "it has none" : "it has " + joined(has)) + ")");
  }
  if (bind && !inv.profile.empty()) device["profile"] = inv.profile;
  return {.call = ApiCall{.method = Method::kPut,
                          .target = household_path(inv) + "/devices/" + inv.device,
                          .body = json::serialize(device)},
          .error = {}};
}

}  // namespace

ApiCall household_call(const Invocation& inv) {
  ApiCall call;
  switch (inv.action) {
    case Action::kHouseholdList:
      call.target = "/v1/households" + query(inv.limit, inv.after);
      break;
    case Action::kHouseholdAdd:
      call = add_call(inv);
      break;
    case Action::kHouseholdRemove:
      call.method = Method::kDelete;
      call.target = household_path(inv);
      break;
    case Action::kHouseholdAccessCode:
      call.method = Method::kPost;
      call.target = household_path(inv) + "/access-code";
      break;
    case Action::kDeviceUnbind:
      call.target = household_path(inv);
      if (!reads_household_first(inv)) {
        call.method = Method::kDelete;
        call.target += "/devices/" + inv.device;
      }
      break;
    case Action::kProfileSet:
      call.target = household_path(inv);
      if (!reads_household_first(inv)) {
        call.method = Method::kPatch;
        call.body = json::serialize(json::object{{"profile", inv.profile}});
      }
      break;
    case Action::kAudit:
      call.target = "/v1/audit" + query(inv.limit, "");
      break;
    case Action::kProfileList:
      call.target = inv.household.empty() ? "/v1/profiles" + query(inv.limit, inv.after)
                                          : "/v1/households/" + inv.household + "/profiles";
      break;
    case Action::kProfileShow:
      call.target = (inv.household.empty() ? std::string("/v1/profiles/")
                                           : "/v1/households/" + inv.household + "/profiles/") +
                    inv.profile;
      break;
    case Action::kProfilePut:
      call.method = Method::kPut;
      call.target = household_path(inv) + "/profiles/" + inv.profile;
      call.body = inv.body;
      break;
    case Action::kProfileRemove:
      call.method = Method::kDelete;
      call.target = household_path(inv) + "/profiles/" + inv.profile;
      break;
    default:  // household show and device bind read the household
      call.target = household_path(inv);
      break;
  }
  return call;
}

bool reads_household_first(const Invocation& inv) {
  switch (inv.action) {
    case Action::kDeviceBind:
      return true;
    case Action::kDeviceUnbind:
      return !inv.macs.empty() || !inv.addresses.empty();
    case Action::kProfileSet:
      return !inv.device.empty();
    default:
      return false;
  }
}

ChangeCall change_call(const Invocation& inv, const json::value& answer) {
  const std::string unexpected =
      "the household " + inv.id +
      " from the server is not what this shelterctl expects; see household show --json";
  const json::object* household = answer.if_object();
  if (household == nullptr) return refused(unexpected);
  const json::value* devices = household->if_contains("devices");
  if (devices != nullptr && !devices->is_object()) return refused(unexpected);
  const json::value* device =
      devices != nullptr ? devices->get_object().if_contains(inv.device) : nullptr;
  if (device != nullptr && !device->is_object()) return refused(unexpected);
  const std::string no_device = "no device " + inv.device + " in " + inv.id;
  switch (inv.action) {
    case Action::kProfileSet: {
      if (device == nullptr) return refused(no_device);
      json::object patch;
      patch["devices"].emplace_object()[inv.device].emplace_object()["profile"] = inv.profile;
      return {.call = ApiCall{.method = Method::kPatch,
                              .target = household_path(inv),
                              .body = json::serialize(patch)},
              .error = {}};
    }
    case Action::kDeviceBind:
      return device_change(inv, device != nullptr ? &device->get_object() : nullptr);
    case Action::kDeviceUnbind:
      if (device == nullptr) return refused(no_device);
      return device_change(inv, &device->get_object());
    default:
      return refused("nothing to change");
  }
}

bool same_mac(std::string_view a, std::string_view b) {
  return mac_key(a) == mac_key(b);
}

bool same_address(std::string_view a, std::string_view b) {
  std::optional<Network> x = parse_network(a);
  std::optional<Network> y = parse_network(b);
  if (!x || !y) return a == b;
  return x->family == y->family && x->prefix == y->prefix && x->bytes == y->bytes;
}

}  // namespace shelter::tools::ctl
