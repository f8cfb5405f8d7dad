#include "proxy/portal/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <vector>

namespace shelter::proxy::portal {
namespace {

constexpr std::string_view kSessionPurpose = "portal-session";
constexpr std::string_view kCsrfPurpose = "portal-csrf:";
// The payload's version: a later format gets another tag, and this code refuses it as
// malformed rather than misreading it.
constexpr std::string_view kVersion = "1";
// The unit separator: a household id holds no control character and the other fields are
// base64url or digits, so the payload splits back into exactly the fields it was made of.
constexpr char kSeparator = '\x1f';
constexpr std::size_t kFieldCount = 5;
constexpr std::size_t kIdBytes = 16;

bool valid_household(std::string_view household) {
  return !household.empty() && household.size() <= kMaxHouseholdBytes &&
         std::none_of(household.begin(), household.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte < 0x20 || byte == 0x7f;
         });
}

bool valid_lifetime(std::int64_t lifetime_seconds) {
  return lifetime_seconds > 0 && lifetime_seconds <= kMaxSessionLifetimeSeconds;
}

// An id as new_id() writes it: base64url is strict, so one spelling per 16 bytes.
bool valid_id(std::string_view id) {
  const std::optional<std::string> bytes = web::base64url_decode(id);
  return bytes && bytes->size() == kIdBytes;
}

std::string new_id() {
  std::array<unsigned char, kIdBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no randomness for a session id");
  }
  return web::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> fields;
  while (fields.size() <= kFieldCount) {
    const std::size_t at = text.find(kSeparator);
    fields.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return fields;
}

// The session in a validly signed payload, or nullopt when it is not one issue_session writes.
std::optional<Session> parse_payload(std::string_view payload) {
  const std::vector<std::string_view> fields = split(payload);
  if (fields.size() != kFieldCount || fields[0] != kVersion) return std::nullopt;
  const std::optional<std::int64_t> issued = web::parse_seconds(fields[3]);
  const std::optional<std::int64_t> expires = web::parse_seconds(fields[4]);
  if (!valid_household(fields[1]) || !valid_id(fields[2]) || !issued || !expires ||
      *expires <= *issued || !valid_lifetime(*expires - *issued)) {
    return std::nullopt;
  }
  return Session{std::string(fields[1]), std::string(fields[2]), *issued, *expires};
}

std::optional<Session> refuse(SessionFault why, SessionFault* fault) {
  if (fault != nullptr) *fault = why;
  return std::nullopt;
}

std::string csrf_purpose(std::string_view form) {
  return std::string(kCsrfPurpose) + std::string(form);
}

}  // namespace

std::string issue_session(const web::TokenKeys& keys, std::string_view household, std::int64_t now,
                          std::int64_t lifetime_seconds) {
  if (!valid_household(household)) {
    throw std::invalid_argument("a household id is 1 to 128 bytes without control characters");
  }
  if (!valid_lifetime(lifetime_seconds)) {
    throw std::invalid_argument("a session lifetime is 1 second to 30 days");
  }
  if (now < 0 || now > std::numeric_limits<std::int64_t>::max() - lifetime_seconds) {
    throw std::invalid_argument("a session issue time out of range");
  }
  std::string payload(kVersion);
  for (const std::string& field : {std::string(household), new_id(), web::seconds_text(now),
                                   web::seconds_text(now + lifetime_seconds)}) {
    payload += kSeparator;
    payload += field;
  }
  return keys.sign(kSessionPurpose, payload);
}

std::optional<Session> read_session(const web::TokenKeys& keys, std::string_view token,
                                    std::int64_t now, SessionFault* fault) {
  web::TokenFault token_fault = web::TokenFault::none;
  const std::optional<std::string> payload = keys.verify(kSessionPurpose, token, &token_fault);
  if (!payload) {
    return refuse(token_fault == web::TokenFault::malformed ? SessionFault::malformed
                                                            : SessionFault::bad_signature,
                  fault);
  }
  std::optional<Session> session = parse_payload(*payload);
  if (!session) return refuse(SessionFault::malformed, fault);
  switch (web::freshness(session->issued, now, session->expires - session->issued)) {
    case web::Freshness::from_future:
      return refuse(SessionFault::from_future, fault);
    case web::Freshness::expired:
      return refuse(SessionFault::expired, fault);
    case web::Freshness::fresh:
      break;
  }
  if (fault != nullptr) *fault = SessionFault::none;
  return session;
}

bool revoked(const Session& session, std::int64_t sessions_valid_after) {
  return session.issued < sessions_valid_after;
}

std::string session_csrf(const web::TokenKeys& keys, const Session& session,
                         std::string_view form) {
  // An empty id would make one token good for every session without one.
  if (session.id.empty()) throw std::invalid_argument("a CSRF token for a session without an id");
  return keys.sign(csrf_purpose(form), session.id);
}

bool session_csrf_valid(const web::TokenKeys& keys, std::string_view token, const Session& session,
                        std::string_view form) {
  if (session.id.empty()) return false;
  const std::optional<std::string> payload = keys.verify(csrf_purpose(form), token);
  // Lengths are not secret (every id is 22 characters); the bytes are compared in constant time.
  return payload && payload->size() == session.id.size() &&
         CRYPTO_memcmp(payload->data(), session.id.data(), session.id.size()) == 0;
}

}  // namespace shelter::proxy::portal
