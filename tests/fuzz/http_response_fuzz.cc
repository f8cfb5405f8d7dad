// Feeds arbitrary bytes to the response-head framing guard, as an answer to GET and to HEAD, with
// the default limits and small ones, and aborts when an invariant fails:
//  - complete: the head ends with the first CRLF CRLF, within the input and the limit, holds no
//    obs-fold, bare CR or LF, or NUL, and stays the same head (same framing) whatever follows it
//    and whatever was after it; its parts are views into it; a body with no length is never
//    reusable, and an answer to HEAD, a 1xx, 204 or 304 never has a body;
//  - bad: a printable one-line reason, never reusable;
//  - need_more: under the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/http/response_head.h"

namespace http = shelter::proxy::http;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

bool printable_line(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return !s.empty();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool same(const http::ResponseCheck& a, const http::ResponseCheck& b) {
  return a.status == b.status && a.head_bytes == b.head_bytes && a.framing == b.framing &&
         a.content_length == b.content_length && a.reusable == b.reusable;
}

void check_complete(std::string_view bytes, bool method_head, const http::ResponseCheck& check,
                    const http::ResponseHead& parts, const http::HeadLimits& limits) {
  require(check.head_bytes >= 4 && check.head_bytes <= bytes.size());
  require(check.head_bytes <= limits.max_head_bytes);
  const std::string_view head = bytes.substr(0, check.head_bytes);
  require(head.ends_with("\r\n\r\n"));
  require(head.find("\r\n\r\n") == check.head_bytes - 4);
  require(head.find("\r\n ") == std::string_view::npos);
  require(head.find("\r\n\t") == std::string_view::npos);
  require(head.find('\0') == std::string_view::npos);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') require(i + 1 < head.size() && head[i + 1] == '\n');
    if (head[i] == '\n') require(i > 0 && head[i - 1] == '\r');
  }
  require(check.reason.empty());
  require(head.starts_with("HTTP/1.0 ") || head.starts_with("HTTP/1.1 "));
  require(parts.status >= 100 && parts.status <= 599);
  require(parts.version_minor == (head[7] - '0'));
  require(parts.fields.size() <= limits.max_fields);
  require(inside(parts.reason, head));
  for (const auto& [name, value] : parts.fields) {
    require(!name.empty() && inside(name, head) && inside(value, head));
  }

  const unsigned s = parts.status;
  if (method_head || s < 200 || s == 204 || s == 304) {
    require(check.framing == http::BodyFraming::none);
  } else {
    require(check.framing != http::BodyFraming::none);
  }
  if (check.framing == http::BodyFraming::until_close) require(!check.reusable);
  if (check.framing != http::BodyFraming::length && check.framing != http::BodyFraming::none) {
    require(check.content_length == 0);
  }

  // Whatever follows the head changes nothing; nor does what followed it.
  for (std::string_view tail : {std::string_view("\r\n\r\n"), std::string_view("\0", 1),
                                std::string_view("HTTP/1.1 200 OK\r\n\r\n"), bytes}) {
    std::string more(bytes);
    more.append(tail);
    require(same(http::check_response_head(more, method_head, limits), check));
  }
  require(same(http::check_response_head(head, method_head, limits), check));
  require(http::check_response_head(head.substr(0, head.size() - 1), method_head, limits).status !=
          http::HeadStatus::complete);
}

void check_with(std::string_view bytes, bool method_head, const http::HeadLimits& limits) {
  http::ResponseHead parts;
  const http::ResponseCheck check = http::check_response_head(bytes, method_head, limits, &parts);
  // Asking for the parts changes nothing.
  require(same(http::check_response_head(bytes, method_head, limits), check));
  switch (check.status) {
    case http::HeadStatus::complete:
      check_complete(bytes, method_head, check, parts, limits);
      break;
    case http::HeadStatus::bad:
      require(printable_line(check.reason));
      require(check.head_bytes == 0);
      require(!check.reusable);
      break;
    case http::HeadStatus::need_more:
      require(bytes.size() < limits.max_head_bytes);
      require(bytes.find("\r\n\r\n") == std::string_view::npos);
      require(check.head_bytes == 0);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (bool method_head : {false, true}) {
    check_with(bytes, method_head, http::HeadLimits{});
    check_with(bytes, method_head, http::HeadLimits{.max_head_bytes = 96, .max_fields = 3});
  }
  return 0;
}
