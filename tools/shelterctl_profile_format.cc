// shelterctl's output for profiles (declared in shelterctl_format.h).
#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "tools/shelterctl_format.h"
#include "tools/shelterctl_format_detail.h"

namespace shelter::tools::ctl {
namespace {

namespace json = boost::json;
using detail::aligned;
using detail::field;
using detail::Lines;
using detail::list_text;
using detail::plain;
using detail::text_or;

// "+3 -1": the categories a profile blocks and unblocks beyond its base ("-" for none).
std::string categories_text(const json::object& profile) {
  auto count = [&profile](std::string_view key) {
    const json::value* value = field(profile, key);
    return value != nullptr && value->is_array() ? value->get_array().size() : 0;
  };
  const std::size_t block = count("block");
  const std::size_t unblock = count("unblock");
  if (block == 0 && unblock == 0) return "-";
  std::string out;
  if (block > 0) out += "+" + std::to_string(block);
  if (unblock > 0) out += (out.empty() ? "-" : " -") + std::to_string(unblock);
  return out;
}

}  // namespace

std::string profiles_table(const json::array& profiles) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "BASE", "CATEGORIES", "USED BY"}};
  static const json::object kEmpty;
  for (const json::value& item : profiles) {
    const json::object& profile = item.is_object() ? item.get_object() : kEmpty;
    rows.push_back({text_or(profile, "name", "?"), text_or(profile, "kind", "?"),
                    text_or(profile, "base", "-"), categories_text(profile),
                    list_text(profile, "used_by")});
  }
  return format_table(rows);
}

std::string profile_summary(const json::object& profile) {
  constexpr std::array<std::string_view, 6> kHeader = {"name", "kind",  "household",
                                                       "base", "about", "used_by"};
  Lines lines = {{"profile", text_or(profile, "name", "?")},
                 {"kind", text_or(profile, "kind", "?")}};
  if (field(profile, "household") != nullptr) {
    lines.emplace_back("household", text_or(profile, "household", "?"));
  }
  lines.emplace_back("base", text_or(profile, "base", "-"));
  if (field(profile, "about") != nullptr)
    lines.emplace_back("about", text_or(profile, "about", ""));
  for (const auto& entry : profile) {
    if (std::find(kHeader.begin(), kHeader.end(), entry.key()) != kHeader.end()) continue;
    lines.emplace_back(terminal_safe(entry.key()), entry.value().is_array()
                                                       ? list_text(profile, entry.key())
                                                       : plain(entry.value()));
  }
  if (field(profile, "used_by") != nullptr)
    lines.emplace_back("used by", list_text(profile, "used_by"));
  return aligned(lines);
}

}  // namespace shelter::tools::ctl
