// SHA-256 as hex, the one helper behind a list's fingerprint and a self-test report's digest:
// known vectors, pieces equal to the whole, and a fingerprint computed independently (Python's
// hashlib over the same length-prefixed bytes), so that a list's version name never changes.
#include "proxy/lists/sha256.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/lists/list_source.h"

namespace lists = shelter::proxy::lists;

TEST_CASE("Sha256: known vectors, lower-case hex") {
  CHECK(lists::Sha256().hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(lists::Sha256().add("abc").hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(lists::Sha256().add("a").add("").add("bc").hex() == lists::Sha256().add("abc").hex());
}

TEST_CASE("fingerprint_of: length-prefixed names and texts, as before") {
  const std::vector<lists::SourcePart> parts = {
      {.name = "/etc/lists/ads.txt", .text = "ads.example\ntracker.example\n"},
      {.name = "entries of list 'x'", .text = ""},
  };
  // sha256(for each part, for name and text: uint64 little-endian size, then the bytes)
  CHECK(lists::fingerprint_of(parts) ==
        "247d80b7022d62ab2c2423baed3d6c35fe7c9ae521247394e2f32b7820a9a065");
  std::vector<lists::SourcePart> moved = parts;
  moved[0].text.pop_back();
  moved[1].text.push_back('\n');
  CHECK(lists::fingerprint_of(moved) != lists::fingerprint_of(parts));
}
