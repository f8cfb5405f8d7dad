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
  enum class Phase : std::uint8_t {
    size,       // the chunk size line: digits, white space, extensions, CRLF
    data,       // `remaining_` bytes of chunk data
    data_crlf,  // the CRLF after the data
    trailers,   // trailer field lines, up to the empty line
  };
  // Where in the current line: which bytes may come next.
  enum class Part : std::uint8_t {
    start,      // size: nothing yet; trailers: a line's first byte (or the final CRLF)
    digits,     // size: hex digits
    blank,      // size: white space after the digits (BWS before ';')
    extension,  // size: after ';', up to the CR
    name,       // trailers: the field name, up to the colon
    value,      // trailers: the field value, up to the CR
  };

  bool take(char c);  // one byte of a size, CRLF or trailer line; false: malformed (error_ set)
  bool take_size(char c);
  bool take_trailer(char c);
  bool end_line();  // the LF of a CRLF
  bool fail(const char* why);

  Phase phase_ = Phase::size;
  State state_ = State::more;
  Part part_ = Part::start;
  bool cr_ = false;              // the line's CR has been read: only LF may follow
  std::uint8_t digits_ = 0;      // hex digits of the size read so far
  std::uint64_t remaining_ = 0;  // of the current chunk
  std::uint64_t body_bytes_ = 0;
  std::size_t line_bytes_ = 0;  // of the size line, or of the whole trailer section, so far
  std::string error_;
};

/// The framing of one chunk of `size` bytes: "<hex>\r\n" (the data and "\r\n" follow).
std::string chunk_header(std::size_t size);
/// The last chunk and an empty trailer section.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace shelter::proxy::http
