// Feeds arbitrary bytes to what reads the portal's session tokens, CSRF tokens and access codes,
// and aborts when an invariant fails: read_session gives a session exactly when it reports no
// fault, and only one issue_session could have written (a household id without control
// characters, a 16-byte id, a lifetime of at most 30 days, current at the time asked); a CSRF
// token holds for one form of one session at most; a normalised code is 16 Crockford
// characters that normalise to themselves, and a code matches its own digest and nothing
// else does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/portal/access_code.h"
#include "proxy/portal/session.h"
#include "proxy/web/signed_token.h"

namespace portal = shelter::proxy::portal;
namespace web = shelter::proxy::web;

namespace {

// The seed corpus (tests/fuzz/corpus/portal_session) holds tokens made with these keys at kNow.
constexpr std::int64_t kNow = 1'700'000'000;

void require(bool condition) {
  if (!condition) std::abort();
}

const web::TokenKeys& keys() {
  static const web::TokenKeys keys({{"fuzz", std::string(32, 'F')}, {"old", std::string(32, 'O')}});
  return keys;
}

// A session of the corpus, for the CSRF checks.
const portal::Session& session() {
  static const portal::Session session{"household-1", "AAAAAAAAAAAAAAAAAAAAAA", kNow, kNow + 3600};
  return session;
}

void check_session(std::string_view bytes) {
  for (std::int64_t now : {kNow, std::int64_t{0}, kNow + 30 * 24 * 3600}) {
    portal::SessionFault fault = portal::SessionFault::none;
    const std::optional<portal::Session> read = portal::read_session(keys(), bytes, now, &fault);
    require(read.has_value() == (fault == portal::SessionFault::none));
    if (!read) continue;
    require(!read->household.empty() && read->household.size() <= portal::kMaxHouseholdBytes);
    for (char c : read->household)
      require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    require(read->id.size() == 22);
    require(read->issued <= now + web::kClockSkewSeconds && now < read->expires);
    require(read->expires - read->issued <= portal::kMaxSessionLifetimeSeconds);
    require(!portal::revoked(*read, read->issued));
    require(portal::revoked(*read, read->issued + 1));
    // Its CSRF tokens hold for it and its form only.
    const std::string csrf = portal::session_csrf(keys(), *read, "password");
    require(portal::session_csrf_valid(keys(), csrf, *read, "password"));
    require(!portal::session_csrf_valid(keys(), csrf, *read, "profile"));
    require(!portal::session_csrf_valid(keys(), bytes, *read, "password"));
  }
}

void check_csrf(std::string_view bytes) {
  // The form name is the input's first line, the token the rest (or the whole input).
  const std::size_t newline = bytes.find('\n');
  const std::string_view form =
      newline == std::string_view::npos ? "password" : bytes.substr(0, newline);
  const std::string_view token =
      newline == std::string_view::npos ? bytes : bytes.substr(newline + 1);
  if (!portal::session_csrf_valid(keys(), token, session(), form)) return;
  portal::Session other = session();
  other.id = "AAAAAAAAAAAAAAAAAAAAAQ";
  require(!portal::session_csrf_valid(keys(), token, other, form));
  require(!portal::read_session(keys(), token, kNow).has_value());
}

// Fresh codes (random, so checked once per run rather than per input) read back as themselves.
bool fresh_codes_read_back() {
  for (int i = 0; i < 64; ++i) {
    const std::string made = portal::make_access_code();
    const std::optional<std::string> code = portal::normalise_access_code(made);
    if (!code || !portal::access_code_matches(made, portal::access_code_digest(*code))) {
      return false;
    }
  }
  return true;
}

void check_code(std::string_view bytes) {
  static const bool fresh = fresh_codes_read_back();
  require(fresh);
  const std::optional<std::string> code = portal::normalise_access_code(bytes);
  if (code) {
    require(bytes.size() <= portal::kMaxTypedAccessCodeBytes);
    require(code->size() == portal::kAccessCodeChars);
    for (char c : *code)
      require(portal::kAccessCodeAlphabet.find(c) != std::string_view::npos);
    require(portal::normalise_access_code(*code) == code);
    const std::string digest = portal::access_code_digest(*code);
    require(portal::access_code_matches(bytes, digest));
  }
  // Any input as a stored digest: a code matches it only if it is that code's digest.
  static const std::string kCode = "0123456789ABCDEF";
  if (portal::access_code_matches(kCode, bytes)) {
    require(bytes == portal::access_code_digest(kCode));
  }
  static const std::string kDigest = portal::access_code_digest(kCode);
  require(portal::access_code_matches(bytes, kDigest) == (code == kCode));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_session(bytes);
  check_csrf(bytes);
  check_code(bytes);
  return 0;
}
