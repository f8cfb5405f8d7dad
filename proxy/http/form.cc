#include "proxy/http/form.h"

#include "proxy/utf8.h"

#include <algorithm>
#include <cstdint>

namespace shelter::proxy::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` into `out`; false on a malformed escape or past `max` bytes.
bool decode(std::string_view in, std::size_t max, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int high = hex_value(in[i + 1]);
      const int low = hex_value(in[i + 2]);
      if (high < 0 || low < 0) return false;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (out.size() == max) return false;
    out += c;
  }
  return true;
}

// Control characters; a value (a message typed in a form) may hold tabs and line breaks.
bool has_control(std::string_view text, bool is_value) {
  return std::any_of(text.begin(), text.end(), [is_value](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_value && (c == '\t' || c == '\n' || c == '\r')) return false;
    return c < 0x20 || c == 0x7f;
  });
}

}  // namespace

std::optional<std::string_view> Form::get(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

FormResult parse_form(std::string_view body, const FormLimits& limits) {
  FormResult result;
  Form form;
  while (!body.empty()) {
    const std::size_t amp = std::min(body.find('&'), body.size());
    const std::string_view pair = body.substr(0, amp);
    body.remove_prefix(std::min(amp + 1, body.size()));
    if (pair.empty()) continue;
    if (form.fields.size() == limits.max_fields) {
      result.error = "more than " + std::to_string(limits.max_fields) + " fields";
      return result;
    }
    const std::size_t eq = std::min(pair.find('='), pair.size());
    std::string name;
    std::string value;
    if (!decode(pair.substr(0, eq), limits.max_name_bytes, name) ||
        !decode(eq < pair.size() ? pair.substr(eq + 1) : std::string_view(), limits.max_value_bytes,
                value)) {
      result.error = "a malformed escape or a field over its size limit";
      return result;
    }
    if (name.empty() || !is_utf8(name) || !is_utf8(value) || has_control(name, false) ||
        has_control(value, true)) {
      result.error = "a field that is not text (UTF-8 without control characters)";
      return result;
    }
    form.fields.emplace_back(std::move(name), std::move(value));
  }
  result.form = std::move(form);
  return result;
}

}  // namespace shelter::proxy::http
