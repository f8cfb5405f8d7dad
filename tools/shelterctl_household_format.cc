// shelterctl's output for households, devices and the audit trail (declared in
// shelterctl_format.h).
#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/shelterctl_format.h"
#include "tools/shelterctl_format_detail.h"

namespace shelter::tools::ctl {
namespace {

namespace json = boost::json;
using detail::aligned;
using detail::as_int;
using detail::field;
using detail::Lines;
using detail::list_text;
using detail::plain;
using detail::text;
using detail::text_or;
using detail::time_text;

std::size_t list_size(const json::object& object, std::string_view key) {
  const json::value* value = field(object, key);
  return value != nullptr && value->is_array() ? value->get_array().size() : 0;
}

// The object `value` is, or an empty one: every row the server sent is shown, "?" for odd ones.
const json::object& object_of(const json::value* value) {
  static const json::object kEmpty;
  return value != nullptr && value->is_object() ? value->get_object() : kEmpty;
}

const json::object& object_or_empty(const json::object& object, std::string_view key) {
  return object_of(field(object, key));
}

std::string counted(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Every binding of a household: its addresses, MACs and CPE ids, and its devices'.
std::size_t binding_count(const json::object& household) {
  std::size_t n = 0;
  auto add = [&n](const json::object& o) {
    n += list_size(o, "addresses") + list_size(o, "macs") + list_size(o, "cpe-ids");
  };
  add(household);
  for (const auto& device : object_or_empty(household, "devices"))
    add(object_of(&device.value()));
  return n;
}

// "profile under-9; macs 02:00:5e:10:00:01; paused until ...": one device on one line.
std::string device_text(const json::object& device, std::int64_t now) {
  std::string out = "profile " + text_or(device, "profile", "(household's)");
  for (const auto& entry : device) {
    const std::string_view key = entry.key();
    if (key == "profile") continue;
    out += "; ";
    if (key == "paused-until") {
      std::optional<std::int64_t> t = as_int(&entry.value());
      out += "paused until " + (t ? time_text(*t, now, true) : std::string("?"));
    } else if (entry.value().is_array()) {
      out += terminal_safe(key) + " " + list_text(device, key);
    } else {
      out += terminal_safe(key) + " " + plain(entry.value());
    }
  }
  return out;
}

// "evenings (base 9-12)": the household's own profiles.
std::vector<std::string> profile_names(const json::object& household) {
  std::vector<std::string> out;
  for (const auto& profile : object_or_empty(household, "profiles")) {
    std::string name = terminal_safe(profile.key());
    if (profile.value().is_object()) {
      const std::string base = text_or(profile.value().get_object(), "base", "");
      if (!base.empty()) name += " (base " + base + ")";
    }
    out.push_back(std::move(name));
  }
  return out;
}

// Lines under one label: the first carries it, the others leave it blank.
void add_block(Lines& lines, const std::string& label, const std::vector<std::string>& values) {
  if (values.empty()) lines.emplace_back(label, "-");
  for (std::size_t i = 0; i < values.size(); ++i)
    lines.emplace_back(i == 0 ? label : "", values[i]);
}

}  // namespace

namespace detail {

// A string field, `missing` when it is absent and "?" when it is not a string.
std::string text_or(const json::object& object, std::string_view key, std::string_view missing) {
  const json::value* value = field(object, key);
  if (value == nullptr) return std::string(missing);
  return value->is_string() ? terminal_safe(value->get_string()) : "?";
}

// A list of strings as "a, b" ("-" when empty or absent); other items as their JSON.
std::string list_text(const json::object& object, std::string_view key) {
  const json::value* value = field(object, key);
  if (value == nullptr) return "-";
  const json::array* list = value->if_array();
  if (list == nullptr) return "?";
  std::string out;
  for (const json::value& item : *list)
    out += (out.empty() ? "" : ", ") + plain(item);
  return out.empty() ? "-" : out;
}

}  // namespace detail

std::string households_table(const json::array& households) {
  std::vector<std::vector<std::string>> rows = {{"ID", "PROFILE", "DEVICES", "BINDINGS"}};
  for (const json::value& item : households) {
    const json::object& household = object_of(&item);
    rows.push_back({text(household, "id"), text_or(household, "profile", "(default)"),
                    std::to_string(object_or_empty(household, "devices").size()),
                    std::to_string(binding_count(household))});
  }
  return format_table(rows);
}

std::string next_page_hint(std::string_view next, int limit, std::string_view command) {
  std::string out = "more: shelterctl " + std::string(command) + " --after " + terminal_safe(next);
  if (limit > 0) out += " --limit " + std::to_string(limit);
  return out + "\n";
}

std::string household_summary(const json::object& household, std::int64_t now) {
  constexpr std::array<std::string_view, 9> kKnown = {"id",           "profile",   "time-zone",
                                                      "paused-until", "addresses", "macs",
                                                      "cpe-ids",      "devices",   "profiles"};
  Lines lines = {{"household", text(household, "id")},
                 {"profile", text_or(household, "profile", "(default)")},
                 {"time zone", text_or(household, "time-zone", "(default)")}};
  std::optional<std::int64_t> paused = as_int(field(household, "paused-until"));
  lines.emplace_back("paused until", field(household, "paused-until") == nullptr ? "-"
                                     : paused ? time_text(*paused, now, true)
                                              : "?");
  lines.emplace_back("addresses", list_text(household, "addresses"));
  lines.emplace_back("macs", list_text(household, "macs"));
  lines.emplace_back("cpe ids", list_text(household, "cpe-ids"));
  std::vector<std::string> devices;
  for (const auto& device : object_or_empty(household, "devices"))
    devices.push_back(
        terminal_safe(device.key()) + ": " +
        (device.value().is_object() ? device_text(device.value().get_object(), now) : "?"));
  add_block(lines, "devices", devices);
  add_block(lines, "profiles", profile_names(household));
  for (const auto& entry : household)
    if (std::find(kKnown.begin(), kKnown.end(), entry.key()) == kKnown.end())
      lines.emplace_back(terminal_safe(entry.key()), plain(entry.value()));
  return aligned(lines);
}

std::string edit_summary(const json::object& answer, std::string_view household,
                         std::string_view device, std::int64_t now) {
  const std::string h = terminal_safe(household);
  const std::string d = terminal_safe(device);
  const json::value* value = field(answer, "household");
  std::string out;
  if (value == nullptr || value->is_null()) {
    out = "household " + h + " removed";
  } else if (!value->is_object()) {
    out = "household " + h + ": ?";
  } else if (device.empty()) {
    const json::object& current = value->get_object();
    out = "household " + h + ": profile " + text_or(current, "profile", "(default)") + ", " +
          counted(object_or_empty(current, "devices").size(), "device", "devices") + ", " +
          counted(binding_count(current), "binding", "bindings");
  } else if (const json::value* found =
                 object_or_empty(value->get_object(), "devices").if_contains(device);
             found == nullptr) {
    out = "device " + d + " removed from " + h;
  } else {
    out = "device " + d + " of " + h + ": " +
          (found->is_object() ? device_text(found->get_object(), now) : std::string("?"));
  }
  const json::value* changed = field(answer, "changed");
  if (changed != nullptr && changed->is_bool() && !changed->get_bool()) out += " (nothing changed)";
  return out + "\n";
}

std::string lists_table(const json::object& status) {
  std::string out = "status " + text_or(status, "status", "?") + "\n";
  std::vector<std::vector<std::string>> rows = {
      {"LIST", "LEGAL", "ENTRIES", "LAST RESULT", "AGE", "STALE", "REASON"}};
  const json::value* lists = status.if_contains("lists");
  if (lists != nullptr && lists->is_array()) {
    for (const json::value& v : lists->get_array()) {
      if (!v.is_object()) continue;
      const json::object& l = v.get_object();
      auto flag = [&l](std::string_view key) {
        const json::value* f = l.if_contains(key);
        return f != nullptr && f->is_bool() && f->get_bool() ? std::string("yes")
                                                             : std::string("no");
      };
      auto number = [&l](std::string_view key) {
        const json::value* f = l.if_contains(key);
        return f != nullptr && f->is_int64() ? f->get_int64() : std::int64_t{0};
      };
      rows.push_back({text_or(l, "id", "?"), flag("legal"), std::to_string(number("entries")),
                      text_or(l, "last_result", "?"), format_age(number("age_seconds")),
                      flag("stale"), text_or(l, "reason", "")});
    }
  }
  return out + format_table(rows);
}

std::string explain_text(const json::object& answer) {
  auto has = [&answer](std::string_view key) {
    const json::value* v = answer.if_contains(key);
    return v != nullptr && v->is_string();
  };
  std::string who = "client " + text_or(answer, "client", "?") + ": ";
  who += has("household") ? "household " + text_or(answer, "household", "?") +
                                (has("device") ? ", device " + text_or(answer, "device", "?") : "")
                          : std::string("no household (the default profile)");
  who += ", profile " + text_or(answer, "profile", "?") + "\n";
  std::string what = text_or(answer, "site", "?") + text_or(answer, "path", "") + ": " +
                     text_or(answer, "verdict", "?") + " (" + text_or(answer, "reason", "?");
  if (has("list")) {
    const json::value* legal = answer.if_contains("legal");
    const bool is_legal = legal != nullptr && legal->is_bool() && legal->get_bool();
    what += ": " + std::string(is_legal ? "legal list " : "list ") + text_or(answer, "list", "?") +
            ", category " + text_or(answer, "category", "?") + ", rule " +
            text_or(answer, "rule", "?");
  }
  return who + what + ")\n";
}

std::string self_test_text(const json::object& report) {
  const json::value* passed = report.if_contains("passed");
  const bool ok = passed != nullptr && passed->is_bool() && passed->get_bool();
  const json::value* at = report.if_contains("at");
  std::string out = "self-test on " + text_or(report, "node", "?") + " at " +
                    iso8601_utc(at != nullptr && at->is_int64() ? at->get_int64() : 0) + ": " +
                    (ok ? "PASSED" : "FAILED") + " (client " + text_or(report, "client", "?") +
                    ")\n";
  std::vector<std::vector<std::string>> rows = {{"SUBJECT", "EXPECT", "GOT", "LIST", "RESULT"}};
  if (const json::value* checks = report.if_contains("checks"); checks && checks->is_array()) {
    for (const json::value& v : checks->get_array()) {
      if (!v.is_object()) continue;
      const json::object& c = v.get_object();
      const json::value* pass = c.if_contains("pass");
      rows.push_back({text_or(c, "subject", "?"), text_or(c, "expect", "?"),
                      text_or(c, "verdict", text_or(c, "error", "?")), text_or(c, "list", ""),
                      pass != nullptr && pass->is_bool() && pass->get_bool() ? "pass" : "FAIL"});
    }
  }
  return out + format_table(rows) + "signature " + text_or(report, "signature", "?") + "\n";
}

std::string access_code_text(const json::object& answer, std::int64_t now) {
  const std::string household = text_or(answer, "household", "?");
  const std::string code = text_or(answer, "code", "?");
  const json::value* expires = answer.if_contains("expires");
  const std::int64_t until = expires != nullptr && expires->is_int64() ? expires->as_int64() : 0;
  return "first-access code for " + household + ": " + code + "\n" + "valid until " +
         iso8601_utc(until) + " (" + format_age(until - now) +
         "), once: the parent signs in at the portal's /first-access page with the household ID " +
         "and this code, then chooses a password\n";
}

std::string audit_table(const json::array& entries) {
  std::vector<std::vector<std::string>> rows = {{"WHEN", "WHO", "ACTION", "TARGET", "DETAIL"}};
  for (const json::value& item : entries) {
    const json::object& entry = object_of(&item);
    std::optional<std::int64_t> at = as_int(field(entry, "at"));
    rows.push_back({at ? iso8601_utc(*at) : "?", text(entry, "who"), text(entry, "action"),
                    text(entry, "target"), text_or(entry, "detail", "")});
  }
  return format_table(rows);
}

}  // namespace shelter::tools::ctl
