// Cookie headers as browsers send them, and Set-Cookie values that nothing can inject into.

#include "proxy/http/cookies.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

using namespace shelter::proxy::http;

TEST_CASE("a Cookie header's pairs, as browsers send them", "[http][cookies]") {
  const auto pairs = parse_cookies("__Host-session=abc.def; theme=dark;lang = en ;flag; =x; e=");
  REQUIRE(pairs.size() == 4);
  CHECK(pairs[0] == std::pair<std::string_view, std::string_view>{"__Host-session", "abc.def"});
  CHECK(pairs[1] == std::pair<std::string_view, std::string_view>{"theme", "dark"});
  CHECK(pairs[2] == std::pair<std::string_view, std::string_view>{"lang", "en"});
  CHECK(pairs[3] == std::pair<std::string_view, std::string_view>{"e", ""});
  CHECK(find_cookie("a=1; b=2; a=3", "a") == "1");      // the first one
  CHECK(find_cookie("a=1; b=2", "A") == std::nullopt);  // names are case-sensitive
  CHECK(find_cookie("", "a") == std::nullopt);
  CHECK(find_cookie("a=x=y", "a") == "x=y");
}

TEST_CASE("a Cookie header is read no further than kMaxCookies pairs", "[http][cookies]") {
  std::string header;
  for (std::size_t i = 0; i < kMaxCookies + 10; ++i)
    header += "c" + std::to_string(i) + "=v; ";
  CHECK(parse_cookies(header).size() == kMaxCookies);
  CHECK(find_cookie(header, "c" + std::to_string(kMaxCookies + 1)) == std::nullopt);
}

TEST_CASE("Set-Cookie: strict by default", "[http][cookies]") {
  CHECK(set_cookie_value({.name = "__Host-session", .value = "tok.en", .max_age = 3600}) ==
        "__Host-session=tok.en; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict");
  CHECK(
      set_cookie_value(
          {.name = "s", .value = "", .max_age = 0, .secure = false, .same_site = SameSite::lax}) ==
      "s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  CHECK(set_cookie_value({.name = "s", .value = "v"}) ==
        "s=v; Path=/; Secure; HttpOnly; SameSite=Strict");
}

TEST_CASE("Set-Cookie refuses what could add an attribute or break the header", "[http][cookies]") {
  const std::vector<std::string> values = {
      "a;Domain=evil.example", "a b", "a\r\nSet-Cookie: x=1", "\"q\"", "a,b", "a\\b",
      std::string("a\0b", 3),  "\x7f"};
  for (const std::string& value : values) {
    INFO(value);
    CHECK_THROWS_AS(set_cookie_value({.name = "s", .value = value}), std::invalid_argument);
  }
  for (const std::string& name : {std::string(), std::string("a b"), std::string("a=b"),
                                  std::string("a;b"), std::string("s\r\n")}) {
    INFO(name);
    CHECK_THROWS_AS(set_cookie_value({.name = name, .value = "v"}), std::invalid_argument);
  }
  CHECK_THROWS_AS(set_cookie_value({.name = "s", .value = "v", .max_age = -1}),
                  std::invalid_argument);
  CHECK_THROWS_AS(set_cookie_value({.name = "__Host-s", .value = "v", .secure = false}),
                  std::invalid_argument);
}
