#pragma once
// The parents' portal's sessions: a signed, expiring token in a cookie, and nothing kept on the
// server. Any node holding the web token keys can check one (a fleet shares no session table),
// and the token says only which household signed in, when, and until when. What stateless
// tokens cannot do alone, revocation, is done with one time per household that the caller keeps
// ("sessions valid after"): signing out or changing the password raises it, and every session
// issued before it is refused (revoked()). Forms inside a session carry a CSRF token bound to the
// session's random id, so a token leaked from one session is worth nothing in another.
// Pure apart from the random session id; no I/O. Fuzzed by portal_session_fuzz.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/web/signed_token.h"

namespace shelter::proxy::portal {

/// The longest household id a session carries (bytes).
inline constexpr std::size_t kMaxHouseholdBytes = 128;
/// The longest lifetime a session may have; a signed token claiming more is malformed, so that
/// a leaked signing key or a misconfigured node cannot mint sessions that live for years.
inline constexpr std::int64_t kMaxSessionLifetimeSeconds = 30 * 24 * 3600;

struct Session {
  std::string household{};   ///< the household signed in: 1 to 128 bytes, no control characters
  std::string id{};          ///< 16 random bytes in base64url (22 characters): binds CSRF tokens
  std::int64_t issued = 0;   ///< UTC seconds
  std::int64_t expires = 0;  ///< UTC seconds; the session is over once now >= expires
  bool operator==(const Session&) const = default;
};

/// A new session token for `household`, issued at `now` (UTC seconds, >= 0) and valid for
/// `lifetime_seconds`, signed under the first key of `keys` for the purpose "portal-session".
/// Throws std::invalid_argument for a household id that is empty, over kMaxHouseholdBytes or
/// holds a control character (bytes 0-31 and 127), a negative `now`, or a lifetime that is not
/// positive or is over kMaxSessionLifetimeSeconds; std::runtime_error when OpenSSL has no
/// randomness.
std::string issue_session(const web::TokenKeys& keys, std::string_view household, std::int64_t now,
                          std::int64_t lifetime_seconds);

/// Why read_session refused a token.
enum class SessionFault : std::uint8_t {
  none,           ///< accepted
  malformed,      ///< not a token, or a validly signed payload this code would not have written
  bad_signature,  ///< tampered, signed by a key this node does not have, or for another purpose
  expired,        ///< now >= expires
  from_future,    ///< issued more than web::kClockSkewSeconds after `now`
};

/// The session in `token` when it is well formed, signed by one of `keys` for the purpose
/// "portal-session", and current at `now` (UTC seconds); else nullopt, with the reason in
/// `*fault` when given. Whether the household has since revoked it is the caller's question
/// (revoked()).
std::optional<Session> read_session(const web::TokenKeys& keys, std::string_view token,
                                    std::int64_t now, SessionFault* fault = nullptr);

/// Whether `session` was issued before the household's `sessions_valid_after` (UTC seconds).
/// Times are whole seconds: raising it to `now` at a sign-out leaves a session issued in that
/// same second valid; raise it to `now + 1` to refuse those too (a new sign-in in that second
/// is then refused as well).
bool revoked(const Session& session, std::int64_t sessions_valid_after);

/// A CSRF token for `form` ("password", "profile") inside `session`: signed for the purpose
/// "portal-csrf:<form>" over the session id. It holds as long as the session does (it has no
/// time of its own) and in no other session. Throws std::invalid_argument for a session with
/// an empty id or a form name with a NUL byte.
std::string session_csrf(const web::TokenKeys& keys, const Session& session, std::string_view form);

/// Whether `token` was made by session_csrf for this `session` and `form`. Compares the
/// session ids in constant time.
bool session_csrf_valid(const web::TokenKeys& keys, std::string_view token, const Session& session,
                        std::string_view form);

}  // namespace shelter::proxy::portal
