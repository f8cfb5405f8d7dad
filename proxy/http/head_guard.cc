#include "proxy/http/head_guard.h"

#include <algorithm>
#include <optional>

#include "proxy/http/field_syntax.h"

namespace shelter::proxy::http {
namespace {

using syntax::is_token;

HeadCheck refuse(unsigned code, std::string reason) {
  HeadCheck check;
  check.status = HeadStatus::bad;
  check.status_code = code;
  check.reason = std::move(reason);
  return check;
}

// The request line: method SP target SP HTTP/1.x. Returns the minor version, or a refusal.
std::optional<HeadCheck> check_request_line(std::string_view line, int& minor, RequestHead* out) {
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos) return refuse(400, "malformed request line");
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_token(method)) return refuse(400, "malformed method");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      })) {
    return refuse(400, "malformed request target");
  }
  switch (syntax::parse_version(version)) {
    case syntax::Version::malformed:
      return refuse(400, "malformed HTTP version");
    case syntax::Version::other:
      return refuse(505, "HTTP version not supported");
    case syntax::Version::http10:
      minor = 0;
      break;
    case syntax::Version::http11:
      minor = 1;
      break;
  }
  if (out != nullptr) {
    out->method = method;
    out->target = target;
    out->version_minor = minor;
  }
  return std::nullopt;
}

// What the framing fields said, gathered over the whole head.
struct Framing {
  std::optional<std::uint64_t> content_length;
  syntax::Codings codings;
  int hosts = 0;
};

std::optional<HeadCheck> check_field(std::string_view line, Framing& framing, RequestHead* out) {
  const syntax::FieldLine field = syntax::split_field_line(line);
  if (field.fault != nullptr) return refuse(400, field.fault);
  if (out != nullptr) out->fields.emplace_back(field.name, field.value);
  if (syntax::iequals(field.name, "content-length")) {
    const char* fault = syntax::add_content_length(field.value, framing.content_length);
    if (fault != nullptr) return refuse(400, fault);
  }
  if (syntax::iequals(field.name, "transfer-encoding")) {
    syntax::add_transfer_encoding(field.value, framing.codings);
  }
  // Whether the connection stays open is framing too: a list of tokens, as Beast reads it.
  if ((syntax::iequals(field.name, "connection") ||
       syntax::iequals(field.name, "proxy-connection")) &&
      !syntax::is_token_list(field.value)) {
    return refuse(400, "a Connection header that is not a list of tokens");
  }
  if (syntax::iequals(field.name, "host")) ++framing.hosts;
  return std::nullopt;
}

}  // namespace

HeadCheck check_request_head(std::string_view bytes, const HeadLimits& limits, RequestHead* out) {
  if (out != nullptr) out->fields.clear();
  const syntax::HeadEnd end = syntax::find_head_end(bytes, limits.max_head_bytes);
  switch (end.kind) {
    case syntax::HeadEnd::Kind::need_more:
      return {};
    case syntax::HeadEnd::Kind::too_large:
      return refuse(431, "request head over " + std::to_string(limits.max_head_bytes) + " bytes");
    case syntax::HeadEnd::Kind::malformed:
      return refuse(400, "bare LF line ending or NUL in the request head");
    case syntax::HeadEnd::Kind::complete:
      break;
  }
  std::string_view head = bytes.substr(0, end.size - 2);  // every line ends with CRLF
  Framing framing;
  int minor = 1;
  std::size_t fields = 0;
  for (bool first = true; !head.empty(); first = false) {
    const std::optional<std::string_view> line = syntax::take_line(head);
    if (!line) return refuse(400, "bare CR or LF, or NUL, in the request head");
    if (first) {
      if (auto bad = check_request_line(*line, minor, out)) return *bad;
      continue;
    }
    if (line->empty()) return refuse(400, "empty header line");
    if (++fields > limits.max_fields) return refuse(431, "too many header fields");
    if (auto bad = check_field(*line, framing, out)) return *bad;
  }
  const syntax::Codings& te = framing.codings;
  if (te.present && framing.content_length) {
    return refuse(400, "both Content-Length and Transfer-Encoding");
  }
  if (te.present && minor == 0) return refuse(400, "Transfer-Encoding in HTTP/1.0");
  // Beast (1.81) reads a chunked body only when "chunked" is named once, last, and the list is
  // plain tokens; anything else it reads as no body. Where the two could disagree on where a
  // request ends, the guard refuses.
  if (te.present && (te.malformed || te.chunked != 1)) {
    return refuse(400, "a Transfer-Encoding that is not a plain list naming chunked once");
  }
  if (te.present && !te.chunked_last) {
    return refuse(400, "Transfer-Encoding that does not end in chunked");
  }
  if (framing.hosts > 1) return refuse(400, "more than one Host header");
  if (minor == 1 && framing.hosts == 0) return refuse(400, "no Host header");
  HeadCheck check;
  check.status = HeadStatus::complete;
  check.head_bytes = end.size;
  check.has_body = te.present || (framing.content_length && *framing.content_length > 0);
  check.chunked = te.present;
  check.content_length = framing.content_length.value_or(0);
  return check;
}

}  // namespace shelter::proxy::http
