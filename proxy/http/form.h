#pragma once
// application/x-www-form-urlencoded bodies (the appeal form, "ask my parent", the portal) and
// query strings: names and values percent-decoded and checked to be UTF-8 without control
// characters, within limits. Pure and I/O-free (fuzzed by http_form_fuzz).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shelter::proxy::http {

struct FormLimits {
  std::size_t max_fields = 32;
  std::size_t max_name_bytes = 64;
  std::size_t max_value_bytes = 8192;  ///< decoded
};

struct Form {
  std::vector<std::pair<std::string, std::string>> fields;  ///< in order, repeats kept

  /// The first value of `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const;
};

struct FormResult {
  std::optional<Form> form;  ///< nullopt when the body is refused
  std::string error;         ///< why; quotes nothing from the body
};

/// Decodes `body`. '+' is a space; "%XY" a byte; a malformed escape, invalid UTF-8, a control
/// character other than tab, CR and LF in a value, or a limit passed refuses the whole form.
FormResult parse_form(std::string_view body, const FormLimits& limits = {});

/// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_utf8(std::string_view text);

}  // namespace shelter::proxy::http
