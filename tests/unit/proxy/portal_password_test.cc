// Household passwords: scrypt hashes that verify, refuse, carry their parameters, and never
// let a tampered record cost the portal more than the bounds allow.

#include "proxy/portal/password.h"

#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <string>

using namespace shelter::proxy::portal;

namespace {
// The lowest cost the bounds allow: the tests check behaviour, not strength.
constexpr ScryptCost kCheap{.log2_n = kMinLog2N, .r = 8, .p = 1};
}  // namespace

TEST_CASE("a hashed password verifies, and nothing else does", "[portal][password]") {
  const std::string stored = hash_password("correct horse battery staple", kCheap);
  CHECK(stored.starts_with("$scrypt$ln=10,r=8,p=1$"));
  CHECK(stored.find("correct") == std::string::npos);
  CHECK(verify_password("correct horse battery staple", stored) == PasswordCheck::match);
  CHECK(verify_password("correct horse battery stapl", stored) == PasswordCheck::mismatch);
  CHECK(verify_password("Correct horse battery staple", stored) == PasswordCheck::mismatch);
  CHECK(verify_password("", stored) == PasswordCheck::mismatch);
  CHECK(verify_password(std::string(kMaxPasswordBytes + 1, 'a'), stored) ==
        PasswordCheck::mismatch);
  // Any byte is a password byte: UTF-8, NUL.
  const std::string odd = std::string("p\xc3\xa4ss") + '\0' + "word";
  CHECK(verify_password(odd, hash_password(odd, kCheap)) == PasswordCheck::match);
}

TEST_CASE("every hash has its own salt", "[portal][password]") {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i)
    seen.insert(hash_password("same password", kCheap));
  CHECK(seen.size() == 8);
}

TEST_CASE("the default cost is scrypt N=2^15, r=8, p=1, and older costs ask for a rehash",
          "[portal][password]") {
  CHECK(ScryptCost{} == ScryptCost{.log2_n = 15, .r = 8, .p = 1});
  const std::string cheap = hash_password("pw", kCheap);
  REQUIRE(cost_of(cheap));
  CHECK(*cost_of(cheap) == kCheap);
  CHECK(needs_rehash(cheap));
  CHECK_FALSE(needs_rehash(cheap, kCheap));
  CHECK(needs_rehash("not a hash"));
}

TEST_CASE("malformed or out-of-bounds records never match", "[portal][password]") {
  const std::string good = hash_password("pw", kCheap);
  const std::string tail = good.substr(good.find("$", 8));  // "$salt$hash"
  for (const std::string& bad : {
           std::string(),
           std::string("pw"),
           std::string("$scrypt$"),
           std::string("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"),
           "$scrypt$ln=21,r=8,p=1" + tail,   // 2^21: over the memory bound
           "$scrypt$ln=9,r=8,p=1" + tail,    // under the floor
           "$scrypt$ln=10,r=33,p=1" + tail,  // r over the bound
           "$scrypt$ln=10,r=8,p=5" + tail,   // p over the bound
           "$scrypt$ln=10,r=0,p=1" + tail,
           "$scrypt$ln=010,r=8,p=1" + tail,  // not as written
           "$scrypt$ln=10,p=1,r=8" + tail,
           "$scrypt$ln=10,r=8,p=1$$" + tail.substr(1),
           good.substr(0, good.size() - 1),  // a hash one character short
           good + "A",
           good.substr(0, good.rfind('$')) + "$!!!!",
       }) {
    INFO(bad);
    CHECK(verify_password("pw", bad) == PasswordCheck::malformed);
    CHECK_FALSE(cost_of(bad));
  }
}

TEST_CASE("hash_password refuses what it cannot store well", "[portal][password]") {
  CHECK_THROWS_AS(hash_password("", kCheap), std::invalid_argument);
  CHECK_THROWS_AS(hash_password(std::string(kMaxPasswordBytes + 1, 'a'), kCheap),
                  std::invalid_argument);
  CHECK_THROWS_AS(hash_password("pw", ScryptCost{.log2_n = 30, .r = 8, .p = 1}),
                  std::invalid_argument);
  CHECK_NOTHROW(hash_password(std::string(kMaxPasswordBytes, 'a'), kCheap));
}

TEST_CASE("the default cost works within OpenSSL's memory limit", "[portal][password]") {
  const std::string stored = hash_password("a parent's password");
  CHECK(verify_password("a parent's password", stored) == PasswordCheck::match);
}
