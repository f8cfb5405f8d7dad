#include "proxy/portal/access_code.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "proxy/web/signed_token.h"

namespace shelter::proxy::portal {
namespace {

constexpr std::string_view kDigestPrefix = "sha256$";
constexpr std::size_t kRandomBytes = kAccessCodeChars * 5 / 8;  // 10 bytes: 80 bits
constexpr std::size_t kGroup = 4;
constexpr std::size_t kDigestBytes = 32;

using Digest = std::array<unsigned char, kDigestBytes>;

// The canonical character for one typed character, or '\0' when it has none.
char canonical(char typed) {
  char c = typed;
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'O') return '0';
  if (c == 'I' || c == 'L') return '1';
  return kAccessCodeAlphabet.find(c) == std::string_view::npos ? '\0' : c;
}

bool is_canonical(std::string_view code) {
  if (code.size() != kAccessCodeChars) return false;
  for (char c : code) {
    if (kAccessCodeAlphabet.find(c) == std::string_view::npos) return false;
  }
  return true;
}

Digest sha256(std::string_view bytes) {
  Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != kDigestBytes) {
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

}  // namespace

std::string make_access_code() {
  std::array<unsigned char, kRandomBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no randomness for an access code");
  }
  std::string code;
  code.reserve(kAccessCodeChars + kAccessCodeChars / kGroup - 1);
  // 80 bits read five at a time, most significant first.
  std::uint32_t bits = 0;
  unsigned held = 0;
  std::size_t next = 0;
  for (std::size_t i = 0; i < kAccessCodeChars; ++i) {
    if (held < 5) {
      bits = (bits << 8 | bytes[next++]) & 0xfff;
      held += 8;
    }
    held -= 5;
    if (i > 0 && i % kGroup == 0) code += '-';
    code += kAccessCodeAlphabet[bits >> held & 31];
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return code;
}

std::optional<std::string> normalise_access_code(std::string_view typed) {
  if (typed.size() > kMaxTypedAccessCodeBytes) return std::nullopt;
  std::string code;
  code.reserve(kAccessCodeChars);
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    const char mapped = canonical(c);
    if (mapped == '\0' || code.size() == kAccessCodeChars) return std::nullopt;
    code += mapped;
  }
  if (code.size() != kAccessCodeChars) return std::nullopt;
  return code;
}

std::string access_code_digest(std::string_view normalised) {
  if (!is_canonical(normalised)) throw std::invalid_argument("not a normalised access code");
  const Digest digest = sha256(normalised);
  return std::string(kDigestPrefix) +
         web::base64url_encode(
             std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool access_code_matches(std::string_view typed, std::string_view stored_digest) {
  if (!stored_digest.starts_with(kDigestPrefix)) return false;
  const std::optional<std::string> stored =
      web::base64url_decode(stored_digest.substr(kDigestPrefix.size()));
  const std::optional<std::string> code = normalise_access_code(typed);
  if (!stored || stored->size() != kDigestBytes || !code) return false;
  const Digest digest = sha256(*code);
  return CRYPTO_memcmp(digest.data(), stored->data(), kDigestBytes) == 0;
}

}  // namespace shelter::proxy::portal
