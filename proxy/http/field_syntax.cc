#include "proxy/http/field_syntax.h"

namespace shelter::proxy::http::syntax {

Version parse_version(std::string_view v) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (v.size() != 8 || !v.starts_with("HTTP/") || !digit(v[5]) || v[6] != '.' || !digit(v[7])) {
    return Version::malformed;
  }
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return Version::other;
  return v[7] == '0' ? Version::http10 : Version::http11;
}

bool is_token_list(std::string_view value) {
  bool tokens = true;
  for_each_element(
      value, [&](std::string_view item) { tokens = tokens && (item.empty() || is_token(item)); });
  return tokens;
}

HeadEnd find_head_end(std::string_view bytes, std::size_t max_head_bytes) {
  const std::size_t end = bytes.find("\r\n\r\n");
  if (end != std::string_view::npos) {
    if (end + 4 > max_head_bytes) return {HeadEnd::Kind::too_large, 0};
    return {HeadEnd::Kind::complete, end + 4};
  }
  if (bytes.size() >= max_head_bytes) return {HeadEnd::Kind::too_large, 0};
  // A head framed by bare LFs would never complete; say so now rather than at the deadline.
  if (bytes.find("\n\n") != std::string_view::npos || bytes.find('\0') != std::string_view::npos) {
    return {HeadEnd::Kind::malformed, 0};
  }
  return {};
}

std::optional<std::string_view> take_line(std::string_view& rest) {
  const std::size_t eol = rest.find("\r\n");
  const std::string_view line = rest.substr(0, eol);
  rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
  if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return std::nullopt;
  }
  return line;
}

FieldLine split_field_line(std::string_view line) {
  FieldLine out;
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    out.fault = "obs-fold (a header line continued on the next)";
    return out;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    out.fault = "header line without a colon";
    return out;
  }
  out.name = line.substr(0, colon);
  if (!is_token(out.name)) {
    out.fault = out.name.empty() || out.name.back() == ' ' || out.name.back() == '\t'
                    ? "white space before a header's colon"
                    : "malformed header name";
    return out;
  }
  out.value = trim(line.substr(colon + 1));
  if (!is_field_value(out.value)) out.fault = "control character in a header value";
  return out;
}

const char* add_content_length(std::string_view value, std::optional<std::uint64_t>& length) {
  const char* fault = nullptr;
  for_each_element(value, [&](std::string_view item) {
    if (fault != nullptr) return;
    // 18 digits at most: no overflow, and far beyond any body we would relay.
    if (item.empty() || item.size() > 18 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      fault = "malformed Content-Length";
      return;
    }
    std::uint64_t n = 0;
    for (char c : item)
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (length && *length != n) {
      fault = "differing Content-Length values";
      return;
    }
    length = n;
  });
  return fault;
}

void add_transfer_encoding(std::string_view value, Codings& codings) {
  codings.present = true;
  for_each_element(value, [&](std::string_view coding) {
    if (!is_token(coding)) codings.malformed = true;
    codings.chunked_last = iequals(coding, "chunked");
    if (codings.chunked_last) ++codings.chunked;
  });
}

}  // namespace shelter::proxy::http::syntax
