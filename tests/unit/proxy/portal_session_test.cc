// Portal sessions: signed, expiring tokens that refuse tampering, other purposes and other keys,
// honour the household's revocation time, and bind CSRF tokens to one session and one form.

#include "proxy/portal/session.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proxy/web/signed_token.h"

namespace web = shelter::proxy::web;
using namespace shelter::proxy::portal;
using namespace std::string_literals;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kHour = 3600;
constexpr std::string_view kBase64url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const web::TokenKeys& keys() {
  static const web::TokenKeys keys({{"k1", std::string(32, 'a')}});
  return keys;
}

const web::TokenKeys& other_keys() {
  static const web::TokenKeys keys({{"k1", std::string(32, 'b')}});
  return keys;
}

Session read_ok(std::string_view token, std::int64_t now, const web::TokenKeys& with = keys()) {
  SessionFault fault = SessionFault::malformed;
  const std::optional<Session> session = read_session(with, token, now, &fault);
  REQUIRE(session.has_value());
  CHECK(fault == SessionFault::none);
  return *session;
}

SessionFault fault_of(std::string_view token, std::int64_t now,
                      const web::TokenKeys& with = keys()) {
  SessionFault fault = SessionFault::none;
  const std::optional<Session> session = read_session(with, token, now, &fault);
  CHECK_FALSE(session.has_value());
  return fault;
}

// A token signed for sessions over a payload written by hand.
std::string signed_payload(std::string_view payload) {
  return keys().sign("portal-session", payload);
}

}  // namespace

TEST_CASE("a session token reads back as the session it was issued for", "[portal][session]") {
  const std::string token = issue_session(keys(), "household-42", kNow, 8 * kHour);
  const Session session = read_ok(token, kNow + 60);
  CHECK(session.household == "household-42");
  CHECK(session.issued == kNow);
  CHECK(session.expires == kNow + 8 * kHour);
  CHECK(session.id.size() == 22);
  const std::optional<std::string> id_bytes = web::base64url_decode(session.id);
  REQUIRE(id_bytes.has_value());
  CHECK(id_bytes->size() == 16);
  // The fault is optional.
  CHECK(read_session(keys(), token, kNow) == session);

  // Any byte that is not a control character may be in a household id (UTF-8 too), up to 128.
  for (const std::string& household :
       {"h\xc3\xa4ushalt 7"s, std::string(kMaxHouseholdBytes, 'h'), "a"s, "x|y=z;w"s}) {
    INFO(household);
    CHECK(read_ok(issue_session(keys(), household, kNow, kHour), kNow).household == household);
  }
}

TEST_CASE("every session has its own random id", "[portal][session]") {
  std::set<std::string> ids;
  for (int i = 0; i < 64; ++i)
    ids.insert(read_ok(issue_session(keys(), "h", kNow, kHour), kNow).id);
  CHECK(ids.size() == 64);
}

TEST_CASE("issue_session refuses what it must not sign", "[portal][session]") {
  for (const std::string& household : {""s, std::string(kMaxHouseholdBytes + 1, 'h'), "a\nb"s,
                                       "a\x1f"s
                                       "b",
                                       "a\x7f"s, "a\0b"s, "\t"s}) {
    INFO(household);
    CHECK_THROWS_AS(issue_session(keys(), household, kNow, kHour), std::invalid_argument);
  }
  CHECK_THROWS_AS(issue_session(keys(), "h", kNow, 0), std::invalid_argument);
  CHECK_THROWS_AS(issue_session(keys(), "h", kNow, -1), std::invalid_argument);
  CHECK_THROWS_AS(issue_session(keys(), "h", kNow, kMaxSessionLifetimeSeconds + 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(issue_session(keys(), "h", -1, kHour), std::invalid_argument);
  CHECK_NOTHROW(issue_session(keys(), "h", kNow, kMaxSessionLifetimeSeconds));
  CHECK_NOTHROW(issue_session(keys(), "h", 0, 1));
}

TEST_CASE("a session is current from its issue time, less the skew, until it expires",
          "[portal][session]") {
  const std::string token = issue_session(keys(), "h", kNow, kHour);
  CHECK(read_ok(token, kNow).issued == kNow);
  CHECK(read_ok(token, kNow + kHour - 1).issued == kNow);
  CHECK(fault_of(token, kNow + kHour) == SessionFault::expired);
  CHECK(fault_of(token, kNow + 10 * kHour) == SessionFault::expired);
  // Another node's clock may be a little behind.
  CHECK(read_ok(token, kNow - web::kClockSkewSeconds).issued == kNow);
  CHECK(fault_of(token, kNow - web::kClockSkewSeconds - 1) == SessionFault::from_future);
  CHECK(fault_of(token, 0) == SessionFault::from_future);
}

TEST_CASE("a tampered session token is refused, whatever byte is changed", "[portal][session]") {
  const std::string token = issue_session(keys(), "household-42", kNow, kHour);
  read_ok(token, kNow);
  int tried = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    // Every other character of the token alphabet, and the separator, at every position.
    for (char c : std::string(kBase64url) + ".") {
      if (c == token[i]) continue;
      std::string changed = token;
      changed[i] = c;
      INFO(changed);
      CHECK_FALSE(read_session(keys(), changed, kNow).has_value());
      ++tried;
    }
    std::string flipped = token;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x80);
    CHECK(fault_of(flipped, kNow) == SessionFault::malformed);
  }
  CHECK(tried == static_cast<int>(token.size()) * 64);
  CHECK(fault_of(token.substr(0, token.size() - 1), kNow) != SessionFault::none);
  CHECK(fault_of(token + "A", kNow) != SessionFault::none);
  CHECK(fault_of("", kNow) == SessionFault::malformed);
  CHECK(fault_of("k1..", kNow) == SessionFault::malformed);
}

TEST_CASE("a session token is refused under another key or for another purpose",
          "[portal][session]") {
  const std::string token = issue_session(keys(), "h", kNow, kHour);
  CHECK(fault_of(token, kNow, other_keys()) == SessionFault::bad_signature);
  const web::TokenKeys unknown({{"k2", std::string(32, 'a')}});
  CHECK(fault_of(token, kNow, unknown) == SessionFault::bad_signature);
  // The same payload signed for another purpose (a CSRF token, a decision) is no session.
  const std::optional<std::string> payload = keys().verify("portal-session", token);
  REQUIRE(payload.has_value());
  CHECK(fault_of(keys().sign("decision", *payload), kNow) == SessionFault::bad_signature);
  CHECK(fault_of(keys().sign("portal-csrf:password", *payload), kNow) ==
        SessionFault::bad_signature);
  CHECK(read_ok(signed_payload(*payload), kNow).household == "h");
}

TEST_CASE("sessions survive a key rotation", "[portal][session]") {
  const web::TokenKeys old_keys({{"old", std::string(32, 'o')}});
  const web::TokenKeys rotated({{"new", std::string(32, 'n')}, {"old", std::string(32, 'o')}});
  const std::string before = issue_session(old_keys, "h", kNow, kHour);
  CHECK(read_ok(before, kNow, rotated).household == "h");
  const std::string after = issue_session(rotated, "h", kNow, kHour);
  CHECK(after.starts_with("new."));
  CHECK(read_ok(after, kNow, rotated).household == "h");
  CHECK(fault_of(after, kNow, old_keys) == SessionFault::bad_signature);
}

TEST_CASE("a validly signed payload that issue_session would not write is malformed",
          "[portal][session]") {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAAA";  // 16 zero bytes
  const std::string s = "\x1f";
  const std::string good = "1" + s + "h" + s + id + s + "1700000000" + s + "1700003600";
  CHECK(read_ok(signed_payload(good), kNow).id == id);
  for (const std::string& bad : {
           ""s,
           "1"s,
           "2" + s + "h" + s + id + s + "1700000000" + s + "1700003600",      // version
           "1" + s + "h" + s + id + s + "1700000000" + s + "1700003600" + s,  // extra field
           "1" + s + "h" + s + id + s + "1700000000",                         // missing field
           "1" + s + "" + s + id + s + "1700000000" + s + "1700003600",       // no household
           "1" + s + "h\n" + s + id + s + "1700000000" + s + "1700003600",    // control char
           "1" + s + std::string(129, 'h') + s + id + s + "1700000000" + s + "1700003600",
           "1" + s + "h" + s + "AAAAAAAAAAAAAAAAAAAAA" + s + "1700000000" + s + "1700003600",
           "1" + s + "h" + s + "AAAAAAAAAAAAAAAAAAAAAB" + s + "1700000000" + s + "1700003600",
           "1" + s + "h" + s + id + "AA" + s + "1700000000" + s + "1700003600",
           "1" + s + "h" + s + id + s + "01700000000" + s + "1700003600",  // not canonical
           "1" + s + "h" + s + id + s + "-1" + s + "1700003600",
           "1" + s + "h" + s + id + s + "1700000000" + s + "1700000000",  // no lifetime
           "1" + s + "h" + s + id + s + "1700000000" + s + "1699999999",  // negative
           "1" + s + "h" + s + id + s + "1700000000" + s + "1702592001",  // over 30 days
           "1" + s + "h" + s + id + s + "0" + s + "9223372036854775807",
       }) {
    INFO(bad);
    CHECK(fault_of(signed_payload(bad), kNow) == SessionFault::malformed);
  }
  // Exactly 30 days is allowed.
  CHECK(read_ok(signed_payload("1" + s + "h" + s + id + s + "1700000000" + s + "1702592000"), kNow)
            .expires == 1'702'592'000);
}

TEST_CASE("sessions issued before the household's valid-after time are revoked",
          "[portal][session]") {
  const Session session = read_ok(issue_session(keys(), "h", kNow, kHour), kNow);
  CHECK_FALSE(revoked(session, 0));
  CHECK_FALSE(revoked(session, kNow - 1));
  CHECK_FALSE(revoked(session, kNow));
  CHECK(revoked(session, kNow + 1));
  CHECK(revoked(session, kNow + kHour));
}

TEST_CASE("a session's CSRF token holds for that session and form only", "[portal][session]") {
  const Session session = read_ok(issue_session(keys(), "h", kNow, kHour), kNow);
  const Session other = read_ok(issue_session(keys(), "h", kNow, kHour), kNow);
  REQUIRE(session.id != other.id);
  const std::string token = session_csrf(keys(), session, "password");
  CHECK(session_csrf_valid(keys(), token, session, "password"));
  CHECK(session_csrf(keys(), session, "password") == token);  // stable for the session
  // Another session of the same household, another form, another key.
  CHECK_FALSE(session_csrf_valid(keys(), token, other, "password"));
  CHECK_FALSE(session_csrf_valid(keys(), token, session, "profile"));
  CHECK_FALSE(session_csrf_valid(keys(), token, session, "password2"));
  CHECK_FALSE(session_csrf_valid(keys(), token, session, "passwor"));
  CHECK_FALSE(session_csrf_valid(keys(), token, session, ""));
  CHECK_FALSE(session_csrf_valid(other_keys(), token, session, "password"));
  CHECK(session_csrf_valid(keys(), session_csrf(keys(), other, "password"), other, "password"));
  // The session token itself, or a session's id signed for sessions, is no CSRF token.
  const std::string session_token = issue_session(keys(), "h", kNow, kHour);
  CHECK_FALSE(session_csrf_valid(keys(), session_token, session, "password"));
  CHECK_FALSE(
      session_csrf_valid(keys(), keys().sign("portal-session", session.id), session, "password"));
  CHECK_FALSE(session_csrf_valid(keys(), "", session, "password"));
  CHECK_FALSE(session_csrf_valid(keys(), token + "A", session, "password"));
  // A form name with a NUL could alias another purpose: never signed, never valid.
  CHECK_THROWS_AS(session_csrf(keys(), session, "pass\0word"s), std::invalid_argument);
  CHECK_FALSE(session_csrf_valid(keys(), token, session, "password\0"s));
}

TEST_CASE("a CSRF token survives a key rotation, but not a session without an id",
          "[portal][session]") {
  const web::TokenKeys old_keys({{"old", std::string(32, 'o')}});
  const web::TokenKeys rotated({{"new", std::string(32, 'n')}, {"old", std::string(32, 'o')}});
  const Session session = read_ok(issue_session(old_keys, "h", kNow, kHour), kNow, old_keys);
  CHECK(
      session_csrf_valid(rotated, session_csrf(old_keys, session, "profile"), session, "profile"));
  Session no_id = session;
  no_id.id.clear();
  CHECK_THROWS_AS(session_csrf(keys(), no_id, "profile"), std::invalid_argument);
  CHECK_FALSE(session_csrf_valid(keys(), keys().sign("portal-csrf:profile", ""), no_id, "profile"));
}
