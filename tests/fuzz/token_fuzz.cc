// Feeds arbitrary bytes to what reads tokens and token keys, and aborts when an invariant fails:
// a token is accepted only in the one spelling sign() gives it (base64url is strict, the
// payload canonical), so re-signing what was accepted gives the input back; verify() gives a
// payload exactly when it reports no fault; a decision that is not ok carries no facts; a CSRF
// token holds for one client at most; key files either give keys that sign and verify, or an
// error that names a line; base64url and issue times round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/net/endpoint.h"
#include "proxy/web/csrf.h"
#include "proxy/web/decision_token.h"
#include "proxy/web/signed_token.h"

namespace web = shelter::proxy::web;
using shelter::proxy::net::Address;

namespace {

// The seed corpus (tests/fuzz/corpus/token) holds tokens made with these keys at kNow.
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kLifetime = 3600;

void require(bool condition) {
  if (!condition) std::abort();
}

const web::TokenKeys& keys() {
  static const web::TokenKeys keys({{"fuzz", std::string(32, 'F')}, {"old", std::string(32, 'O')}});
  return keys;
}

// The key that signed a token, as the only key: re-signing with it must give the token back.
const web::TokenKeys& signer(std::string_view token) {
  static const web::TokenKeys fuzz({{"fuzz", std::string(32, 'F')}});
  static const web::TokenKeys old({{"old", std::string(32, 'O')}});
  return token.substr(0, token.find('.')) == "old" ? old : fuzz;
}

const Address& client(bool v6) {
  static const Address v4 = *Address::parse("192.0.2.7");
  static const Address v6_client = *Address::parse("2001:db8::7");
  return v6 ? v6_client : v4;
}

void check_verify(std::string_view bytes) {
  for (std::string_view purpose : {"decision", "csrf:appeal"}) {
    web::TokenFault fault = web::TokenFault::none;
    const std::optional<std::string> payload = keys().verify(purpose, bytes, &fault);
    require(payload.has_value() == (fault == web::TokenFault::none));
    if (payload) require(signer(bytes).sign(purpose, *payload) == bytes);
  }
}

void check_decision(std::string_view bytes) {
  const web::DecodedDecision decoded = web::decode_decision(keys(), bytes, kNow, kLifetime);
  require(!web::check_name(decoded.check).empty());
  if (decoded.check == web::TokenCheck::ok) {
    require(decoded.facts.site.empty() || !decoded.facts.legal);
    require(web::encode_decision(signer(bytes), decoded.facts) == bytes);
  } else {
    require(decoded.facts == web::DecisionFacts{});
  }
}

void check_csrf(std::string_view bytes) {
  const bool v4 = web::csrf_valid(keys(), bytes, "appeal", client(false), kNow, kLifetime);
  const bool v6 = web::csrf_valid(keys(), bytes, "appeal", client(true), kNow, kLifetime);
  require(!(v4 && v6));
  if (v4 || v6) require(!web::csrf_valid(keys(), bytes, "ask", client(v6), kNow, kLifetime));
}

void check_key_file(std::string_view bytes) {
  std::string error;
  const std::optional<std::vector<web::TokenKey>> read = web::read_token_keys(bytes, error);
  if (!read) {
    require(error == "no key" || error.rfind("line ", 0) == 0);
    return;
  }
  require(!read->empty());
  const web::TokenKeys file_keys(*read);  // throws (and so aborts) on a key it should refuse
  const std::string token = file_keys.sign("decision", "payload");
  require(file_keys.verify("decision", token) == "payload");
}

void check_codecs(std::string_view bytes) {
  if (const std::optional<std::string> decoded = web::base64url_decode(bytes)) {
    require(web::base64url_encode(*decoded) == bytes);
  }
  require(web::base64url_decode(web::base64url_encode(bytes)) == bytes);
  if (const std::optional<std::int64_t> seconds = web::parse_seconds(bytes)) {
    require(web::seconds_text(*seconds) == bytes);
  }
  // Any payload that fits signs and verifies; as a decision it is ok only if it was canonical.
  const std::string_view payload = bytes.substr(0, 700);
  const std::string token = keys().sign("decision", payload);
  require(keys().verify("decision", token) == payload);
  check_decision(token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_verify(bytes);
  check_decision(bytes);
  check_csrf(bytes);
  check_key_file(bytes);
  check_codecs(bytes);
  return 0;
}
