#include "tools/shelterctl_format.h"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "proxy/utf8.h"
#include "tools/shelterctl_format_detail.h"

namespace shelter::tools::ctl {
namespace {

namespace json = boost::json;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// The code point at text[i] and its length in bytes; length 0 when the bytes there are not
// well-formed UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
std::size_t decode(std::string_view text, std::size_t i, char32_t& cp) {
  const std::size_t length = shelter::proxy::utf8_sequence_length(text.substr(i));
  if (length == 0) return 0;
  const auto b0 = static_cast<unsigned char>(text[i]);
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (length == 1) {
    cp = b0;
    return 1;
  }
  cp = b0 & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (at(k) & 0x3F);
  return length;
}

// Characters that steer a terminal or reorder what it shows rather than being text.
bool is_control(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string relative(std::int64_t t, std::int64_t now) {
  return t <= now ? format_age(now - t) + " ago" : "in " + format_age(t - now);
}
}  // namespace

namespace detail {

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !continuation(c); }));
}

const json::value* field(const json::object& object, std::string_view key) {
  return object.if_contains(key);
}

std::optional<std::int64_t> as_int(const json::value* value) {
  if (value == nullptr) return std::nullopt;
  if (const std::int64_t* i = value->if_int64()) return *i;
  if (const std::uint64_t* u = value->if_uint64())
    return *u > static_cast<std::uint64_t>(kAlways) ? kAlways : static_cast<std::int64_t>(*u);
  if (const double* d = value->if_double()) {
    if (*d >= 9.2e18) return kAlways;
    if (*d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(*d);
  }
  return std::nullopt;
}

// A scalar field for a table cell or summary: "?" when missing or not a string.
std::string text(const json::object& object, std::string_view key) {
  const json::value* value = field(object, key);
  if (value == nullptr || !value->is_string()) return "?";
  return terminal_safe(value->get_string());
}

std::string time_text(std::int64_t t, std::int64_t now, bool with_relative) {
  if (t == 0) return "-";
  if (t == kAlways) return "always";
  std::string out = iso8601_utc(t);
  if (with_relative) out += " (" + relative(t, now) + ")";
  return out;
}

std::string plain(const json::value& value) {
  if (const json::string* s = value.if_string()) return terminal_safe(*s);
  return terminal_safe(json::serialize(value));
}

std::string aligned(const Lines& lines) {
  std::size_t width = 0;
  for (const auto& [label, value] : lines)
    width = std::max(width, display_width(label));
  std::string out;
  for (const auto& [label, value] : lines) {
    out += label;
    out.append(width + 2 - display_width(label), ' ');
    out += value + "\n";
  }
  return out;
}

}  // namespace detail

using detail::aligned;
using detail::as_int;
using detail::display_width;
using detail::field;
using detail::kAlways;
using detail::Lines;
using detail::text;
using detail::time_text;

namespace {

std::string time_cell(const json::object& object, std::string_view key, std::int64_t now) {
  std::optional<std::int64_t> t = as_int(field(object, key));
  return t ? time_text(*t, now, false) : "?";
}

std::string age_cell(const json::object& object, std::int64_t now) {
  std::optional<std::int64_t> created = as_int(field(object, "created"));
  return created ? format_age(now - *created) : "?";
}

// The objects of `items`, newest (largest "created") first; an element that is not an object
// shows as an empty one, so every row the server sent is seen.
std::vector<const json::object*> newest_first(const json::array& items) {
  static const json::object kEmpty;
  std::vector<const json::object*> rows;
  for (const json::value& item : items)
    rows.push_back(item.is_object() ? &item.get_object() : &kEmpty);
  std::stable_sort(rows.begin(), rows.end(), [](const json::object* a, const json::object* b) {
    return as_int(field(*a, "created")).value_or(0) > as_int(field(*b, "created")).value_or(0);
  });
  return rows;
}

constexpr std::array<std::string_view, 21> kDetailOrder = {
    "id",     "status", "route",    "household", "device",     "created",         "site",
    "url",    "list",   "category", "legal",     "reporter",   "contact",         "why",
    "answer", "until",  "answered", "decided",   "decided_by", "decision_reason", "referral"};

bool is_time_key(std::string_view key) {
  return key == "created" || key == "decided" || key == "answered" || key == "at" || key == "until";
}

using Lines = std::vector<std::pair<std::string, std::string>>;

void add_detail(Lines& lines, const std::string& label, std::string_view key,
                const json::value& value, std::int64_t now);

void add_object(Lines& lines, const std::string& prefix, const json::object& object,
                std::int64_t now) {
  for (const auto& entry : object)
    add_detail(lines, prefix + terminal_safe(entry.key()), entry.key(), entry.value(), now);
}

void add_detail(Lines& lines, const std::string& label, std::string_view key,
                const json::value& value, std::int64_t now) {
  std::string shown;
  if (std::optional<std::int64_t> t = as_int(&value); t && is_time_key(key)) {
    shown = time_text(*t, now, true);
  } else if (const json::string* s = value.if_string()) {
    shown = s->empty() ? "-" : terminal_safe(*s);
  } else if (const bool* b = value.if_bool()) {
    shown = *b ? "yes" : "no";
  } else if (value.is_null()) {
    shown = "-";
  } else if (const json::object* o = value.if_object()) {
    add_object(lines, label + ".", *o, now);
    return;
  } else {
    shown = terminal_safe(json::serialize(value));
  }
  lines.emplace_back(label, std::move(shown));
}

}  // namespace

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    std::size_t length = decode(text, i, cp);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      out += ' ';
    } else if (!is_control(cp)) {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string json_for_terminal(std::string_view json_text) {
  std::string out;
  out.reserve(json_text.size());
  for (std::size_t i = 0; i < json_text.size();) {
    char32_t cp = 0;
    std::size_t length = decode(json_text, i, cp);
    if (length == 0) {
      ++i;
      continue;
    }
    if (cp == '\t' || cp == '\n' || cp == '\r' || !is_control(cp)) {
      out.append(json_text.substr(i, length));
    } else if (cp >= 0x7F) {
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(cp));
      out += escaped;
    }
    i += length;
  }
  return out;
}

std::string format_age(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::string iso8601_utc(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buffer[64];
  if (::gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return std::to_string(unix_seconds);
  return buffer;
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - display_width(row[c]), ' ');
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string appeals_table(const json::array& appeals, std::int64_t now) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "AGE", "ROUTE", "STATUS", "REPORTER", "SITE", "LIST"}};
  for (const json::object* appeal : newest_first(appeals)) {
    const json::value* legal = field(*appeal, "legal");
    const bool is_legal = legal != nullptr && legal->is_bool() && legal->get_bool();
    rows.push_back({text(*appeal, "id"), age_cell(*appeal, now), text(*appeal, "route"),
                    text(*appeal, "status"), text(*appeal, "reporter"),
                    is_legal ? "(legal list)" : text(*appeal, "site"),
                    text(*appeal, "list") + "/" + text(*appeal, "category")});
  }
  return format_table(rows);
}

std::string requests_table(const json::array& requests, std::int64_t now) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "AGE", "HOUSEHOLD", "DEVICE", "STATUS", "SITE", "UNTIL"}};
  for (const json::object* request : newest_first(requests)) {
    rows.push_back({text(*request, "id"), age_cell(*request, now), text(*request, "household"),
                    text(*request, "device"), text(*request, "status"), text(*request, "site"),
                    time_cell(*request, "until", now)});
  }
  return format_table(rows);
}

std::string details(const json::object& item, std::int64_t now) {
  Lines lines;
  for (std::string_view key : kDetailOrder)
    if (const json::value* value = field(item, key))
      add_detail(lines, std::string(key), key, *value, now);
  for (const auto& entry : item) {
    if (std::find(kDetailOrder.begin(), kDetailOrder.end(), entry.key()) != kDetailOrder.end())
      continue;
    add_detail(lines, terminal_safe(entry.key()), entry.key(), entry.value(), now);
  }
  return aligned(lines);
}

std::string decision_summary(const json::object& appeal, std::int64_t now) {
  const std::string status = text(appeal, "status");
  std::string out = "appeal " + text(appeal, "id") + " is now " + status;
  if (status == "overturned") {
    out += ": the site is allowed on every node within seconds";
  } else if (status == "upheld") {
    out += ": the site stays blocked";
  }
  out += "\n";
  const json::value* referral = field(appeal, "referral");
  if (referral != nullptr && referral->is_object()) {
    const json::object& r = referral->get_object();
    const json::value* delivered = field(r, "delivered");
    std::optional<std::int64_t> at = as_int(field(r, "at"));
    out += delivered != nullptr && delivered->is_bool() && delivered->get_bool()
               ? "referral delivered" + (at ? " " + time_text(*at, now, true) : std::string())
               : std::string("referral not delivered yet");
    if (const json::value* detail = field(r, "detail");
        detail && detail->is_string() && !detail->get_string().empty())
      out += ": " + terminal_safe(detail->get_string());
    out += "\n";
  }
  return out;
}

std::string answer_summary(const json::object& request, std::int64_t now) {
  const std::string status = text(request, "status");
  std::string out = "request " + text(request, "id") + " (" + text(request, "site") + " for " +
                    text(request, "household") + "/" + text(request, "device") + ") is now " +
                    status;
  std::optional<std::int64_t> until = as_int(field(request, "until"));
  if (status == "allowed" && until && *until == kAlways) {
    out += " always";
  } else if (status == "allowed" && until && *until != 0) {
    out += " until " + time_text(*until, now, true);
  }
  return out + "\n";
}

std::string server_error_text(int status, std::string_view reason, std::string_view body) {
  std::string message;
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  const json::value* error = object != nullptr ? object->if_contains("error") : nullptr;
  if (error != nullptr && error->is_string()) {
    message = terminal_safe(error->get_string());
  } else if (body.empty()) {
    message = "(no text)";
  } else {
    constexpr std::size_t kShown = 200;
    message = terminal_safe(body.substr(0, kShown));
    if (body.size() > kShown) message += "...";
  }
  std::string out = "the server answered " + std::to_string(status);
  if (!reason.empty()) out += " " + terminal_safe(reason);
  out += ": " + message;
  const json::value* reasons = object != nullptr ? object->if_contains("reasons") : nullptr;
  if (reasons != nullptr && reasons->is_array()) {
    for (const json::value& why : reasons->get_array())
      out += "\n  " + detail::plain(why);
  }
  switch (status) {
    case 401:
      out += "\n(check the token: SHELTER_ADMIN_TOKEN or --token-file, against shelterd's)";
      break;
    case 403:
      out += "\n(this token may not do that)";
      break;
    case 429:
      out += "\n(too many requests; try again in a moment)";
      break;
    case 503:
      out += "\n(shelterd cannot do that just now; try again shortly)";
      break;
    default:
      break;
  }
  return out;
}

}  // namespace shelter::tools::ctl
