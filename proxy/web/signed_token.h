#pragma once
// Signed, expiring tokens for the web front: what the block page hands out (a decision token in
// its "Report a mistake" link, a CSRF token in its forms) and takes back later, perhaps on
// another node. HMAC-SHA256 under a named key, so keys can be rotated: the first key signs,
// every key verifies. Pure: no I/O but the random key of TokenKeys::random().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::proxy::web {

/// A signing key. `id`: [A-Za-z0-9_-]{1,16}, named in every token it signs; `secret`: raw bytes,
/// at least kMinSecretBytes of them.
struct TokenKey {
  std::string id;
  std::string secret;
};

inline constexpr std::size_t kMinSecretBytes = 32;
/// The longest token verify() looks at, and so the longest sign() makes.
inline constexpr std::size_t kMaxTokenBytes = 1024;

/// Why verify() refused a token.
enum class TokenFault : std::uint8_t {
  none,         ///< accepted
  malformed,    ///< not "<kid>.<payload>.<mac>" in strict base64url, or over kMaxTokenBytes
  unknown_key,  ///< well formed, but names no key this node has (rotated out, another node's)
  bad_mac,      ///< a known key, but the MAC does not match: tampered, or another purpose
};

/// The keys of a node. Immutable after construction; safe to share between threads.
class TokenKeys {
 public:
  /// Throws std::invalid_argument on an empty list, a bad or repeated id, or a short secret.
  explicit TokenKeys(std::vector<TokenKey> keys);

  /// One random 32-byte key with id "boot", for a node without configured keys: its tokens die
  /// with the process and are not accepted by other nodes. Throws std::runtime_error when the
  /// system has no randomness to give.
  static TokenKeys random();

  /// "<kid>.<base64url(payload)>.<base64url(mac)>", mac = HMAC-SHA256(secret, purpose '\0' kid
  /// '\0' payload), under the first key. `purpose` separates uses ("decision", "csrf:appeal")
  /// so that a token of one kind is never accepted as another. Throws std::invalid_argument
  /// when `purpose` holds a NUL byte or the token would pass kMaxTokenBytes.
  std::string sign(std::string_view purpose, std::string_view payload) const;

  /// The payload when the token is well formed, at most kMaxTokenBytes, names a known key and
  /// its MAC matches; else nullopt, with the reason in `*fault` when given.
  std::optional<std::string> verify(std::string_view purpose, std::string_view token,
                                    TokenFault* fault = nullptr) const;

 private:
  std::vector<TokenKey> keys_{};
};

/// Whether `id` is a valid key id.
bool valid_key_id(std::string_view id);

/// Reads keys from a file's text: one key per line, "id secret", the secret in hex or base64url
/// (hex when it is an even number of hex digits) and at least kMinSecretBytes once decoded;
/// '#' starts a comment. The first key signs. nullopt and `error` ("line 3: ...", quoting no
/// secret) on any bad line, a repeated id, or no key at all. (Config: web.token-keys-file.)
std::optional<std::vector<TokenKey>> read_token_keys(std::string_view text, std::string& error);

/// RFC 4648 base64url without padding.
std::string base64url_encode(std::string_view bytes);
/// Strict: nullopt on padding, a byte outside the alphabet, an impossible length or non-zero
/// trailing bits, so that every byte string has exactly one encoding (a token cannot be
/// altered into another that verifies).
std::optional<std::string> base64url_decode(std::string_view text);

/// How far a token's issue time may lie ahead of the checker's clock (nodes' clocks differ).
inline constexpr std::int64_t kClockSkewSeconds = 300;

enum class Freshness : std::uint8_t { fresh, expired, from_future };

/// A token issued at `issued` (UTC seconds) is fresh at `now` from `issued - kClockSkewSeconds`
/// until just before `issued + lifetime_seconds`: expired once `now - issued >= lifetime`.
Freshness freshness(std::int64_t issued, std::int64_t now, std::int64_t lifetime_seconds);

/// Issue times in payloads: canonical decimal (no sign, no leading zeros), 0 to INT64_MAX.
/// seconds_text throws std::invalid_argument for a negative time.
std::string seconds_text(std::int64_t seconds);
std::optional<std::int64_t> parse_seconds(std::string_view text);

}  // namespace shelter::proxy::web
