// Feeds arbitrary bytes to the request-framing guard, with the default limits and small ones,
// and aborts when an invariant fails:
//  - complete: the head ends with the first CRLF CRLF, within the input and the limit, holds no
//    obs-fold, bare CR or LF, or NUL, and stays the same head whatever follows it;
//  - bad: 400, 431 or 505 with a printable one-line reason;
//  - need_more: under the limit;
// and, for every head the guard accepts, Boost.Beast (which parses what the guard lets through)
// must parse the same head without an error, end it at the same byte, and agree on whether a
// body follows: a disagreement on framing is what request smuggling is made of.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/http/head_guard.h"

namespace http = shelter::proxy::http;
namespace bhttp = boost::beast::http;

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

// Beast parses the input as the server's session does (header limit = the guard's limit), header
// only. The body limit is the server's own concern (answered 413), not framing: off here.
void check_beast_agrees(std::string_view bytes, const http::HeadCheck& check,
                        const http::HeadLimits& limits) {
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.eager(false);
  parser.header_limit(static_cast<std::uint32_t>(limits.max_head_bytes));
  parser.body_limit(boost::none);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_header_done() && used < bytes.size()) {
    const std::size_t n =
        parser.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec || n == 0) break;
  }
  if (ec == bhttp::error::need_more) return;
  require(!ec);
  require(parser.is_header_done());
  require(used == check.head_bytes);
  const bool beast_body = parser.chunked() || parser.content_length().value_or(0) > 0;
  require(beast_body == check.has_body);
}

void check_complete(std::string_view bytes, const http::HeadCheck& check,
                    const http::HeadLimits& limits) {
  require(check.head_bytes >= 4 && check.head_bytes <= bytes.size());
  require(check.head_bytes <= limits.max_head_bytes);
  const std::string_view head = bytes.substr(0, check.head_bytes);
  require(head.ends_with("\r\n\r\n"));
  require(head.find("\r\n\r\n") == check.head_bytes - 4);  // the first blank line
  require(head.find("\r\n ") == std::string_view::npos);   // no obs-fold
  require(head.find("\r\n\t") == std::string_view::npos);
  require(head.find('\0') == std::string_view::npos);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') require(i + 1 < head.size() && head[i + 1] == '\n');
    if (head[i] == '\n') require(i > 0 && head[i - 1] == '\r');
  }
  require(check.reason.empty());

  // Whatever follows the head (a body, another request, more of the same) changes nothing.
  for (std::string_view tail : {std::string_view("\r\n\r\n"), std::string_view("\0", 1),
                                std::string_view("GET / HTTP/1.1\r\n\r\n"), bytes}) {
    const std::string more = std::string(bytes) + std::string(tail);
    const http::HeadCheck again = http::check_request_head(more, limits);
    require(again.status == http::HeadStatus::complete);
    require(again.head_bytes == check.head_bytes);
    require(again.has_body == check.has_body);
  }
  // Nor does what followed it: the head alone is the same head.
  const http::HeadCheck alone = http::check_request_head(head, limits);
  require(alone.status == http::HeadStatus::complete && alone.head_bytes == check.head_bytes &&
          alone.has_body == check.has_body);
  // One byte short, it is not complete.
  require(http::check_request_head(head.substr(0, head.size() - 1), limits).status !=
          http::HeadStatus::complete);

  check_beast_agrees(bytes, check, limits);
}

void check_with(std::string_view bytes, const http::HeadLimits& limits) {
  const http::HeadCheck check = http::check_request_head(bytes, limits);
  switch (check.status) {
    case http::HeadStatus::complete:
      check_complete(bytes, check, limits);
      break;
    case http::HeadStatus::bad:
      require(check.status_code == 400 || check.status_code == 431 || check.status_code == 505);
      require(printable_line(check.reason));
      require(check.head_bytes == 0);
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
  check_with(bytes, http::HeadLimits{});
  check_with(bytes, http::HeadLimits{.max_head_bytes = 96, .max_fields = 3});
  return 0;
}
