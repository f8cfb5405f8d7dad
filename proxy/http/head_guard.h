#pragma once
// The request-framing guard every web listener runs on the raw bytes of a request head before
// Boost.Beast parses it. Debian's Beast (Boost 1.81) predates upstream's 2026 framing fixes,
// and a front that disagrees with a backend or a cache about where a request ends is how
// request smuggling starts, so anything ambiguous is refused with 400 and a closed connection:
//   - Content-Length together with Transfer-Encoding;
//   - Content-Length values (repeated fields or a list) that differ, or are not digits;
//   - a Transfer-Encoding whose last coding is not chunked, or any in HTTP/1.0;
//   - obs-fold (a header line starting with white space), white space before a colon;
//   - bare CR or LF, NUL or other control bytes in the head;
//   - a missing or repeated Host in HTTP/1.1; an HTTP version other than 1.0 and 1.1;
//   - a head over the size limit (431) or with too many fields.
// Pure and I/O-free: bytes in, a verdict out (fuzzed by http_head_fuzz).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shelter::proxy::http {

enum class HeadStatus : std::uint8_t {
  need_more,  ///< no blank line yet, and under the limit: read more
  complete,   ///< a well-framed head of `head_bytes` bytes (the blank line included)
  bad,        ///< refuse with `status_code` and close
};

struct HeadLimits {
  std::size_t max_head_bytes = 8192;
  std::size_t max_fields = 64;
};

struct HeadCheck {
  HeadStatus status = HeadStatus::need_more;
  std::size_t head_bytes = 0;
  unsigned status_code = 400;        ///< bad: 400, 431 (too large) or 505 (HTTP version)
  std::string reason;                ///< bad: one line for the log; quotes nothing from the request
  bool has_body = false;             ///< complete: Content-Length > 0 or chunked
  bool chunked = false;              ///< complete: the body is chunked
  std::uint64_t content_length = 0;  ///< complete, not chunked: the body's length (0: none)
};

/// A head the guard found well framed, as views into the checked bytes: what a request without
/// a body needs, so that only requests with one go through Beast's parser.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  int version_minor = 1;
  std::vector<std::pair<std::string_view, std::string_view>> fields;  ///< values trimmed
};

/// Checks the head at the start of `bytes` (which may hold more: a body, pipelined requests).
/// With `head`, a complete head's parts are stored there too.
HeadCheck check_request_head(std::string_view bytes, const HeadLimits& limits = {},
                             RequestHead* head = nullptr);

}  // namespace shelter::proxy::http
