#pragma once
// First-access codes: the portal ships with no default password. The ISP sends each household a
// one-time code (on the contract, by post or SMS) which opens the portal once, to choose a
// password. So the code is made to be read and typed by people: 80 random bits as 16 Crockford
// base32 characters in groups of four ("7K3M-Q9XA-..."), an alphabet without I, L, O and U, and
// typing is forgiving (lower case, spaces, dashes, O for 0, I or L for 1).
// Only a digest of the code is stored, SHA-256 and not a password hash: a code has 80 bits of
// entropy, so a stolen digest cannot be reversed by trying codes (2^80 SHA-256 computations),
// and sign-in attempts are throttled (LoginThrottle), so a slow hash would buy nothing and cost
// the portal time on every attempt. Pure apart from the random code; no I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::proxy::portal {

/// The characters of a normalised code (Crockford base32: digits, then letters without I, L, O
/// and U).
inline constexpr std::string_view kAccessCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code, not counting dashes: 16 x 5 bits = 80 bits.
inline constexpr std::size_t kAccessCodeChars = 16;
/// Typed input longer than this is refused before any work.
inline constexpr std::size_t kMaxTypedAccessCodeBytes = 64;

/// A fresh code as shown to people: "ABCD-EFGH-JKMN-PQRS" (19 characters). Throws
/// std::runtime_error when OpenSSL has no randomness.
std::string make_access_code();

/// The 16-character canonical form of what someone typed (upper case, no dashes), accepting
/// lower case, spaces and dashes anywhere, O for 0 and I or L for 1; nullopt for any other
/// character (U included), a wrong number of characters, or over kMaxTypedAccessCodeBytes.
std::optional<std::string> normalise_access_code(std::string_view typed);

/// What is stored for a code: "sha256$<base64url(SHA-256(normalised))>". Throws
/// std::invalid_argument when `normalised` is not a canonical code (pass make_access_code()'s
/// result through normalise_access_code first), so that no digest is stored that nothing
/// typed could match.
std::string access_code_digest(std::string_view normalised);

/// Whether `typed` is the code of `stored_digest`, comparing digests in constant time; false for
/// a malformed code or digest. One-time use is the caller's: it deletes the digest once the code
/// has opened the portal.
bool access_code_matches(std::string_view typed, std::string_view stored_digest);

}  // namespace shelter::proxy::portal
