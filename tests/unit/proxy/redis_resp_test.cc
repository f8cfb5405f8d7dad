#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/redis/resp.h"
#include "tests/unit/proxy/redis_test_util.h"

using namespace shelter::proxy::redis;
using namespace shelter::proxy::redis::test;

namespace {

// Feeds `wire` in pieces of `step` bytes and takes every reply as soon as it is complete.
std::vector<Reply> parse_all(const std::string& wire, std::size_t step, ReplyReader& reader) {
  std::vector<Reply> out;
  for (std::size_t i = 0; i < wire.size(); i += step) {
    reader.feed(std::string_view(wire).substr(i, step));
    while (auto r = reader.next())
      out.push_back(std::move(*r));
  }
  return out;
}

std::vector<Reply> parse_all(const std::string& wire, std::size_t step) {
  ReplyReader reader;
  auto out = parse_all(wire, step, reader);
  REQUIRE_FALSE(reader.failed());
  return out;
}

}  // namespace

TEST_CASE("commands are arrays of bulk strings") {
  std::vector<std::string_view> args = {"HGET", "shelter:profile:42", ""};
  CHECK(encode_command(args) == "*3\r\n$4\r\nHGET\r\n$18\r\nshelter:profile:42\r\n$0\r\n\r\n");
  std::vector<std::string> binary = {"SET", std::string("a\r\nb\0c", 6)};
  CHECK(encode_command(binary) == std::string("*2\r\n$3\r\nSET\r\n$6\r\na\r\nb\0c\r\n", 25));
}

TEST_CASE("every reply type parses, whole and byte by byte") {
  struct Case {
    std::string wire;
    Reply expected;
  };
  const std::vector<Case> cases = {
      {"+OK\r\n", text(ReplyType::status, "OK")},
      {"-ERR unknown command\r\n", text(ReplyType::error, "ERR unknown command")},
      {":42\r\n", integer(42)},
      {":-9223372036854775808\r\n", integer(INT64_MIN)},
      {"$5\r\nhello\r\n", str("hello")},
      {"$0\r\n\r\n", str("")},
      {"$4\r\na\r\nb\r\n", str("a\r\nb")},
      {"$-1\r\n", Reply{}},
      {"*-1\r\n", Reply{}},
      {"*0\r\n", array({})},
      {"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", array({str("a"), integer(1), Reply{}})},
      {"*2\r\n*2\r\n+a\r\n*1\r\n-b\r\n*0\r\n",
       array({array({text(ReplyType::status, "a"), array({text(ReplyType::error, "b")})}),
              array({})})},
  };
  for (const Case& c : cases) {
    INFO(c.wire);
    for (std::size_t step : {c.wire.size(), std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
      auto replies = parse_all(c.wire, step);
      REQUIRE(replies.size() == 1);
      CHECK(replies[0] == c.expected);
    }
    CHECK(parse_all(encode_reply(c.expected), 1)[0] == c.expected);
  }
}

TEST_CASE("replies come out one at a time, in order") {
  ReplyReader reader;
  reader.feed("+a\r\n:2\r\n*1\r\n$1\r\nc\r\n+d");
  CHECK(reader.next() == text(ReplyType::status, "a"));
  CHECK(reader.next() == integer(2));
  CHECK(reader.next() == array({str("c")}));
  CHECK_FALSE(reader.next());
  CHECK_FALSE(reader.failed());
  reader.feed("\r\n");
  CHECK(reader.next() == text(ReplyType::status, "d"));
}

TEST_CASE("a deep and wide reply survives every split point") {
  Reply deep = str("leaf");
  for (int i = 0; i < 7; ++i)
    deep = array({deep, integer(i), Reply{}});
  std::string wire = encode_reply(deep) + encode_reply(deep);
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    ReplyReader reader;
    reader.feed(std::string_view(wire).substr(0, split));
    std::vector<Reply> got;
    while (auto r = reader.next())
      got.push_back(std::move(*r));
    reader.feed(std::string_view(wire).substr(split));
    while (auto r = reader.next())
      got.push_back(std::move(*r));
    REQUIRE(got.size() == 2);
    CHECK(got[1] == deep);
  }
}

TEST_CASE("a broken stream fails for good, with a reason") {
  struct Case {
    std::string wire;
    std::string reason;  // a part of error()
  };
  const std::vector<Case> cases = {
      {"!oops\r\n", "Protocol error"},
      {"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "depth"},
      {"*1048577\r\n", "array of 1048577 elements"},
      {"$67108865\r\n", "bulk string larger than 64 MiB"},
      // Debian's hiredis 0.14.1 has range checks of its own for these; either refusal will do.
      {"*-2\r\n", ""},
      {"$99999999999999999999999\r\n", ""},
      {"*2\r\n:1\r\n$67108865\r\n", "bulk string larger than 64 MiB"},
  };
  for (const Case& c : cases) {
    INFO(c.wire);
    ReplyReader reader;
    parse_all(c.wire, 1, reader);
    REQUIRE(reader.failed());
    CHECK_THAT(reader.error(), Catch::Contains(c.reason));
    reader.feed("+OK\r\n");
    CHECK_FALSE(reader.next());  // no resync
  }
}

TEST_CASE("unterminated lines and unfinished bulk strings are capped") {
  ReplyReader line;
  line.feed("+");
  line.feed(std::string(kMaxLineBytes + 1, 'a'));
  CHECK_FALSE(line.next());
  CHECK_THAT(line.error(), Catch::Contains("line longer than 64 KiB"));

  // A bulk string of exactly the limit is fine.
  ReplyReader bulk;
  bulk.feed("$" + std::to_string(kMaxBulkBytes) + "\r\n");
  std::string chunk(1 << 20, 'x');
  for (std::size_t sent = 0; sent < kMaxBulkBytes; sent += chunk.size()) {
    bulk.feed(chunk);
    REQUIRE_FALSE(bulk.next());
  }
  bulk.feed("\r\n");
  auto reply = bulk.next();
  REQUIRE(reply);
  CHECK(reply->text.size() == kMaxBulkBytes);
}

TEST_CASE("a reply's total size is capped") {
  // 5 bulk strings of 60 MiB: each under the bulk limit, together over the reply limit.
  ReplyReader reader;
  reader.feed("*5\r\n");
  std::string bulk = "$" + std::to_string(60 << 20) + "\r\n" + std::string(60 << 20, 'y') + "\r\n";
  for (int i = 0; i < 5 && !reader.failed(); ++i) {
    reader.feed(bulk);
    CHECK_FALSE(reader.next());
  }
  CHECK_THAT(reader.error(), Catch::Contains("reply larger than 256 MiB"));
}
