#include "proxy/http/chunked.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "proxy/http/field_syntax.h"

namespace shelter::proxy::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view input) {
  Step step;
  while (state_ == State::more && step.consumed < input.size()) {
    if (phase_ == Phase::data) {
      // The data is not looked at: one view of as much of the chunk as the input holds.
      const std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>(remaining_, input.size() - step.consumed));
      step.data = input.substr(step.consumed, n);
      step.consumed += n;
      remaining_ -= n;
      body_bytes_ += n;
      if (remaining_ == 0) phase_ = Phase::data_crlf;
      break;  // one run of body bytes per call
    }
    if (!take(input[step.consumed])) break;
    ++step.consumed;
  }
  step.state = state_;
  return step;
}

bool ChunkedDecoder::fail(const char* why) {
  state_ = State::bad;
  error_ = why;
  return false;
}

bool ChunkedDecoder::take(char c) {
  if (phase_ == Phase::size && ++line_bytes_ > kMaxSizeLine) {
    return fail("chunk size line too long");
  }
  if (phase_ == Phase::trailers && ++line_bytes_ > kMaxTrailers) {
    return fail("trailer section too long");
  }
  if (cr_) return c == '\n' ? end_line() : fail("a CR not followed by LF");
  // A lenient decoder elsewhere might end a line at a bare LF: never guess.
  if (c == '\n') return fail("a bare LF line ending");
  switch (phase_) {
    case Phase::size:
      return take_size(c);
    case Phase::data_crlf:
      if (c != '\r') return fail("no CRLF after the chunk data");
      cr_ = true;
      return true;
    case Phase::trailers:
      return take_trailer(c);
    case Phase::data:
      break;
  }
  return fail("chunk data read as a line");  // not reached: feed() takes data as a run
}

// chunk-size [ chunk-ext ] CRLF, where chunk-size is 1 to 16 hex digits and nothing else (no
// sign, no "0x", no white space before it). Extensions are dropped: after ';' any value bytes.
bool ChunkedDecoder::take_size(char c) {
  switch (part_) {
    case Part::start:
    case Part::digits:
      if (const int v = hex_value(c); v >= 0) {
        if (digits_ == 16) return fail("a chunk size of more than 16 hex digits");
        remaining_ = (remaining_ << 4) | static_cast<std::uint64_t>(v);
        ++digits_;
        part_ = Part::digits;
        return true;
      }
      if (part_ == Part::start) return fail("a chunk size line without hex digits");
      [[fallthrough]];
    case Part::blank:
      if (is_blank(c)) {
        part_ = Part::blank;
      } else if (c == ';') {
        part_ = Part::extension;
      } else if (c == '\r') {
        cr_ = true;
      } else {
        return fail("malformed chunk size");
      }
      return true;
    case Part::extension:
      if (c == '\r') {
        cr_ = true;
        return true;
      }
      if (syntax::is_value_char(static_cast<unsigned char>(c))) return true;
      return fail("control character in a chunk extension");
    case Part::name:
    case Part::value:
      break;
  }
  return fail("malformed chunk size");
}

// field-line CRLF (RFC 9112 5), checked as the head's field lines are, then dropped.
bool ChunkedDecoder::take_trailer(char c) {
  const auto u = static_cast<unsigned char>(c);
  switch (part_) {
    case Part::start:
      if (c == '\r') {
        cr_ = true;  // the empty line: the end of the body
        return true;
      }
      if (is_blank(c)) return fail("obs-fold in the trailer section");
      if (!syntax::is_tchar(u)) return fail("malformed trailer field name");
      part_ = Part::name;
      return true;
    case Part::name:
      if (c == ':') {
        part_ = Part::value;
        return true;
      }
      if (syntax::is_tchar(u)) return true;
      return fail(is_blank(c) ? "white space before a trailer field's colon"
                              : "malformed trailer field name");
    case Part::value:
      if (c == '\r') {
        cr_ = true;
        return true;
      }
      if (syntax::is_value_char(u)) return true;
      return fail("control character in a trailer field value");
    case Part::digits:
    case Part::blank:
    case Part::extension:
      break;
  }
  return fail("malformed trailer section");
}

bool ChunkedDecoder::end_line() {
  cr_ = false;
  switch (phase_) {
    case Phase::size:
      part_ = Part::start;
      digits_ = 0;
      line_bytes_ = 0;
      if (remaining_ == 0) {
        phase_ = Phase::trailers;  // the last chunk
        return true;
      }
      if (remaining_ > std::numeric_limits<std::uint64_t>::max() - body_bytes_) {
        return fail("a body of more than 2^64 bytes");
      }
      phase_ = Phase::data;
      return true;
    case Phase::data_crlf:
      phase_ = Phase::size;
      return true;
    case Phase::trailers:
      if (part_ == Part::start) {
        state_ = State::done;
      } else {
        part_ = Part::start;
      }
      return true;
    case Phase::data:
      break;
  }
  return fail("chunk data read as a line");
}

std::string chunk_header(std::size_t size) {
  char digits[2 * sizeof(std::size_t)];
  const auto result = std::to_chars(digits, digits + sizeof digits, size, 16);
  std::string out(digits, result.ptr);
  out.append("\r\n");
  return out;
}

}  // namespace shelter::proxy::http
