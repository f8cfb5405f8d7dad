// shelterctl report: the transparency report (GET /v1/transparency) as text.
#include <boost/json/value.hpp>
#include <cstdio>
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
using detail::plain;
using detail::text;

const json::object& object_at(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  const json::value* v = field(o, key);
  return v != nullptr && v->is_object() ? v->get_object() : kEmpty;
}

std::string number(const json::object& o, std::string_view key) {
  const json::value* v = field(o, key);
  return v == nullptr || v->is_null() ? "-" : plain(*v);
}

// A share (0 to 1) as a percentage.
std::string percent(const json::object& o, std::string_view key) {
  const json::value* v = field(o, key);
  if (v == nullptr || !(v->is_double() || v->is_int64() || v->is_uint64())) return "-";
  char b[16];
  std::snprintf(b, sizeof b, "%.0f%%", v->to_number<double>() * 100.0);
  return b;
}

// A wait in seconds, and the same in hours when that reads better.
std::string wait(const json::object& durations, std::string_view key) {
  const std::optional<std::int64_t> s = as_int(field(durations, key));
  if (!s) return "-";
  std::string out = std::to_string(*s) + " s";
  if (*s >= 3600) out += " (" + std::to_string((*s + 1800) / 3600) + " h)";
  return out;
}

std::string appeals_text(const json::object& a) {
  const json::object& times = object_at(a, "time_to_decision");
  Lines lines{{"received", number(a, "received")}};
  for (const auto& [route, n] : object_at(a, "by_route"))
    lines.emplace_back("  by " + std::string(route), plain(n));
  for (const char* key : {"upheld", "overturned", "referred", "open"})
    lines.emplace_back(key, number(a, key));
  lines.emplace_back("unresolved", percent(a, "unresolved_share"));
  lines.emplace_back("decided", number(times, "count"));
  lines.emplace_back("median to decision", wait(times, "median_seconds"));
  lines.emplace_back("p90 to decision", wait(times, "p90_seconds"));
  return "appeals\n" + aligned(lines);
}

std::string requests_text(const json::object& q) {
  const json::object& times = object_at(q, "time_to_answer");
  Lines lines;
  for (const char* key : {"received", "granted", "kept_blocked", "expired", "waiting"})
    lines.emplace_back(key, number(q, key));
  lines.emplace_back("unresolved", percent(q, "unresolved_share"));
  lines.emplace_back("answered", number(times, "count"));
  lines.emplace_back("median to answer", wait(times, "median_seconds"));
  lines.emplace_back("p90 to answer", wait(times, "p90_seconds"));
  return "access requests\n" + aligned(lines);
}

}  // namespace

std::string report_text(const json::object& report) {
  const json::object& period = object_at(report, "period");
  const json::value* complete = field(report, "complete");
  std::string out = "transparency report " + text(period, "from") + " to " + text(period, "to") +
                    " (" + number(period, "days") + " days, UTC)";
  if (complete != nullptr && complete->is_bool() && !complete->get_bool())
    out += ": INCOMPLETE (older than cases.retention keeps)";
  out += "\n\n";
  const json::object& blocks = object_at(report, "blocks");
  std::vector<std::vector<std::string>> rows = {{"LIST", "CATEGORY", "LEGAL", "BLOCKS"}};
  if (const json::value* sources = field(blocks, "sources"); sources && sources->is_array()) {
    for (const json::value& v : sources->get_array()) {
      if (!v.is_object()) continue;
      const json::object& s = v.get_object();
      const json::value* legal = field(s, "legal");
      rows.push_back({text(s, "list"), text(s, "category"),
                      legal != nullptr && legal->is_bool() && legal->get_bool() ? "yes" : "",
                      number(s, "blocks")});
    }
  }
  rows.push_back({"(all)", "", "", number(blocks, "total")});
  out += format_table(rows) + "\n";
  out += appeals_text(object_at(report, "appeals")) + "\n";
  out += requests_text(object_at(report, "requests"));
  return out;
}

}  // namespace shelter::tools::ctl
