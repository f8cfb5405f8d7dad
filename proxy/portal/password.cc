#include "proxy/portal/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <stdexcept>

#include "proxy/web/signed_token.h"

namespace shelter::proxy::portal {
namespace {

constexpr std::string_view kPrefix = "$scrypt$";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

bool within_bounds(const ScryptCost& c) {
  return c.log2_n >= kMinLog2N && c.log2_n <= kMaxLog2N && c.r >= 1 && c.r <= kMaxR && c.p >= 1 &&
         c.p <= kMaxP;
}

// OpenSSL refuses by default above 32 MiB; the bounds above are the real limit.
std::uint64_t memory_for(const ScryptCost& c) {
  return (std::uint64_t{128} * c.r * ((std::uint64_t{1} << c.log2_n) + c.p + 2)) + (1u << 20);
}

bool derive(std::string_view password, std::string_view salt, const ScryptCost& cost,
            std::array<unsigned char, kHashBytes>& out) {
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                        std::uint64_t{1} << cost.log2_n, cost.r, cost.p, memory_for(cost),
                        out.data(), out.size()) == 1;
}

template <typename T>
bool read_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty() &&
         (text.size() == 1 || text.front() != '0');
}

struct Parsed {
  ScryptCost cost;
  std::string salt;
  std::string hash;
};

// "$scrypt$ln=N,r=R,p=P$salt$hash", exactly as hash_password writes it.
std::optional<Parsed> parse(std::string_view stored) {
  if (!stored.starts_with(kPrefix)) return std::nullopt;
  stored.remove_prefix(kPrefix.size());
  const std::size_t params_end = stored.find('$');
  if (params_end == std::string_view::npos) return std::nullopt;
  std::string_view params = stored.substr(0, params_end);
  std::string_view rest = stored.substr(params_end + 1);
  const std::size_t salt_end = rest.find('$');
  if (salt_end == std::string_view::npos) return std::nullopt;
  if (!params.starts_with("ln=")) return std::nullopt;
  params.remove_prefix(3);
  const std::size_t r_at = params.find(",r=");
  const std::size_t p_at = params.find(",p=");
  if (r_at == std::string_view::npos || p_at == std::string_view::npos || p_at < r_at)
    return std::nullopt;
  Parsed parsed;
  unsigned log2_n = 0;
  if (!read_number(params.substr(0, r_at), log2_n) ||
      !read_number(params.substr(r_at + 3, p_at - r_at - 3), parsed.cost.r) ||
      !read_number(params.substr(p_at + 3), parsed.cost.p) || log2_n > 255) {
    return std::nullopt;
  }
  parsed.cost.log2_n = static_cast<std::uint8_t>(log2_n);
  if (!within_bounds(parsed.cost)) return std::nullopt;
  auto salt = web::base64url_decode(rest.substr(0, salt_end));
  auto hash = web::base64url_decode(rest.substr(salt_end + 1));
  if (!salt || !hash || salt->size() != kSaltBytes || hash->size() != kHashBytes)
    return std::nullopt;
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

}  // namespace

std::string hash_password(std::string_view password, const ScryptCost& cost) {
  if (password.empty() || password.size() > kMaxPasswordBytes)
    throw std::invalid_argument("a password must be 1 to 1024 bytes");
  if (!within_bounds(cost)) throw std::invalid_argument("scrypt cost outside the bounds");
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("no randomness for a password salt");
  const std::string_view salt_view(reinterpret_cast<const char*>(salt.data()), salt.size());
  std::array<unsigned char, kHashBytes> hash{};
  if (!derive(password, salt_view, cost, hash)) throw std::runtime_error("scrypt failed");
  std::string out(kPrefix);
  out += "ln=" + std::to_string(cost.log2_n) + ",r=" + std::to_string(cost.r) +
         ",p=" + std::to_string(cost.p) + "$";
  out += web::base64url_encode(salt_view);
  out += '$';
  out += web::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
  OPENSSL_cleanse(hash.data(), hash.size());
  return out;
}

PasswordCheck verify_password(std::string_view password, std::string_view stored) {
  const std::optional<Parsed> parsed = parse(stored);
  if (!parsed) return PasswordCheck::malformed;
  if (password.empty() || password.size() > kMaxPasswordBytes) return PasswordCheck::mismatch;
  std::array<unsigned char, kHashBytes> hash{};
  if (!derive(password, parsed->salt, parsed->cost, hash)) return PasswordCheck::malformed;
  const bool same = CRYPTO_memcmp(hash.data(), parsed->hash.data(), kHashBytes) == 0;
  OPENSSL_cleanse(hash.data(), hash.size());
  return same ? PasswordCheck::match : PasswordCheck::mismatch;
}

std::optional<ScryptCost> cost_of(std::string_view stored) {
  std::optional<Parsed> parsed = parse(stored);
  if (!parsed) return std::nullopt;
  return parsed->cost;
}

bool needs_rehash(std::string_view stored, const ScryptCost& cost) {
  const std::optional<ScryptCost> current = cost_of(stored);
  return !current || !(*current == cost);
}

}  // namespace shelter::proxy::portal
