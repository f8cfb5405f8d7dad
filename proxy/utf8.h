#pragma once
// Well-formed UTF-8, one sequence at a time: the rule the form parser, the log's JSON lines and
// shelterctl's terminal output share. Header-only, like json_text.h, so that libraries that do
// not link each other use the same check.

#include <cstddef>
#include <string_view>

namespace shelter::proxy {

/// The length in bytes of the well-formed UTF-8 sequence at the start of `s` (1 for ASCII), or
/// 0 when there is none: a stray continuation byte, a cut sequence, an overlong form, a
/// surrogate or a value past U+10FFFF.
inline std::size_t utf8_sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
  }
  return length;
}

}  // namespace shelter::proxy
