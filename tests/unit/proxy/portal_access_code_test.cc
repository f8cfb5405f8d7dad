// First-access codes: 80 random bits in Crockford base32, forgiving to type, stored as a
// SHA-256 digest and matched in constant time.

#include "proxy/portal/access_code.h"

#include <array>
#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace shelter::proxy::portal;
using namespace std::string_literals;

namespace {

// SHA-256 of "0123456789ABCDEF" in base64url, computed independently.
constexpr std::string_view kKnownCode = "0123456789ABCDEF";
constexpr std::string_view kKnownDigest = "sha256$ISWywzKxETqum_xen347TJHYKMuULC3x7rAlAuzK6ek";

}  // namespace

TEST_CASE("a fresh code is four groups of four Crockford characters", "[portal][access-code]") {
  std::set<std::string> codes;
  std::set<char> seen;
  for (int i = 0; i < 256; ++i) {
    const std::string code = make_access_code();
    INFO(code);
    REQUIRE(code.size() == 19);
    for (std::size_t at = 0; at < code.size(); ++at) {
      if (at % 5 == 4) {
        CHECK(code[at] == '-');
      } else {
        CHECK(kAccessCodeAlphabet.find(code[at]) != std::string_view::npos);
        seen.insert(code[at]);
      }
    }
    const std::optional<std::string> normalised = normalise_access_code(code);
    REQUIRE(normalised.has_value());
    CHECK(normalised->size() == kAccessCodeChars);
    CHECK(access_code_matches(code, access_code_digest(*normalised)));
    codes.insert(code);
  }
  CHECK(codes.size() == 256);
  CHECK(seen.size() == kAccessCodeAlphabet.size());
}

TEST_CASE("every character of a code carries five random bits", "[portal][access-code]") {
  // 1024 codes: each of the 32 characters turns up at each of the 16 places unless the bits are
  // read wrongly (a miss by chance: under 1 in 10^11).
  std::array<std::set<char>, kAccessCodeChars> seen{};
  for (int i = 0; i < 1024; ++i) {
    const std::optional<std::string> code = normalise_access_code(make_access_code());
    REQUIRE(code.has_value());
    for (std::size_t at = 0; at < kAccessCodeChars; ++at)
      seen[at].insert((*code)[at]);
  }
  for (std::size_t at = 0; at < kAccessCodeChars; ++at) {
    INFO(at);
    CHECK(seen[at].size() == kAccessCodeAlphabet.size());
  }
}

TEST_CASE("typed codes are normalised as Crockford says", "[portal][access-code]") {
  struct Case {
    std::string typed;
    std::optional<std::string> normalised;
  };
  const Case cases[] = {
      {"ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS"},
      {"abcd-efgh-jkmn-pqrs", "ABCDEFGHJKMNPQRS"},
      {"ABCDEFGHJKMNPQRS", "ABCDEFGHJKMNPQRS"},
      {"abcd efgh jkmn pqrs", "ABCDEFGHJKMNPQRS"},
      {"  a-b c--d efghjkmnpqrs - ", "ABCDEFGHJKMNPQRS"},
      {"oOiIlL00-1111-2222-3333", std::nullopt},  // 20 characters
      {"oOiI-lL00-1111-2222",
       "00111100"
       "11112222"},
      {"TVWX-YZ98-7654-3210", "TVWXYZ9876543210"},
      {"0123-4567-89AB-CDEF", "0123456789ABCDEF"},
      {"ABCD-EFGH-JKMN-PQR", std::nullopt},    // 15
      {"ABCD-EFGH-JKMN-PQRST", std::nullopt},  // 17
      {"ABCD-EFGH-JKMN-PQRU", std::nullopt},   // U is not Crockford
      {"ABCD-EFGH-JKMN-PQR_", std::nullopt},
      {"ABCD_EFGH_JKMN_PQRS", std::nullopt},
      {"ABCD\tEFGH-JKMN-PQRS", std::nullopt},
      {"ABCD.EFGH.JKMN.PQRS", std::nullopt},
      {"ABCD-EFGH-JKMN-PQR\xc3\x9f", std::nullopt},
      {"ABCD-EFGH-JKMN-PQR\0"s, std::nullopt},
      {"", std::nullopt},
      {"----", std::nullopt},
      {"ABCD-EFGH-JKMN-PQRS" + std::string(45, ' '), "ABCDEFGHJKMNPQRS"},  // 64 bytes
      {"ABCD-EFGH-JKMN-PQRS" + std::string(46, ' '), std::nullopt},        // 65 bytes: too long
  };
  for (const Case& c : cases) {
    INFO(c.typed);
    CHECK(normalise_access_code(c.typed) == c.normalised);
  }
}

TEST_CASE("typed input is bounded before it is read", "[portal][access-code]") {
  const std::string padded =
      "ABCD-EFGH-JKMN-PQRS" + std::string(kMaxTypedAccessCodeBytes - 19, ' ');
  CHECK(normalise_access_code(padded) == "ABCDEFGHJKMNPQRS");
  CHECK_FALSE(normalise_access_code(padded + " ").has_value());
  CHECK_FALSE(normalise_access_code(std::string(1 << 20, '-')).has_value());
}

TEST_CASE("the stored digest is sha256$ and SHA-256 in base64url", "[portal][access-code]") {
  CHECK(access_code_digest(kKnownCode) == kKnownDigest);
  CHECK(access_code_matches("0123-4567-89ab-cdef", kKnownDigest));
  CHECK(access_code_matches("O123 4567 89AB CDEF", kKnownDigest));
  // Only canonical codes are digested: nothing typed could match a digest of anything else.
  for (std::string_view bad : {"0123-4567-89AB-CDEF", "0123456789abcdef", "0123456789ABCDE",
                               "0123456789ABCDEFG", "O123456789ABCDEF", ""}) {
    INFO(std::string(bad));
    CHECK_THROWS_AS(access_code_digest(bad), std::invalid_argument);
  }
}

TEST_CASE("a code matches its own digest only", "[portal][access-code]") {
  const std::string code = "7K3M-Q9XA-0000-ZZZZ";
  const std::string digest = access_code_digest(*normalise_access_code(code));
  CHECK(access_code_matches(code, digest));
  CHECK(access_code_matches("7k3mq9xaoooozzzz", digest));
  CHECK_FALSE(access_code_matches("7K3M-Q9XA-0000-ZZZY", digest));
  CHECK_FALSE(access_code_matches("7K3M-Q9XA-0000-ZZZ", digest));
  CHECK_FALSE(access_code_matches("", digest));
  CHECK_FALSE(access_code_matches(code, kKnownDigest));
  // Malformed digests never match, not even the code they were made from.
  for (const std::string& bad : {
           ""s,
           "sha256$"s,
           digest.substr(7),              // no prefix
           "SHA256$" + digest.substr(7),  // another prefix
           "sha512$" + digest.substr(7),
           digest.substr(0, digest.size() - 1),  // 31 bytes
           digest + "A",                         // 33 bytes
           digest + "AA",                        // not base64url's length
           digest.substr(0, 20) + "!" + digest.substr(21),
           digest + "=",
       }) {
    INFO(bad);
    CHECK_FALSE(access_code_matches(code, bad));
  }
}
