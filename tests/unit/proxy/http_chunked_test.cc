// The chunked transfer coding, decoded as a stream: the same body whatever the input's splits,
// body runs as views into the input, the pipelined bytes after the body left alone, and
// everything a lenient decoder could end elsewhere refused.
#include "proxy/http/chunked.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace http = shelter::proxy::http;
using http::ChunkedDecoder;
using State = ChunkedDecoder::State;
using namespace std::string_literals;

namespace Catch {
template <>
struct StringMaker<State> {
  static std::string convert(State s) {
    switch (s) {
      case State::more:
        return "more";
      case State::done:
        return "done";
      case State::bad:
        return "bad";
    }
    return "?";
  }
};
}  // namespace Catch

namespace {

struct Outcome {
  std::string body;
  State state = State::more;
  std::size_t consumed = 0;  // of the whole input
  std::string error;
};

// Feeds `input` in pieces that end at the offsets `cuts` (ascending), calling feed() until each
// piece is used up or the state is not `more`, as the relay does.
Outcome decode(std::string_view input, const std::vector<std::size_t>& cuts = {}) {
  ChunkedDecoder decoder;
  Outcome out;
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t end : ends) {
    std::string_view piece = input.substr(start, end - start);
    while (!piece.empty() && decoder.state() == State::more) {
      const ChunkedDecoder::Step step = decoder.feed(piece);
      REQUIRE(step.consumed <= piece.size());
      REQUIRE(step.state == decoder.state());
      if (!step.data.empty()) {
        // A view into the piece, never a copy.
        REQUIRE(step.data.data() >= piece.data());
        REQUIRE(step.data.data() + step.data.size() <= piece.data() + step.consumed);
      }
      out.body.append(step.data);
      out.consumed += step.consumed;
      piece.remove_prefix(step.consumed);
      if (step.consumed == 0) break;
    }
    if (decoder.state() != State::more) break;
    start = end;
  }
  REQUIRE(decoder.body_bytes() == out.body.size());
  out.state = decoder.state();
  out.error = decoder.error();
  return out;
}

Outcome decode_bytewise(std::string_view input) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < input.size(); ++i)
    cuts.push_back(i);
  return decode(input, cuts);
}

bool printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return !s.empty();
}

}  // namespace

TEST_CASE("well-formed chunked bodies decode the same at every split") {
  struct Case {
    std::string_view name;
    std::string input;
    std::string body;
  };
  const std::string big(70000, 'z');
  const Case cases[] = {
      {"empty body", "0\r\n\r\n", ""},
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"three chunks", "5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n", "hello, world"},
      {"upper and lower hex", "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n",
       "0123456789abcdefghijk"},
      {"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"},
      {"16 hex digits", "0000000000000003\r\nabc\r\n0\r\n\r\n", "abc"},
      {"data holding CRLF and digits", "7\r\n\r\n0\r\n\r\n\r\n0\r\n\r\n", "\r\n0\r\n\r\n"},
      {"data holding NUL and high bytes", "4\r\n\0\xff\r\x80\r\n0\r\n\r\n"s, "\0\xff\r\x80"s},
      {"a chunk extension", "5;name=value\r\nhello\r\n0\r\n\r\n", "hello"},
      {"extensions with white space and quotes", "5 ; a = \"b;c\" ; d\r\nhello\r\n0;last\r\n\r\n",
       "hello"},
      {"a tab before an extension", "5\t;x\r\nhello\r\n0\r\n\r\n", "hello"},
      {"white space after the size", "5  \r\nhello\r\n0\r\n\r\n", "hello"},
      {"one trailer", "5\r\nhello\r\n0\r\nExpires: never\r\n\r\n", "hello"},
      {"trailers with empty and odd values",
       "5\r\nhello\r\n0\r\nX-A:\r\nX-B:  caf\xc3\xa9\t\r\nX-C:a:b\r\n\r\n", "hello"},
      {"a large chunk", "11170\r\n" + big + "\r\n0\r\n\r\n", big},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const Outcome whole = decode(c.input);
      INFO(whole.error);
      REQUIRE(whole.state == State::done);
      CHECK(whole.body == c.body);
      CHECK(whole.consumed == c.input.size());
      if (c.input.size() > 1000) continue;  // every split of the small ones
      for (std::size_t i = 0; i <= c.input.size(); ++i) {
        for (std::size_t j = i; j <= c.input.size(); j += 3) {
          const Outcome split = decode(c.input, {i, j});
          INFO("split at " << i << " and " << j << ": " << split.error);
          REQUIRE(split.state == State::done);
          REQUIRE(split.body == c.body);
          REQUIRE(split.consumed == c.input.size());
        }
      }
      const Outcome bytewise = decode_bytewise(c.input);
      CHECK(bytewise.state == State::done);
      CHECK(bytewise.body == c.body);
    }
  }
}

TEST_CASE("a data run is one view of as much of the chunk as the input holds") {
  const std::string data(1 << 20, 'd');
  const std::string input = http::chunk_header(data.size()) + data + "\r\n0\r\n\r\n";
  ChunkedDecoder decoder;
  const ChunkedDecoder::Step first = decoder.feed(input);
  CHECK(first.state == State::more);
  CHECK(first.data.size() == data.size());
  CHECK(first.data.data() == input.data() + input.find('d'));
  CHECK(first.consumed == input.find('d') + data.size());
  const ChunkedDecoder::Step second = decoder.feed(std::string_view(input).substr(first.consumed));
  CHECK(second.state == State::done);
  CHECK(second.data.empty());
  CHECK(decoder.body_bytes() == data.size());

  ChunkedDecoder partial;
  const std::string_view head = std::string_view(input).substr(0, 100);
  const ChunkedDecoder::Step some = partial.feed(head);
  CHECK(some.consumed == head.size());
  CHECK(some.data.size() == head.size() - input.find('d'));
  CHECK(partial.state() == State::more);
}

TEST_CASE("bytes after the body are left unconsumed") {
  const std::string body = "5\r\nhello\r\n0\r\nX: y\r\n\r\n";
  for (const std::string& next :
       {"HTTP/1.1 200 OK\r\n\r\n"s, "0\r\n\r\n"s, "\r\n"s, "garbage\n\0"s, "5\r\nworld\r\n"s}) {
    const std::string input = body + next;
    const Outcome whole = decode(input);
    CHECK(whole.state == State::done);
    CHECK(whole.body == "hello");
    CHECK(whole.consumed == body.size());
    const Outcome bytewise = decode_bytewise(input);
    CHECK(bytewise.consumed == body.size());
  }
  ChunkedDecoder decoder;
  REQUIRE(decoder.feed("0\r\n\r\nGET").consumed == 5);
  const ChunkedDecoder::Step after = decoder.feed("GET");
  CHECK(after.consumed == 0);
  CHECK(after.state == State::done);
}

TEST_CASE("an unfinished body asks for more") {
  const std::string_view input = "5;x\r\nhello\r\n0\r\nX: y\r\n\r\n";
  for (std::size_t n = 0; n < input.size(); ++n) {
    INFO(n);
    const Outcome partial = decode(input.substr(0, n));
    CHECK(partial.state == State::more);
    CHECK(partial.consumed == n);
  }
}

TEST_CASE("malformed chunked bodies are refused at every split") {
  struct Case {
    std::string_view name;
    std::string input;
  };
  const Case cases[] = {
      // The size.
      {"no size", "\r\nhello\r\n0\r\n\r\n"},
      {"bad hex", "5g\r\nhello\r\n0\r\n\r\n"},
      {"a letter past f", "g\r\n"},
      {"17 hex digits", "00000000000000005\r\nhello\r\n0\r\n\r\n"},
      {"17 hex digits of zero", "00000000000000000\r\n\r\n"},
      {"overflow of 17 f", "fffffffffffffffff\r\n"},
      {"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"},
      {"negative", "-5\r\nhello\r\n0\r\n\r\n"},
      {"plus sign", "+5\r\nhello\r\n0\r\n\r\n"},
      {"leading space", " 5\r\nhello\r\n0\r\n\r\n"},
      {"leading tab", "\t5\r\nhello\r\n0\r\n\r\n"},
      {"digits after white space", "5 5\r\nhello\r\n0\r\n\r\n"},
      {"an extension without ';'", "5 x\r\nhello\r\n0\r\n\r\n"},
      {"only an extension", ";x\r\nhello\r\n0\r\n\r\n"},
      {"a size line too long", "5;" + std::string(5000, 'x') + "\r\nhello\r\n0\r\n\r\n"},
      {"a size line of zeros too long", std::string(5000, '0') + "\r\n\r\n"},
      {"a control character in an extension", "5;a\x01\r\nhello\r\n0\r\n\r\n"},
      {"NUL in an extension", "5;a\0\r\nhello\r\n0\r\n\r\n"s},
      {"NUL in the size", "5\0\r\nhello\r\n0\r\n\r\n"s},
      // Line ends.
      {"bare LF after the size", "5\nhello\r\n0\r\n\r\n"},
      {"bare LF after an extension", "5;x\nhello\r\n0\r\n\r\n"},
      {"bare CR after the size", "5\rhello\r\n0\r\n\r\n"},
      {"CR CR LF", "5\r\r\nhello\r\n0\r\n\r\n"},
      {"bare LF after the data", "5\r\nhello\n0\r\n\r\n"},
      {"missing CRLF after the data", "5\r\nhello0\r\n\r\n"},
      {"data longer than its size", "3\r\nhello\r\n0\r\n\r\n"},
      {"bare CR after the data", "5\r\nhello\r0\r\n\r\n"},
      {"bare LF after the last chunk", "5\r\nhello\r\n0\n\r\n"},
      {"bare LF ending the body", "5\r\nhello\r\n0\r\n\n"},
      {"LF LF ending the body", "0\n\n"},
      // Trailers.
      {"a trailer with a bare LF", "0\r\nX: y\n\r\n"},
      {"a trailer ending with a bare LF", "0\r\nX: y\r\n\n"},
      {"a trailer without a colon", "0\r\nX\r\n\r\n"},
      {"a trailer with a space before the colon", "0\r\nX : y\r\n\r\n"},
      {"a trailer with an empty name", "0\r\n: y\r\n\r\n"},
      {"obs-fold in trailers", "0\r\nX: y\r\n z\r\n\r\n"},
      {"a control character in a trailer", "0\r\nX: \x1b\r\n\r\n"},
      {"NUL in a trailer", "0\r\nX: \0\r\n\r\n"s},
      {"a bare CR in a trailer", "0\r\nX: a\rb\r\n\r\n"},
      {"trailers too long", "0\r\n" + std::string("X: ") + std::string(9000, 'v') + "\r\n\r\n"},
      {"many trailers too long",
       [] {
         std::string s = "0\r\n";
         for (int i = 0; i < 1000; ++i)
           s.append("X-Trailer: 0123456789\r\n");
         s.append("\r\n");
         return s;
       }()},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const Outcome whole = decode(c.input);
      REQUIRE(whole.state == State::bad);
      CHECK(printable(whole.error));
      CHECK(whole.consumed <= c.input.size());
      const Outcome bytewise = decode_bytewise(c.input);
      CHECK(bytewise.state == State::bad);
      CHECK(bytewise.body == whole.body);
      CHECK(bytewise.error == whole.error);
      CHECK(bytewise.consumed == whole.consumed);
    }
  }
}

TEST_CASE("the body's length cannot overflow") {
  // 16 hex digits are fine alone (2^64 - 1 bytes, which will never come) ...
  ChunkedDecoder alone;
  const ChunkedDecoder::Step step = alone.feed("ffffffffffffffff\r\nab");
  CHECK(step.state == State::more);
  CHECK(step.data == "ab");
  // ... but not after a byte already decoded.
  const Outcome after = decode("1\r\na\r\nffffffffffffffff\r\n");
  CHECK(after.state == State::bad);
  CHECK(after.body == "a");
  const Outcome fits = decode("1\r\na\r\nfffffffffffffffe\r\nb");
  CHECK(fits.state == State::more);
  CHECK(fits.body == "ab");
}

TEST_CASE("size lines and trailers at their limits") {
  const std::string line = "5;" + std::string(ChunkedDecoder::kMaxSizeLine - 4, 'x') + "\r\n";
  REQUIRE(line.size() == ChunkedDecoder::kMaxSizeLine);
  CHECK(decode(line + "hello\r\n0\r\n\r\n").state == State::done);
  CHECK(decode("5;x" + line.substr(2) + "hello\r\n0\r\n\r\n").state == State::bad);

  // The whole trailer section, its final CRLF included.
  const std::string field = "X: " + std::string(ChunkedDecoder::kMaxTrailers - 7, 'v') + "\r\n";
  REQUIRE(field.size() + 2 == ChunkedDecoder::kMaxTrailers);
  CHECK(decode("0\r\n" + field + "\r\n").state == State::done);
  CHECK(decode("0\r\nX" + field + "\r\n").state == State::bad);
}

TEST_CASE("after bad or done, feed() does nothing") {
  ChunkedDecoder bad;
  CHECK(bad.feed("z\r\n").state == State::bad);
  const std::string error = bad.error();
  const ChunkedDecoder::Step again = bad.feed("5\r\nhello\r\n");
  CHECK(again.state == State::bad);
  CHECK(again.consumed == 0);
  CHECK(again.data.empty());
  CHECK(bad.error() == error);

  ChunkedDecoder empty;
  const ChunkedDecoder::Step nothing = empty.feed("");
  CHECK(nothing.state == State::more);
  CHECK(nothing.consumed == 0);
}

TEST_CASE("chunk_header and kLastChunk frame a body the decoder reads back") {
  CHECK(http::chunk_header(1) == "1\r\n");
  CHECK(http::chunk_header(10) == "a\r\n");
  CHECK(http::chunk_header(0x1234abcd) == "1234abcd\r\n");
  CHECK(http::chunk_header(static_cast<std::size_t>(-1)) ==
        std::string(2 * sizeof(std::size_t), 'f') + "\r\n");
  std::string framed;
  std::string body;
  for (std::size_t size : {1u, 15u, 16u, 255u, 4096u}) {
    const std::string data(size, static_cast<char>('a' + size % 26));
    framed.append(http::chunk_header(size));
    framed.append(data);
    framed.append("\r\n");
    body.append(data);
  }
  framed.append(http::kLastChunk);
  const Outcome out = decode(framed);
  CHECK(out.state == State::done);
  CHECK(out.body == body);
  CHECK(out.consumed == framed.size());
}
