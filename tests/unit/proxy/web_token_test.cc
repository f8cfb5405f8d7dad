// Signed tokens (TokenKeys, base64url, key files, freshness), decision tokens and CSRF tokens.
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/net/endpoint.h"
#include "proxy/web/csrf.h"
#include "proxy/web/decision_token.h"
#include "proxy/web/signed_token.h"

namespace web = shelter::proxy::web;
using shelter::proxy::net::Address;
using web::DecisionFacts;
using web::TokenCheck;
using web::TokenFault;
using web::TokenKey;
using web::TokenKeys;
using namespace std::string_literals;

namespace {

// 32 bytes: 0x00, 0x01, ... 0x1f (the known-answer test's key).
std::string counting_secret() {
  std::string secret;
  for (int i = 0; i < 32; ++i)
    secret += static_cast<char>(i);
  return secret;
}

TokenKey key(std::string id, char fill) {
  return {std::move(id), std::string(32, fill)};
}

const TokenKeys& keys() {
  static const TokenKeys keys({key("k1", 'a')});
  return keys;
}

Address address(std::string_view text) {
  const std::optional<Address> a = Address::parse(text);
  REQUIRE(a.has_value());
  return *a;
}

DecisionFacts facts() {
  DecisionFacts f;
  f.issued = 1'700'000'000;
  f.kind = "child";
  f.list = "adult-core";
  f.category = "adult";
  f.rule = "4711";
  f.reason = "list";
  f.site = "www.example.com";
  return f;
}

DecisionFacts legal_facts() {
  DecisionFacts f = facts();
  f.kind = "legal";
  f.list = "court.order-12";
  f.category = "";
  f.site = "";
  f.legal = true;
  return f;
}

// Every variant of `token` with one character replaced by another that tokens are made of,
// or by a few that they are not.
std::vector<std::string> one_character_off(const std::string& token) {
  static const std::string kReplacements =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \x1f"s + '\0';
  std::vector<std::string> variants;
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (char c : kReplacements) {
      if (c == token[i]) continue;
      std::string variant = token;
      variant[i] = c;
      variants.push_back(std::move(variant));
    }
  }
  return variants;
}

}  // namespace

TEST_CASE("TokenKeys refuses bad key lists") {
  CHECK_THROWS_AS(TokenKeys({}), std::invalid_argument);
  for (const std::string& id :
       {""s, "a.b"s, "a b"s, "a/b"s, "caf\xc3\xa9"s, std::string(17, 'k')}) {
    DYNAMIC_SECTION("id '" << id << "'") {
      CHECK_THROWS_AS(TokenKeys({{id, std::string(32, 's')}}), std::invalid_argument);
    }
  }
  CHECK_THROWS_AS(TokenKeys({{"k1", std::string(31, 's')}}), std::invalid_argument);
  CHECK_THROWS_AS(TokenKeys({key("k1", 'a'), key("k1", 'b')}), std::invalid_argument);
  CHECK_NOTHROW(TokenKeys({{"Az09_-xxxxxxxxxx", std::string(32, 's')}}));
}

TEST_CASE("sign and verify: the documented format, and a known answer") {
  const TokenKeys counting({{"k1", counting_secret()}});
  // HMAC-SHA256(00 01 .. 1f, "decision\0k1\0hello"), computed independently (Python hmac).
  const std::string expected = "k1.aGVsbG8.RWWJuyIVyxLP9ddGsF7jW2zV1yKbeuZ4iTf4_AAnfpQ";
  CHECK(counting.sign("decision", "hello") == expected);
  CHECK(counting.verify("decision", expected) == "hello");
}

TEST_CASE("sign and verify round-trip any payload") {
  for (const std::string& payload :
       {""s, "x"s, "a\x1f"s + '\0' + "b\xff\xfe"s, std::string(700, '\x80'), "no.dots.here"s}) {
    const std::string token = keys().sign("decision", payload);
    TokenFault fault = TokenFault::malformed;
    CHECK(keys().verify("decision", token, &fault) == payload);
    CHECK(fault == TokenFault::none);
    CHECK(token.rfind("k1.", 0) == 0);
  }
}

TEST_CASE("verify says why it refuses") {
  const std::string token = keys().sign("decision", "payload");
  struct Case {
    std::string name;
    std::string purpose;
    std::string token;
    TokenFault fault;
  };
  const Case cases[] = {
      {"other purpose", "csrf:appeal", token, TokenFault::bad_mac},
      {"purpose with NUL", "decision"s + '\0', token, TokenFault::bad_mac},
      {"unknown key", "decision", TokenKeys({key("k9", 'a')}).sign("decision", "payload"),
       TokenFault::unknown_key},
      {"same id, other secret", "decision", TokenKeys({key("k1", 'b')}).sign("decision", "payload"),
       TokenFault::bad_mac},
      {"empty", "decision", "", TokenFault::malformed},
      {"two parts", "decision", "k1.cGF5bG9hZA", TokenFault::malformed},
      {"four parts", "decision", token + ".AA", TokenFault::malformed},
      {"padding", "decision", token + "=", TokenFault::malformed},
      {"short MAC", "decision", token.substr(0, token.size() - 4), TokenFault::malformed},
      {"bad key id", "decision", "k!" + token.substr(2), TokenFault::malformed},
      {"oversize", "decision", token + std::string(1100, 'A'), TokenFault::malformed},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      TokenFault fault = TokenFault::none;
      CHECK_FALSE(keys().verify(c.purpose, c.token, &fault).has_value());
      CHECK(fault == c.fault);
    }
  }
}

TEST_CASE("a MAC written with non-zero trailing bits is refused") {
  // 32 MAC bytes are 43 characters whose last carries 2 unused bits: setting one gives a text
  // that a lax decoder would read as the same MAC.
  const std::string token = keys().sign("decision", "payload");
  std::string altered = token;
  char& last = altered.back();
  last = last == 'A' ? 'B' : static_cast<char>(last + 1);
  TokenFault fault = TokenFault::none;
  CHECK_FALSE(keys().verify("decision", altered, &fault).has_value());
  CHECK(fault == TokenFault::malformed);
}

TEST_CASE("sign refuses what verify would refuse") {
  CHECK_THROWS_AS(keys().sign("decision"s + '\0' + "x", "payload"), std::invalid_argument);
  // "k1." + payload + "." + 43 MAC characters: 977 characters are left for the payload, which
  // holds 732 bytes (976 characters) but not 733 (978).
  const std::string fits = keys().sign("p", std::string(732, 'x'));
  CHECK(fits.size() == web::kMaxTokenBytes - 1);
  CHECK(keys().verify("p", fits) == std::string(732, 'x'));
  CHECK_FALSE(keys().verify("p", fits + "A").has_value());
  CHECK_THROWS_AS(keys().sign("p", std::string(733, 'x')), std::invalid_argument);
}

TEST_CASE("key rotation: the first key signs, every key verifies") {
  const TokenKeys old_keys({key("2024", 'o')});
  const TokenKeys rotated({key("2025", 'n'), key("2024", 'o')});
  const TokenKeys retired({key("2025", 'n')});
  const std::string old_token = old_keys.sign("decision", "payload");
  CHECK(rotated.verify("decision", old_token) == "payload");
  const std::string new_token = rotated.sign("decision", "payload");
  CHECK(new_token.rfind("2025.", 0) == 0);
  CHECK(retired.verify("decision", new_token) == "payload");
  TokenFault fault = TokenFault::none;
  CHECK_FALSE(retired.verify("decision", old_token, &fault).has_value());
  CHECK(fault == TokenFault::unknown_key);
}

TEST_CASE("TokenKeys::random makes a fresh boot key") {
  const TokenKeys a = TokenKeys::random();
  const TokenKeys b = TokenKeys::random();
  const std::string token = a.sign("decision", "payload");
  CHECK(token.rfind("boot.", 0) == 0);
  CHECK(a.verify("decision", token) == "payload");
  TokenFault fault = TokenFault::none;
  CHECK_FALSE(b.verify("decision", token, &fault).has_value());
  CHECK(fault == TokenFault::bad_mac);
}

TEST_CASE("base64url: RFC 4648 vectors and the URL alphabet") {
  struct Case {
    std::string bytes;
    std::string text;
  };
  const Case cases[] = {
      {"", ""},
      {"f", "Zg"},
      {"fo", "Zm8"},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg"},
      {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"},
      {"\xfb\xff", "-_8"},
      {"\xff\xff\xff", "____"},
      {"\0\0"s, "AAA"},
  };
  for (const Case& c : cases) {
    CHECK(web::base64url_encode(c.bytes) == c.text);
    CHECK(web::base64url_decode(c.text) == c.bytes);
  }
}

TEST_CASE("base64url_decode is strict") {
  for (const std::string& text : {"Zg=="s, "Zm8="s, "Zh"s, "Zm9"s, "Z"s, "Zm9vY"s, "+_8"s, "-/8"s,
                                  " Zg"s, "Zg\n"s, "Zg\0"s, "Zm.9"s}) {
    DYNAMIC_SECTION("'" << text << "'") {
      CHECK_FALSE(web::base64url_decode(text).has_value());
    }
  }
}

TEST_CASE("read_token_keys reads hex and base64url secrets, in order") {
  const std::string hex(64, 'a');                      // 32 bytes of 0xaa
  const std::string b64 = std::string(42, 'q') + "o";  // the same bytes, base64url
  const std::string text =
      "# rotation: new key first\n"
      "\n"
      "new " +
      hex +
      "  # signs\r\n"
      "\t old\t" +
      b64 + "\r\n";
  std::string error;
  const auto keys = web::read_token_keys(text, error);
  INFO(error);
  REQUIRE(keys.has_value());
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0].id == "new");
  CHECK((*keys)[0].secret == std::string(32, '\xaa'));
  CHECK((*keys)[1].id == "old");
  CHECK((*keys)[1].secret == std::string(32, '\xaa'));
  CHECK_NOTHROW(TokenKeys(*keys));
}

TEST_CASE("read_token_keys names the bad line and quotes no secret") {
  const std::string secret(64, 'b');
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"", "no key"},
      {"# only a comment\n\n", "no key"},
      {"k1\n", "line 1: expected \"id secret\""},
      {"k1 " + secret + " extra\n", "line 1: expected \"id secret\""},
      {"\nk.1 " + secret, "line 2: a key id is 1 to 16 of A-Z a-z 0-9 _ -"},
      {"k1 " + std::string(62, 'b'), "line 1: the secret is under 32 bytes"},
      {"k1 " + secret + "=", "line 1: the secret is neither hex nor base64url (without padding)"},
      {"k1 " + secret + "\n#\nk1 " + secret, "line 3: key id k1 repeated"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.error) {
      std::string error;
      CHECK_FALSE(web::read_token_keys(c.text, error).has_value());
      CHECK(error == c.error);
      CHECK(error.find("bbbb") == std::string::npos);
    }
  }
}

TEST_CASE("freshness: expiry at the boundary, and the clock skew allowance") {
  using web::Freshness;
  using web::freshness;
  CHECK(freshness(1000, 1000, 600) == Freshness::fresh);
  CHECK(freshness(1000, 1599, 600) == Freshness::fresh);
  CHECK(freshness(1000, 1600, 600) == Freshness::expired);
  CHECK(freshness(1000, 700, 600) == Freshness::fresh);  // 300 s ahead: allowed skew
  CHECK(freshness(1000, 699, 600) == Freshness::from_future);
  CHECK(freshness(1000, 1000, 0) == Freshness::expired);
  CHECK(freshness(0, INT64_MAX, 600) == Freshness::expired);
  CHECK(freshness(INT64_MAX, 0, 600) == Freshness::from_future);
  CHECK(freshness(INT64_MAX, INT64_MAX, 600) == Freshness::fresh);
}

TEST_CASE("parse_seconds takes canonical decimal only") {
  CHECK(web::parse_seconds("0") == 0);
  CHECK(web::parse_seconds("1700000000") == 1'700'000'000);
  CHECK(web::parse_seconds("9223372036854775807") == INT64_MAX);
  for (const std::string& text :
       {""s, "01"s, "-1"s, "+1"s, "1 "s, "9223372036854775808"s, "12345678901234567890"s, "1e3"s}) {
    CHECK_FALSE(web::parse_seconds(text).has_value());
  }
  CHECK(web::seconds_text(42) == "42");
  CHECK_THROWS_AS(web::seconds_text(-1), std::invalid_argument);
}

TEST_CASE("decision tokens round-trip") {
  DecisionFacts minimal;
  minimal.kind = "general";
  for (const DecisionFacts& f : {facts(), legal_facts(), minimal}) {
    const std::string token = web::encode_decision(keys(), f);
    const web::DecodedDecision decoded = web::decode_decision(keys(), token, f.issued, 3600);
    CHECK(decoded.check == TokenCheck::ok);
    CHECK(decoded.facts == f);
  }
}

TEST_CASE("a decision token with one character changed is never accepted") {
  const std::string token = web::encode_decision(keys(), facts());
  for (const std::string& variant : one_character_off(token)) {
    const web::DecodedDecision decoded =
        web::decode_decision(keys(), variant, facts().issued, 3600);
    INFO(variant);
    CHECK((decoded.check == TokenCheck::bad_signature || decoded.check == TokenCheck::malformed));
    CHECK(decoded.facts == DecisionFacts{});
  }
}

TEST_CASE("decision tokens: keys, rotation and purposes") {
  const std::int64_t now = facts().issued;
  SECTION("signed by an unknown key") {
    const std::string token = web::encode_decision(TokenKeys({key("k2", 'a')}), facts());
    CHECK(web::decode_decision(keys(), token, now, 3600).check == TokenCheck::bad_signature);
  }
  SECTION("signed with the old key, verified by [new, old]") {
    const TokenKeys old_keys({key("old", 'o')});
    const TokenKeys rotated({key("new", 'n'), key("old", 'o')});
    const std::string token = web::encode_decision(old_keys, facts());
    const web::DecodedDecision decoded = web::decode_decision(rotated, token, now, 3600);
    CHECK(decoded.check == TokenCheck::ok);
    CHECK(decoded.facts == facts());
  }
  SECTION("a token made for csrf:x is not a decision token") {
    const std::string decision = web::encode_decision(keys(), facts());
    const std::optional<std::string> payload = keys().verify("decision", decision);
    REQUIRE(payload.has_value());
    const std::string csrf = keys().sign("csrf:x", *payload);  // the very same payload
    CHECK(web::decode_decision(keys(), csrf, now, 3600).check == TokenCheck::bad_signature);
    const std::string form_token = web::csrf_token(keys(), "x", address("192.0.2.1"), now);
    CHECK(web::decode_decision(keys(), form_token, now, 3600).check == TokenCheck::bad_signature);
  }
}

TEST_CASE("decision tokens expire, and may not come from the future") {
  const std::string token = web::encode_decision(keys(), facts());
  const std::int64_t issued = facts().issued;
  struct Case {
    std::int64_t now;
    TokenCheck check;
  };
  const Case cases[] = {
      {issued, TokenCheck::ok},
      {issued + 599, TokenCheck::ok},
      {issued + 600, TokenCheck::expired},
      {issued + 100'000, TokenCheck::expired},
      {issued - 300, TokenCheck::ok},
      {issued - 301, TokenCheck::from_future},
  };
  for (const Case& c : cases) {
    const web::DecodedDecision decoded = web::decode_decision(keys(), token, c.now, 600);
    CHECK(decoded.check == c.check);
    if (c.check != TokenCheck::ok) CHECK(decoded.facts == DecisionFacts{});
  }
}

TEST_CASE("encode_decision refuses facts that break the rules") {
  struct Case {
    std::string name;
    DecisionFacts facts;
  };
  std::vector<Case> cases;
  auto with = [&](std::string name, auto change, DecisionFacts base = facts()) {
    change(base);
    cases.push_back({std::move(name), std::move(base)});
  };
  with(
      "legal with a site", [](DecisionFacts& f) { f.site = "court-listed.example"; },
      legal_facts());
  with(
      "legal flag, other kind", [](DecisionFacts& f) { f.kind = "child"; }, legal_facts());
  with("legal kind, no flag", [](DecisionFacts& f) {
    f.kind = "legal";
    f.site.clear();
  });
  with("negative issue time", [](DecisionFacts& f) { f.issued = -1; });
  with("unknown kind", [](DecisionFacts& f) { f.kind = "not-blocked"; });
  with("empty kind", [](DecisionFacts& f) { f.kind.clear(); });
  with("upper-case list", [](DecisionFacts& f) { f.list = "Adult"; });
  with("long list", [](DecisionFacts& f) { f.list = std::string(65, 'l'); });
  with("category separator", [](DecisionFacts& f) {
    f.category =
        "a\x1f"
        "b";
  });
  with("rule not digits", [](DecisionFacts& f) { f.rule = "12a"; });
  with("long rule", [](DecisionFacts& f) { f.rule = std::string(21, '1'); });
  with("reason with digits", [](DecisionFacts& f) { f.reason = "list2"; });
  with("long reason", [](DecisionFacts& f) { f.reason = std::string(25, 'r'); });
  with("upper-case site", [](DecisionFacts& f) { f.site = "WWW.example.com"; });
  with("site with a trailing dot", [](DecisionFacts& f) { f.site = "example.com."; });
  with("site with an empty label", [](DecisionFacts& f) { f.site = "a..example"; });
  with("site label starting with -", [](DecisionFacts& f) { f.site = "-a.example"; });
  with("site label ending with -", [](DecisionFacts& f) { f.site = "a-.example"; });
  with("site with an underscore", [](DecisionFacts& f) { f.site = "a_b.example"; });
  with("site with a path", [](DecisionFacts& f) { f.site = "example.com/x"; });
  with("site label of 64", [](DecisionFacts& f) { f.site = std::string(64, 'a') + ".example"; });
  with("site of 254", [](DecisionFacts& f) {
    f.site = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
             std::string(62, 'd');
  });
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      CHECK_THROWS_AS(web::encode_decision(keys(), c.facts), std::invalid_argument);
    }
  }
  // The limits themselves are fine.
  DecisionFacts longest = facts();
  longest.list = std::string(64, 'l');
  longest.category = std::string(64, 'c');
  longest.rule = std::string(20, '9');
  longest.reason = std::string(24, 'r');
  longest.site = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                 "." + std::string(61, 'd');
  longest.issued = INT64_MAX;
  const std::string token = web::encode_decision(keys(), longest);
  CHECK(token.size() <= web::kMaxTokenBytes);
  CHECK(web::decode_decision(keys(), token, INT64_MAX, 1).facts == longest);
}

TEST_CASE("a validly signed payload that breaks the rules is malformed") {
  const std::string payloads[] = {
      "1\x1f"
      "1700000000\x1f"
      "child\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "Example.com\x1f"
      "0",
      "1\x1f"
      "1700000000\x1f"
      "legal\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "example.com\x1f"
      "1",
      "2\x1f"
      "1700000000\x1f"
      "child\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "example.com\x1f"
      "0",
      "1\x1f"
      "1700000000\x1f"
      "child\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "example.com",
      "1\x1f"
      "1700000000\x1f"
      "child\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "example.com\x1f"
      "0\x1f",
      "1\x1f"
      "01700000000\x1f"
      "child\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "example.com\x1f"
      "0",
      "1\x1f"
      "1700000000\x1f"
      "child\x1f"
      "l\x1f"
      "c\x1f"
      "1\x1f"
      "list\x1f"
      "example.com\x1f"
      "yes",
      "",
  };
  for (const std::string& payload : payloads) {
    const std::string token = keys().sign("decision", payload);
    CHECK(web::decode_decision(keys(), token, 1'700'000'000, 3600).check == TokenCheck::malformed);
  }
}

TEST_CASE("oversize decision tokens are malformed, unread") {
  const std::string token = web::encode_decision(keys(), facts());
  const std::string oversize = token + std::string(web::kMaxTokenBytes, 'A');
  CHECK(web::decode_decision(keys(), oversize, facts().issued, 3600).check ==
        TokenCheck::malformed);
  CHECK(web::decode_decision(keys(), std::string(1 << 20, '.'), 0, 3600).check ==
        TokenCheck::malformed);
}

TEST_CASE("check_name") {
  CHECK(web::check_name(TokenCheck::ok) == "ok");
  CHECK(web::check_name(TokenCheck::malformed) == "malformed");
  CHECK(web::check_name(TokenCheck::bad_signature) == "bad-signature");
  CHECK(web::check_name(TokenCheck::expired) == "expired");
  CHECK(web::check_name(TokenCheck::from_future) == "from-future");
}

TEST_CASE("CSRF tokens are bound to the form, the address and a time") {
  const std::int64_t now = 1'700'000'000;
  const Address client = address("2001:db8:1:2::10");
  const std::string token = web::csrf_token(keys(), "appeal", client, now);
  CHECK(web::csrf_valid(keys(), token, "appeal", client, now, 3600));
  CHECK(web::csrf_valid(keys(), token, "appeal", client, now + 3599, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), token, "ask", client, now, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), token, "appeal", address("2001:db8:1:2::11"), now, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), token, "appeal", address("192.0.2.1"), now, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), token, "appeal", client, now + 3600, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), token, "appeal", client, now - 301, 3600));
  CHECK_FALSE(web::csrf_valid(TokenKeys({key("k2", 'a')}), token, "appeal", client, now, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), "", "appeal", client, now, 3600));
  CHECK_FALSE(web::csrf_valid(keys(), web::encode_decision(keys(), facts()), "appeal", client,
                              facts().issued, 3600));
  CHECK_THROWS_AS(web::csrf_token(keys(), "appeal", client, -1), std::invalid_argument);
}

TEST_CASE("a CSRF token with one character changed is invalid") {
  const Address client = address("192.0.2.7");
  const std::string token = web::csrf_token(keys(), "appeal", client, 1000);
  for (const std::string& variant : one_character_off(token)) {
    INFO(variant);
    CHECK_FALSE(web::csrf_valid(keys(), variant, "appeal", client, 1000, 3600));
  }
}

TEST_CASE("a CSRF token for an IPv4 client holds on a dual-stack listener") {
  const std::string token = web::csrf_token(keys(), "ask", address("192.0.2.7"), 1000);
  CHECK(web::csrf_valid(keys(), token, "ask", address("::ffff:192.0.2.7"), 1000, 60));
  CHECK_FALSE(web::csrf_valid(keys(), token, "ask", address("::ffff:192.0.2.8"), 1000, 60));
}
