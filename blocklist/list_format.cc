#include "blocklist/list_format.h"

#include <array>
#include <utility>

#include "blocklist/adblock_list.h"
#include "blocklist/domain_list.h"
#include "blocklist/rpz_zone.h"
#include "blocklist/url_list.h"

namespace shelter::blocklist {
namespace {

constexpr std::array<std::pair<ListFormat, std::string_view>, 5> kFormats = {{
    {ListFormat::domains, "domains"},
    {ListFormat::hosts, "hosts"},
    {ListFormat::adblock, "adblock"},
    {ListFormat::rpz, "rpz"},
    {ListFormat::urls, "urls"},
}};

}  // namespace

std::optional<ListFormat> parse_list_format(std::string_view text) {
  for (const auto& [format, name] : kFormats) {
    if (name == text) return format;
  }
  return std::nullopt;
}

std::string_view format_name(ListFormat format) {
  for (const auto& [known, name] : kFormats) {
    if (known == format) return name;
  }
  return "unknown";
}

ParseSummary parse_rules(std::string_view text, ListFormat format, const RuleSink& sink) {
  switch (format) {
    case ListFormat::domains:
      return parse_domains(text, sink);
    case ListFormat::hosts:
      return parse_hosts(text, sink);
    case ListFormat::adblock:
      return parse_adblock(text, sink);
    case ListFormat::rpz:
      return parse_rpz(text, sink);
    case ListFormat::urls:
      return parse_url_list(text, sink);
  }
  return {};
}

}  // namespace shelter::blocklist
