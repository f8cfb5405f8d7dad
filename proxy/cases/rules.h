#pragma once
// The workflow rules of appeals and access requests: who reviews an appeal, what a decision or
// an answer does to a case and until when a grant holds. Pure: the web front and the admin API
// call these, then hand the result to a store.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "policy/time_zone.h"
#include "proxy/cases/case.h"

namespace shelter::proxy::cases {

/// A decision or answer that the rules do not allow (the admin API's 400, with this text).
struct RuleViolation : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Who reviews an appeal against a block: a legal list's goes to its authority (the operator
/// cannot lift it), a venue policy's to the venue, everything else to the operator, a
/// parent's block reported by anyone included (never to the household: a webmaster must not
/// learn who blocked their site).
Route appeal_route(bool legal, bool venue);

/// The appeal once `outcome` is decided at `now`. Throws RuleViolation: a closed appeal, an
/// empty reason, or an overturn of a legal list's block (those are referred).
Appeal decide_appeal(Appeal appeal, Outcome outcome, std::string reason, std::string by,
                     std::int64_t now);

/// When a grant for `answer` given at `now` ends: 15 minutes, an hour, the end of the
/// household's day in `zone`, or kAlways; none for keep_blocked.
std::optional<std::int64_t> grant_end(Answer answer, std::int64_t now,
                                      const policy::TimeZone& zone);

/// The request once answered. Throws RuleViolation when it is not waiting.
AccessRequest answer_request(AccessRequest request, Answer answer, std::string by, std::int64_t now,
                             const policy::TimeZone& zone);

/// The grant an answered request puts in force; none when it was kept blocked.
std::optional<Grant> grant_of(const AccessRequest& request);

/// The status a request shows at `now`: an allowed request whose grant ended shows "expired"
/// (the child sees the site is blocked again, and why).
RequestStatus shown_status(const AccessRequest& request, std::int64_t now);

/// Random identifiers (OpenSSL's generator): an appeal's short id (8 characters of Crockford
/// base32, unambiguous on the phone), the secret of its status page (26 characters, 128 bits),
/// a request's id (26 characters).
std::string new_appeal_id();
std::string new_secret();
/// Hex SHA-256 of a status secret: what the store keeps.
std::string secret_hash(std::string_view secret);
/// Whether `secret` is the one whose hash is `hash` (constant time).
bool secret_matches(std::string_view secret, std::string_view hash);

}  // namespace shelter::proxy::cases
