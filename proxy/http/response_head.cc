#include "proxy/http/response_head.h"

#include <optional>

#include "proxy/http/field_syntax.h"

namespace shelter::proxy::http {
namespace {

ResponseCheck refuse(std::string reason) {
  ResponseCheck check;
  check.status = HeadStatus::bad;
  check.reason = std::move(reason);
  return check;
}

// The status line: HTTP-version SP 3DIGIT SP [ reason-phrase ] (RFC 9112 4). Returns a fault or
// nullptr.
const char* check_status_line(std::string_view line, ResponseHead& parts) {
  if (line.size() < 12 || line[8] != ' ') return "malformed status line";
  switch (syntax::parse_version(line.substr(0, 8))) {
    case syntax::Version::malformed:
      return "malformed HTTP version";
    case syntax::Version::other:
      return "HTTP version not supported";
    case syntax::Version::http10:
      parts.version_minor = 0;
      break;
    case syntax::Version::http11:
      parts.version_minor = 1;
      break;
  }
  unsigned status = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return "malformed status code";
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  // RFC 9110 15: the first digit is the class, 1 to 5; anything else is no status.
  if (status < 100 || status > 599) return "status code out of range";
  parts.status = status;
  parts.reason = {};
  // The SP before an empty reason is required, but some origins leave it out ("HTTP/1.1 200");
  // where the line ends is not in doubt, so that is accepted.
  if (line.size() == 12) return nullptr;
  if (line[12] != ' ') return "malformed status line";
  parts.reason = line.substr(13);
  if (!syntax::is_field_value(parts.reason)) return "control character in the reason phrase";
  return nullptr;
}

// What the fields said about framing and the connection, gathered over the whole head.
struct Fields {
  std::optional<std::uint64_t> content_length;
  syntax::Codings codings;
  bool close = false;
  bool keep_alive = false;
  bool odd_connection = false;  // an element that is not a token: not understood, not reused
};

const char* add_field(const syntax::FieldLine& field, Fields& fields) {
  if (syntax::iequals(field.name, "content-length")) {
    return syntax::add_content_length(field.value, fields.content_length);
  }
  if (syntax::iequals(field.name, "transfer-encoding")) {
    syntax::add_transfer_encoding(field.value, fields.codings);
  } else if (syntax::iequals(field.name, "connection")) {
    syntax::for_each_element(field.value, [&](std::string_view item) {
      if (syntax::iequals(item, "close")) fields.close = true;
      if (syntax::iequals(item, "keep-alive")) fields.keep_alive = true;
      if (!item.empty() && !syntax::is_token(item)) fields.odd_connection = true;
    });
  }
  return nullptr;
}

// RFC 9112 6.3, in its order: no body whatever the fields say; then Transfer-Encoding (chunked
// last, or the body runs to the close); then Content-Length; then to the close.
void frame(const ResponseHead& parts, bool request_method_head, const Fields& fields,
           ResponseCheck& check) {
  const unsigned status = parts.status;
  check.content_length = fields.content_length.value_or(0);
  if (request_method_head || status < 200 || status == 204 || status == 304) {
    check.framing = BodyFraming::none;
  } else if (fields.codings.present) {
    check.framing = fields.codings.chunked_last ? BodyFraming::chunked : BodyFraming::until_close;
    check.content_length = 0;
  } else if (fields.content_length) {
    check.framing = BodyFraming::length;
  } else {
    check.framing = BodyFraming::until_close;
  }
  const bool persistent =
      parts.version_minor == 1 ? !fields.close : fields.keep_alive && !fields.close;
  // After 101 the connection speaks another protocol: never back to the pool.
  check.reusable = persistent && !fields.odd_connection &&
                   check.framing != BodyFraming::until_close && status != 101;
}

}  // namespace

ResponseCheck check_response_head(std::string_view bytes, bool request_method_head,
                                  const HeadLimits& limits, ResponseHead* head) {
  ResponseHead scratch;
  ResponseHead& parts = head != nullptr ? *head : scratch;
  parts.fields.clear();
  const syntax::HeadEnd end = syntax::find_head_end(bytes, limits.max_head_bytes);
  switch (end.kind) {
    case syntax::HeadEnd::Kind::need_more:
      return {};
    case syntax::HeadEnd::Kind::too_large:
      return refuse("response head over " + std::to_string(limits.max_head_bytes) + " bytes");
    case syntax::HeadEnd::Kind::malformed:
      return refuse("bare LF line ending or NUL in the response head");
    case syntax::HeadEnd::Kind::complete:
      break;
  }
  std::string_view rest = bytes.substr(0, end.size - 2);  // every line ends with CRLF
  Fields fields;
  std::size_t count = 0;
  for (bool first = true; !rest.empty(); first = false) {
    const std::optional<std::string_view> line = syntax::take_line(rest);
    if (!line) return refuse("bare CR or LF, or NUL, in the response head");
    if (first) {
      if (const char* fault = check_status_line(*line, parts)) return refuse(fault);
      continue;
    }
    if (++count > limits.max_fields) return refuse("too many header fields");
    const syntax::FieldLine field = syntax::split_field_line(*line);
    if (field.fault != nullptr) return refuse(field.fault);
    if (head != nullptr) parts.fields.emplace_back(field.name, field.value);
    if (const char* fault = add_field(field, fields)) return refuse(fault);
  }
  const syntax::Codings& te = fields.codings;
  if (te.present && fields.content_length) {
    return refuse("both Content-Length and Transfer-Encoding");
  }
  // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  if (te.present && parts.version_minor == 0) return refuse("Transfer-Encoding in HTTP/1.0");
  // RFC 9112 6.1: chunked is applied at most once; and an empty or non-token coding is no
  // coding we could name again to the client.
  if (te.present && (te.malformed || te.chunked > 1)) {
    return refuse("a Transfer-Encoding that is not a plain list naming chunked at most once");
  }
  ResponseCheck check;
  check.status = HeadStatus::complete;
  check.head_bytes = end.size;
  frame(parts, request_method_head, fields, check);
  return check;
}

}  // namespace shelter::proxy::http
