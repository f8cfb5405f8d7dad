// Snapshot::open against truncated, corrupt and hostile images: every one is refused with a
// reason, and nothing reads outside the image.
#include "blocklist/snapshot.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "blocklist/snapshot_format.h"
#include "tests/unit/blocklist/snapshot_test_util.h"

namespace bl = shelter::blocklist;
namespace fmt = shelter::blocklist::format;
using namespace shelter::blocklist::test;  // NOLINT(google-build-using-namespace): test tables

TEST_CASE("open rejects truncated and extended images", "[snapshot]") {
  auto image = image_of({ordinary("a"), legal("b")},
                        {block(0, "a.example"), block(1, "b.example").exact("/p")});
  std::string error;
  REQUIRE(open_bytes(image, error));
  for (std::size_t size = 0; size < image.size(); ++size) {
    CAPTURE(size);
    REQUIRE_FALSE(open_bytes(image, size, error));
    CHECK_FALSE(error.empty());
  }
  auto longer = image;
  longer.resize(image.size() + fmt::kAlign, 0);
  CHECK_FALSE(open_bytes(longer, error));
}

// The checksum covers the header too (regression: it once covered only the bytes after it, so
// a flipped bit in the hash seed opened a snapshot that blocked nothing).
TEST_CASE("open rejects a flipped bit anywhere in the image", "[snapshot]") {
  auto image = image_of({ordinary("a"), legal("b")},
                        {block(0, "a.example"), block(1, "b.example").exact("/p"),
                         allow(0, "c.a.example").important()});
  std::string error;
  for (std::size_t at = 0; at < image.size(); ++at) {
    for (std::uint8_t mask : {0x01, 0x80}) {
      CAPTURE(at, int{mask});
      image[at] ^= mask;
      REQUIRE_FALSE(open_bytes(image, error));
      CHECK_FALSE(error.empty());
      if (at >= fmt::kHeaderBytes) CHECK(error == "checksum mismatch (corrupt file)");
      image[at] ^= mask;
    }
  }
  CHECK(open_bytes(image, error));
}

TEST_CASE("open rejects a wrong magic or version", "[snapshot]") {
  const auto image = image_of({ordinary("a")}, {block(0, "a.example")});
  std::string error;
  for (std::size_t at = 0; at < fmt::kMagic.size(); ++at) {
    auto bad = image;
    bad[at] = static_cast<std::uint8_t>(bad[at] + 1);
    CAPTURE(at);
    CHECK_FALSE(open_bytes(bad, error));
    CHECK(error == "not a Shelter list snapshot (bad magic)");
  }
  for (std::uint32_t version : {0u, fmt::kVersion + 1, 0xffffffffu}) {
    auto bad = image;
    fmt::store32(bad.data() + fmt::kVersionAt, version);
    recompute_checksum(bad);
    CAPTURE(version);
    CHECK_FALSE(open_bytes(bad, error));
    CHECK(error == "unsupported snapshot version " + std::to_string(version) +
                       " (this shelterd reads version " + std::to_string(fmt::kVersion) +
                       "): compile it again with this version's shelter-compile");
  }
}

namespace {

// One host, "a.example", carrying every optional part of a record: a domain rule with local
// data, and a URL rule of a legal list.
struct HostileImage {
  std::vector<std::uint8_t> bytes;
  std::size_t records = 0;  // offsets of sections in the image
  std::size_t groups = 0;
  std::size_t combos = 0;
  std::size_t urls = 0;
  std::size_t url = 0;  // the URL rule, inside the record
  std::size_t meta = 0;
  std::size_t slot = 0;     // the host's slot in group 0
  std::size_t list_id = 0;  // the length of list 0's id, "a", in the meta section

  HostileImage() {
    bytes = image_of({ordinary("a"), legal("b")},
                     {block(0, "a.example").answer(bl::DnsAnswer::local_data, {192, 0, 2, 1}),
                      block(1, "a.example").exact("/p")});
    auto section = [&](fmt::Section s) {
      return static_cast<std::size_t>(fmt::load64(bytes.data() + fmt::kSectionsAt + 16 * s));
    };
    meta = section(fmt::meta);
    groups = section(fmt::groups);
    records = section(fmt::records);
    combos = section(fmt::combos);
    urls = section(fmt::urls);
    REQUIRE(fmt::load64(bytes.data() + fmt::kGroupCountAt) == 1);
    while (fmt::load16(bytes.data() + groups + fmt::kGroupTagsAt + 2 * slot) == 0)
      ++slot;
    // The record: length, host, ref (combo 1, URLs, local data), one A record, then one URL
    // rule kept in the record: membership (4 bytes, checked below), flags, path "/p".
    const std::vector<std::uint8_t> record = {
        9, 'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 7, 1, 4, 192, 0, 2, 1, 1, fmt::kUrlsInline};
    REQUIRE(std::equal(record.begin(), record.end(), bytes.begin() + records));
    url = records + record.size();
    REQUIRE(bytes[url + 4] == 0);  // flags: an exact page
    REQUIRE(bytes[url + 5] == 2);
    REQUIRE(bytes[url + 6] == '/');
    REQUIRE(bytes[url + 7] == 'p');
    REQUIRE(fmt::load32(bytes.data() + combos + 4) == 1);  // a run of one membership
    const std::uint8_t id[] = {1, 0, 0, 0, 'a'};
    list_id =
        static_cast<std::size_t>(std::search(bytes.begin() + static_cast<std::ptrdiff_t>(meta),
                                             bytes.end(), std::begin(id), std::end(id)) -
                                 bytes.begin());
    REQUIRE(list_id < groups);
  }
};

}  // namespace

TEST_CASE("open rejects hostile images whose checksum was recomputed", "[snapshot]") {
  namespace m = fmt::member;
  const HostileImage base;
  using Bytes = std::vector<std::uint8_t>;
  auto at64 = [](std::size_t at, std::uint64_t v) {
    return [=](Bytes& b) { fmt::store64(b.data() + at, v); };
  };
  auto at32 = [](std::size_t at, std::uint32_t v) {
    return [=](Bytes& b) { fmt::store32(b.data() + at, v); };
  };
  auto at16 = [](std::size_t at, std::uint16_t v) {
    return [=](Bytes& b) { fmt::store16(b.data() + at, v); };
  };
  auto at8 = [](std::size_t at, std::uint8_t v) { return [=](Bytes& b) { b[at] = v; }; };
  auto membership = [&](std::function<std::uint32_t(std::uint32_t)> change) {
    std::size_t at = base.combos + 8;
    return [=](Bytes& b) { fmt::store32(b.data() + at, change(fmt::load32(b.data() + at))); };
  };
  const std::size_t size = base.bytes.size();
  const std::size_t sections = fmt::kSectionsAt;
  const std::size_t last = sections + 16 * fmt::urls;  // the last section
  const std::size_t group = base.groups;
  const std::vector<std::pair<std::string, std::function<void(Bytes&)>>> mutations = {
      {"image size says shorter", at64(fmt::kImageSizeAt, size - fmt::kAlign)},
      {"section past the end", at64(last, size + fmt::kAlign)},
      {"section length past the end", at64(last + 8, size)},
      {"section length near 2^64", at64(last + 8, ~std::uint64_t{0} - 63)},
      {"section not aligned", at64(sections + 16 * fmt::records, base.records + 1)},
      {"sections out of order", at64(sections + 16 * fmt::records, base.groups)},
      {"no groups", at64(fmt::kGroupCountAt, 0)},
      {"no home groups", at64(fmt::kHomeGroupsAt, 0)},
      {"home groups beyond the table", at64(fmt::kHomeGroupsAt, 2)},
      {"group count disagrees with the section", at64(fmt::kGroupCountAt, 2)},
      {"host count disagrees", at64(fmt::kHostCountAt, 2)},
      {"URL rule count disagrees", at64(fmt::kUrlRulesAt, 2)},
      {"record base out of range", at32(group, 0xffffff00)},
      {"record offset out of range", at16(group + fmt::kGroupOffsetsAt + 2 * base.slot, 0xffff)},
      {"an extra slot", at16(group + fmt::kGroupTagsAt + 2 * ((base.slot + 1) % 14), 7)},
      {"empty host", at8(base.records, 0)},
      {"host past the section", at8(base.records, 250)},
      {"membership run out of range", at8(base.records + 10, (31 << 2) | 3)},
      {"membership run too long", at32(base.combos + 4, 1000)},
      {"membership of an undeclared list",
       membership([](std::uint32_t v) { return (v & ~m::kListMask) | 7; })},
      {"membership category out of range",
       membership([](std::uint32_t v) { return v | (63u << m::kCategoryShift); })},
      {"membership legal bit wrong", membership([](std::uint32_t v) { return v ^ m::kLegal; })},
      {"membership steer bit wrong", membership([](std::uint32_t v) { return v ^ m::kSteer; })},
      {"membership without a scope",
       membership([](std::uint32_t v) { return v & ~(m::kSelf | m::kBelow); })},
      {"membership high bits", membership([](std::uint32_t v) { return v | (1u << 30); })},
      {"URL count past the record", at8(base.records + 17, 2)},
      {"URL count varint runs on", at8(base.records + 17, 0xff)},
      {"URL rules placed nowhere", at8(base.records + 18, 2)},
      {"URL rules spilled past the section", at8(base.records + 18, fmt::kUrlsSpilled)},
      {"URL path past the record", at8(base.url + 5, 200)},
      {"URL path empty", at8(base.url + 5, 0)},
      {"URL flags unknown", at8(base.url + 4, 4)},
      {"URL membership of an undeclared list", at32(base.url, 0x03000000 | 9)},
      {"no local addresses", at8(base.records + 11, 0)},
      {"too many local addresses", at8(base.records + 11, 17)},
      {"local address of 5 bytes", at8(base.records + 12, 5)},
      {"local data past the section", at8(base.records + 11, 16)},
      {"empty membership run nonzero", at32(base.combos, 5)},
      {"list count too large", at32(base.meta, 70000)},
      {"list count past the section", at32(base.meta, 1000)},
      {"list flags unknown", at8(base.meta + 4, 4)},
      {"list steer flag off, its memberships steer", at8(base.meta + 4, 0)},
      {"list legal without steer", at8(base.meta + 4, fmt::kListLegal)},
      {"list steered names without steer",
       [&](Bytes& b) {
         b[base.meta + 4] = 0;
         fmt::store64(b.data() + base.meta + 13, 1);
       }},
      {"list id past the section", at32(base.list_id, 100000)},
  };
  std::string error;
  auto good = base.bytes;
  recompute_checksum(good);
  REQUIRE(open_bytes(good, error));
  for (const auto& [what, mutate] : mutations) {
    INFO(what);
    auto bad = base.bytes;
    mutate(bad);
    REQUIRE(bad != base.bytes);
    recompute_checksum(bad);
    auto s = open_bytes(bad, error);
    CHECK(s == nullptr);
    CHECK_FALSE(error.empty());
    if (s) s->lookup_url("a.example", "/p");  // must not crash either
  }
}

// Regression: the group table was checked as `section size == group_count * 64`, which wraps:
// group_count = 1 + 2^58 passed, and the slot loop read past the groups section and then past
// the image (ASan: heap-buffer-overflow in Snapshot::open; found by snapshot_fuzz).
TEST_CASE("open rejects a group count whose size wraps around", "[snapshot]") {
  const HostileImage base;
  const auto empty = image_of({}, {});
  for (const auto* image : {&base.bytes, &empty}) {
    auto bad = *image;
    const std::uint64_t groups = fmt::load64(bad.data() + fmt::kGroupCountAt);
    fmt::store64(bad.data() + fmt::kGroupCountAt, groups + (std::uint64_t{1} << 58));
    recompute_checksum(bad);
    std::string error;
    CHECK_FALSE(open_bytes(bad, error));
    CHECK(error == "bad group table");
  }
}
