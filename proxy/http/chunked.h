#pragma once
// The chunked transfer coding (RFC 9112 7.1), decoded as a stream: the filtering proxy reads a
// chunked body from one side and writes it, re-framed by itself, to the other, without holding
// the body. Strict where a lenient decoder elsewhere might disagree about where the body ends:
// a chunk size of hex digits only (at most 16, no overflow), CRLF line ends (no bare LF or CR),
// extensions and trailer fields accepted but dropped, within limits.
// Pure and I/O-free (fuzzed by http_chunked_fuzz).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shelter::proxy::http {

class ChunkedDecoder {
 public:
  enum class State : std::uint8_t {
    more,  ///< feed more bytes
    done,  ///< the last chunk and the trailer section have been read
    bad,   ///< malformed: stop, and close both connections
  };
  struct Step {
    std::size_t consumed = 0;  ///< bytes of the input used by this step
    std::string_view data;     ///< body bytes found (a view into the input; may be empty)
    State state = State::more;
  };

  /// Decodes from the start of `input`. Each call returns at most one run of body bytes; call
  /// again with the rest of the input until it is used up or the state is not `more`. Bytes
  /// after the body (a pipelined message) are left unconsumed once `done`.
  Step feed(std::string_view input);

  State state() const { return state_; }
  /// A short description of why the body is malformed (state() == bad); quotes nothing.
  const std::string& error() const { return error_; }
  /// Body bytes decoded so far.
  std::uint64_t body_bytes() const { return body_bytes_; }

  /// Limits: a size line with its extensions, and the whole trailer section.
  static constexpr std::size_t kMaxSizeLine = 4096;
  static constexpr std::size_t kMaxTrailers = 8192;

 private:
  enum class Phase : std::uint8_t { size, data, data_crlf, trailers };
  Phase phase_ = Phase::size;
  State state_ = State::more;
  std::uint64_t remaining_ = 0;  // of the current chunk
  std::uint64_t body_bytes_ = 0;
  std::size_t line_bytes_ = 0;  // of the size line or trailer section read so far
  std::string error_;
  // parsing state of the current line (size digits seen, in extension, CR seen, ...)
  std::uint8_t digits_ = 0;
  bool in_extension_ = false;
  bool cr_ = false;
  bool line_empty_ = true;  // trailers: the current line has no byte yet
};

/// The framing of one chunk of `size` bytes: "<hex>\r\n" (the data and "\r\n" follow).
std::string chunk_header(std::size_t size);
/// The last chunk and an empty trailer section.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace shelter::proxy::http
