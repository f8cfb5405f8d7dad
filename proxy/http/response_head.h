#pragma once
// The framing guard for a response head from an origin, run by the filtering proxy before it
// re-serialises the head for its client. The proxy and the client must never disagree on where
// a response ends (response splitting, cache poisoning), so the proxy decides the framing
// itself from the origin's head and writes its own framing fields. Refused (the client gets
// 502 and the origin connection is closed):
//   - a status line that is not "HTTP/1.0" or "HTTP/1.1", a status code 100 to 599, a reason
//     (which may be empty; "HTTP/1.1 200" without the space before it is accepted);
//   - Content-Length together with Transfer-Encoding (RFC 9112 6.3 allows "TE wins", but a
//     sender of both is either broken or smuggling);
//   - Content-Length values that differ, or are not digits;
//   - Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1: faulty framing), or naming chunked more
//     than once, or with an element that is not a token;
//   - obs-fold, white space before a colon, bare CR or LF, NUL or other control bytes;
//   - a head over the size limit or with too many fields.
// Pure and I/O-free: bytes in, a verdict out (fuzzed by http_response_fuzz).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/head_guard.h"

namespace shelter::proxy::http {

/// How a response body ends (RFC 9112 6.3).
enum class BodyFraming : std::uint8_t {
  none,         ///< no body: 1xx, 204, 304, or an answer to HEAD
  length,       ///< exactly `content_length` bytes (0 included)
  chunked,      ///< chunked transfer coding, last in Transfer-Encoding
  until_close,  ///< no length: the body runs until the origin closes
};

struct ResponseHead {
  int version_minor = 1;
  unsigned status = 0;
  std::string_view reason;
  std::vector<std::pair<std::string_view, std::string_view>> fields;  ///< values trimmed
};

struct ResponseCheck {
  HeadStatus status = HeadStatus::need_more;
  std::size_t head_bytes = 0;  ///< complete: bytes of the head, the blank line included
  std::string reason;          ///< bad: one line for the log; quotes nothing from the response
  BodyFraming framing = BodyFraming::none;
  /// framing == length: the body's length. framing == none: the Content-Length the origin
  /// sent, if any (what an answer to HEAD or a 304 stands for), else 0.
  std::uint64_t content_length = 0;
  /// The origin lets the connection be reused after this response: HTTP/1.1 without
  /// "Connection: close", or HTTP/1.0 with "keep-alive"; never with until_close framing, after
  /// 101 (another protocol follows), or with a Connection element that is not a token.
  bool reusable = false;
};

/// Checks the response head at the start of `bytes` (which may hold more: body bytes).
/// `request_method_head`: the request was HEAD (no body whatever the fields say).
/// With `head`, a complete head's parts are stored there (views into `bytes`).
ResponseCheck check_response_head(std::string_view bytes, bool request_method_head,
                                  const HeadLimits& limits = {}, ResponseHead* head = nullptr);

}  // namespace shelter::proxy::http
