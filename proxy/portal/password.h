#pragma once
// Household passwords for the parents' portal: hashed with scrypt (memory-hard, OpenSSL 3's
// EVP_PBE_scrypt; no new dependency), stored as one self-describing string
//   $scrypt$ln=15,r=8,p=1$<salt, base64url>$<hash, base64url>
// so that the parameters can be raised later and old hashes still verify (and say they need a
// rehash). Pure apart from the random salt; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::proxy::portal {

struct ScryptCost {
  std::uint8_t log2_n = 15;  ///< N = 2^15: 32 MiB with r = 8, 0.1-0.2 s on one core
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  bool operator==(const ScryptCost&) const = default;
};

/// The bounds a stored hash's parameters must keep to be verified at all: a tampered record
/// must not make the portal spend gigabytes or minutes on one sign-in.
inline constexpr std::uint8_t kMinLog2N = 10;
inline constexpr std::uint8_t kMaxLog2N = 20;
inline constexpr std::uint32_t kMaxR = 32;
inline constexpr std::uint32_t kMaxP = 4;
/// Passwords longer than this are refused before hashing (no work for megabytes of input).
inline constexpr std::size_t kMaxPasswordBytes = 1024;

/// The stored form of `password` with a fresh 16-byte random salt. Throws std::runtime_error
/// when OpenSSL has no randomness or memory, std::invalid_argument for a password that is
/// empty or over kMaxPasswordBytes, or a cost outside the bounds.
std::string hash_password(std::string_view password, const ScryptCost& cost = {});

enum class PasswordCheck : std::uint8_t {
  match,
  mismatch,
  malformed,  ///< not a hash this code wrote, or parameters outside the bounds: never a match
};

/// Compares `password` with a stored hash, in time that does not depend on where they differ.
PasswordCheck verify_password(std::string_view password, std::string_view stored);

/// The parameters of a stored hash, or nullopt when it is malformed.
std::optional<ScryptCost> cost_of(std::string_view stored);

/// Whether a stored hash was made with other parameters than `cost` (rehash it at the next
/// successful sign-in).
bool needs_rehash(std::string_view stored, const ScryptCost& cost = {});

}  // namespace shelter::proxy::portal
