#pragma once
// The decision token: what the block page puts in its "Report a mistake" link, and what a proxy
// redirect to the page will carry, so that a later page can say why something was blocked
// without trusting the address a request comes from. Signed (purpose "decision") and free of
// personal data: no address, no profile, no full URL, and for a legal list's block not even the
// host. Pure (fuzzed by token_fuzz).

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/web/signed_token.h"

namespace shelter::proxy::web {

/// What a block was. Every field is checked by encode_decision and again by decode_decision.
struct DecisionFacts {
  std::int64_t issued = 0;  ///< UTC seconds, >= 0
  std::string kind{};       ///< page kind: "child", "teen", "general", "venue", "security", "legal"
  std::string list{};       ///< list id, [a-z0-9._-]{0,64}
  std::string category{};   ///< [a-z0-9._-]{0,64}
  std::string rule{};       ///< rule id, decimal digits (at most 20), may be empty
  std::string reason{};     ///< "list", "paused", "schedule", "profile-deny", ...: [a-z-]{0,24}
  std::string site{};       ///< normalised host: lower-case LDH labels and dots, <= 253, or empty
  bool legal = false;       ///< a legal (authority) list's block: kind "legal", and never a site

  bool operator==(const DecisionFacts&) const = default;
};

enum class TokenCheck : std::uint8_t { ok, malformed, bad_signature, expired, from_future };

struct DecodedDecision {
  TokenCheck check = TokenCheck::malformed;
  DecisionFacts facts;  ///< set only when check == ok
};

/// The signed token for `facts`, under the signing key of `keys`. Throws std::invalid_argument
/// for facts that break the rules above: a legal block with a site above all.
std::string encode_decision(const TokenKeys& keys, const DecisionFacts& facts);

/// Checks `token` at `now` (UTC seconds): malformed (including a validly signed payload whose
/// fields break the rules), bad_signature (tampered, an unknown key, or a token signed for
/// another purpose), from_future (issued more than kClockSkewSeconds after `now`), expired
/// (`now - issued >= lifetime_seconds`), else ok.
DecodedDecision decode_decision(const TokenKeys& keys, std::string_view token, std::int64_t now,
                                std::int64_t lifetime_seconds);

/// "ok", "malformed", "bad-signature", "expired", "from-future" (metrics labels, log lines).
std::string_view check_name(TokenCheck check);

}  // namespace shelter::proxy::web
