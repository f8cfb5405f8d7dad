#include "proxy/web/signed_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <limits>
#include <stdexcept>
#include <utility>

namespace shelter::proxy::web {
namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMaxKeyIdBytes = 16;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using Mac = std::array<unsigned char, kMacBytes>;

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = hex_value(text[i]);
    const int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

std::size_t encoded_size(std::size_t bytes) {
  return bytes / 3 * 4 + (bytes % 3 == 0 ? 0 : bytes % 3 + 1);
}

// The NULs make the three parts unambiguous: neither a purpose nor a key id holds one, so no
// (purpose, kid, payload) triple can be shifted into another with the same MAC input.
std::optional<Mac> compute_mac(const TokenKey& key, std::string_view purpose,
                               std::string_view payload) {
  std::string message;
  message.reserve(purpose.size() + key.id.size() + payload.size() + 2);
  message.append(purpose).append(1, '\0').append(key.id).append(1, '\0').append(payload);
  Mac mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &length) == nullptr ||
      length != kMacBytes) {
    return std::nullopt;
  }
  return mac;
}

std::optional<std::string> refuse(TokenFault why, TokenFault* fault) {
  if (fault != nullptr) *fault = why;
  return std::nullopt;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// A key file line's fields, split on spaces and tabs.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    if (is_space(line[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < line.size() && !is_space(line[end]))
      ++end;
    fields.push_back(line.substr(i, end - i));
    i = end;
  }
  return fields;
}

// The secret of a key file line; hex first, since a base64url secret of 32 or more bytes is
// all hex digits with an even length only by a chance of about 1 in 10^30.
std::optional<std::string> decode_secret(std::string_view text) {
  if (auto hex = hex_decode(text)) return hex;
  return base64url_decode(text);
}

}  // namespace

bool valid_key_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxKeyIdBytes &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return base64url_value(c) >= 0;  // the same set: letters, digits, '-' and '_'
         });
}

TokenKeys::TokenKeys(std::vector<TokenKey> keys) : keys_(std::move(keys)) {
  if (keys_.empty()) throw std::invalid_argument("no token key");
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const TokenKey& key = keys_[i];
    if (!valid_key_id(key.id)) {
      throw std::invalid_argument("a token key id is 1 to 16 of A-Z a-z 0-9 _ -");
    }
    if (key.secret.size() < kMinSecretBytes ||
        key.secret.size() > static_cast<std::size_t>(INT_MAX)) {
      throw std::invalid_argument("token key " + key.id + ": the secret is under 32 bytes");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (keys_[j].id == key.id) throw std::invalid_argument("token key " + key.id + " repeated");
    }
  }
}

TokenKeys TokenKeys::random() {
  std::array<unsigned char, kMinSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no randomness for a token key");
  }
  TokenKey key{"boot", std::string(bytes.begin(), bytes.end())};
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return TokenKeys({std::move(key)});
}

std::string TokenKeys::sign(std::string_view purpose, std::string_view payload) const {
  if (purpose.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("a token purpose with a NUL byte");
  }
  const TokenKey& key = keys_.front();
  if (key.id.size() + encoded_size(payload.size()) + encoded_size(kMacBytes) + 2 > kMaxTokenBytes) {
    throw std::invalid_argument("a token payload too large");
  }
  const std::optional<Mac> mac = compute_mac(key, purpose, payload);
  if (!mac) throw std::runtime_error("HMAC-SHA256 failed");
  const std::string_view mac_bytes(reinterpret_cast<const char*>(mac->data()), mac->size());
  return key.id + "." + base64url_encode(payload) + "." + base64url_encode(mac_bytes);
}

std::optional<std::string> TokenKeys::verify(std::string_view purpose, std::string_view token,
                                             TokenFault* fault) const {
  if (token.size() > kMaxTokenBytes) return refuse(TokenFault::malformed, fault);
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first == std::string_view::npos ? 0 : first + 1);
  if (second == std::string_view::npos) return refuse(TokenFault::malformed, fault);
  const std::string_view kid = token.substr(0, first);
  std::optional<std::string> payload =
      base64url_decode(token.substr(first + 1, second - first - 1));
  const std::optional<std::string> mac = base64url_decode(token.substr(second + 1));
  if (!valid_key_id(kid) || !payload || !mac || mac->size() != kMacBytes) {
    return refuse(TokenFault::malformed, fault);
  }
  const auto key =
      std::find_if(keys_.begin(), keys_.end(), [kid](const TokenKey& k) { return k.id == kid; });
  if (key == keys_.end()) return refuse(TokenFault::unknown_key, fault);
  // A purpose with a NUL was never signed (sign refuses it), and would make the MAC input
  // ambiguous.
  if (purpose.find('\0') != std::string_view::npos) return refuse(TokenFault::bad_mac, fault);
  const std::optional<Mac> expected = compute_mac(*key, purpose, *payload);
  if (!expected || CRYPTO_memcmp(expected->data(), mac->data(), kMacBytes) != 0) {
    return refuse(TokenFault::bad_mac, fault);
  }
  if (fault != nullptr) *fault = TokenFault::none;
  return payload;
}

std::optional<std::vector<TokenKey>> read_token_keys(std::string_view text, std::string& error) {
  std::vector<TokenKey> keys;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t newline = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(std::min(newline + 1, text.size()));
    ++number;
    line = line.substr(0, std::min(line.find('#'), line.size()));
    const std::vector<std::string_view> fields = fields_of(line);
    if (fields.empty()) continue;
    const std::string where = "line " + std::to_string(number) + ": ";
    if (fields.size() != 2) {
      error = where + "expected \"id secret\"";
      return std::nullopt;
    }
    if (!valid_key_id(fields[0])) {
      error = where + "a key id is 1 to 16 of A-Z a-z 0-9 _ -";
      return std::nullopt;
    }
    std::optional<std::string> secret = decode_secret(fields[1]);
    if (!secret) {
      error = where + "the secret is neither hex nor base64url (without padding)";
      return std::nullopt;
    }
    if (secret->size() < kMinSecretBytes) {
      error = where + "the secret is under 32 bytes";
      return std::nullopt;
    }
    if (std::any_of(keys.begin(), keys.end(),
                    [&](const TokenKey& k) { return k.id == fields[0]; })) {
      error = where + "key id " + std::string(fields[0]) + " repeated";
      return std::nullopt;
    }
    keys.push_back({std::string(fields[0]), std::move(*secret)});
  }
  if (keys.empty()) {
    error = "no key";
    return std::nullopt;
  }
  return keys;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve(encoded_size(bytes.size()));
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]))
                                << 8 |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    if (rest == 2) out += kAlphabet[n >> 6 & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  unsigned held = 0;
  for (char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6 | static_cast<std::uint32_t>(value)) & 0xffffff;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += static_cast<char>(bits >> held & 0xff);
    }
  }
  // Bits left over past the last whole byte must be zero; otherwise several texts would decode
  // to the same bytes.
  if ((bits & ((1u << held) - 1)) != 0) return std::nullopt;
  return out;
}

Freshness freshness(std::int64_t issued, std::int64_t now, std::int64_t lifetime_seconds) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (now <= kMax - kClockSkewSeconds && issued > now + kClockSkewSeconds) {
    return Freshness::from_future;
  }
  if (lifetime_seconds <= 0) return Freshness::expired;
  std::int64_t age = 0;
  // Past the check above, an overflow can only mean a very large age.
  if (__builtin_sub_overflow(now, issued, &age)) return Freshness::expired;
  return age >= lifetime_seconds ? Freshness::expired : Freshness::fresh;
}

std::string seconds_text(std::int64_t seconds) {
  if (seconds < 0) throw std::invalid_argument("a negative issue time");
  return std::to_string(seconds);
}

std::optional<std::int64_t> parse_seconds(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace shelter::proxy::web
