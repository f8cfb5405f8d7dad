#include "proxy/dns/structured_error.h"

#include "proxy/json_text.h"

namespace shelter::proxy::dns {
namespace {

constexpr std::uint16_t kOptionExtendedError = 15;  // RFC 8914

std::uint16_t u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

std::string render(const StructuredError& e, bool with_justification, bool with_organisation) {
  std::string out = "{\"c\":[";
  bool first = true;
  for (const std::string& contact : e.contacts) {
    if (!contact.starts_with("mailto:") && !contact.starts_with("tel:")) continue;
    if (!first) out += ',';
    append_json_string(out, contact);
    first = false;
  }
  if (first) return {};
  out += ']';
  if (with_justification && !e.justification.empty()) {
    out += ",\"j\":";
    append_json_string(out, e.justification);
  }
  if (e.suberror) out += ",\"s\":" + std::to_string(*e.suberror);
  if (with_organisation && !e.organisation.empty()) {
    out += ",\"o\":";
    append_json_string(out, e.organisation);
  }
  out += ",\"l\":";
  append_json_string(out, e.language);
  out += '}';
  return out;
}

}  // namespace

bool requests_structured_errors(Bytes options) {
  for (std::size_t at = 0; options.size() - at >= 4;) {
    const std::uint16_t code = u16(&options[at]);
    const std::size_t length = u16(&options[at + 2]);
    at += 4;
    if (length > options.size() - at) return false;
    if (code == kOptionExtendedError && length == 2 && u16(&options[at]) == 0) return true;
    at += length;
  }
  return false;
}

std::string structured_error_json(const StructuredError& error, std::size_t budget) {
  std::string json = render(error, true, true);
  if (json.size() > budget) json = render(error, false, true);
  if (json.size() > budget) json = render(error, false, false);
  return json;
}

}  // namespace shelter::proxy::dns
