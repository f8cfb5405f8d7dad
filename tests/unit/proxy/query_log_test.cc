// The query log's pure parts: pseudonyms, lines, file names, retention (a fake clock: every
// time is a parameter) and the workers' bounded buffers.

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "proxy/querylog/buffer.h"
#include "proxy/querylog/query_log.h"
#include "tests/unit/proxy/scratch_dir.h"

namespace shelter::proxy::querylog {
namespace {

constexpr std::int64_t kDay = 86'400;
constexpr std::int64_t kMonday = 1'796'601'600;  // 2026-12-07T00:00:00Z

// Keys 1, 2, 3, ...: each period gets the next, so tests can tell them apart.
KeySource counting_keys() {
  auto next = std::make_shared<unsigned char>(0);
  return [next] {
    Key k{};
    k.fill(++*next);
    return k;
  };
}

Record record(std::string_view name, Verdict verdict = Verdict::answered,
              std::uint16_t slot = kNoSlot, bool withheld = false) {
  Record r;
  r.head = {.time = kMonday + 3661,
            .qtype = 1,
            .slot = slot,
            .rcode = 0,
            .verdict = verdict,
            .withheld = withheld};
  r.subject = "4\x7f\x00\x00\x01";
  r.name = name;
  return r;
}

std::string subject_v4(unsigned char last) {
  return std::string("4\x64\x40\x00", 4) + static_cast<char>(last);
}

TEST_CASE("a pseudonym is 16 hex digits, stable under one key, different under another",
          "[querylog]") {
  Key one{};
  one.fill(1);
  Key two{};
  two.fill(2);
  const std::string a = pseudonym(one, "hfamily-1");
  CHECK(a.size() == 16);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(pseudonym(one, "hfamily-1") == a);
  CHECK(pseudonym(two, "hfamily-1") != a);
  CHECK(pseudonym(one, "hfamily-2") != a);
  // A household id never equals an address, whatever its bytes: the kind byte differs.
  CHECK(pseudonym(one, subject_v4(1)) != pseudonym(one, "h" + subject_v4(1).substr(1)));
}

TEST_CASE("pseudonyms link within one period only", "[querylog]") {
  test::Scratch dir;
  Writer writer({.directory = dir.dir.string(), .rotation_seconds = kDay}, counting_keys());
  const std::string morning = writer.pseudonym_at(kMonday + 3600, subject_v4(7));
  CHECK(writer.pseudonym_at(kMonday + 80'000, subject_v4(7)) == morning);
  CHECK(writer.pseudonym_at(kMonday + 3600, subject_v4(8)) != morning);
  CHECK(writer.pseudonym_at(kMonday + kDay + 1, subject_v4(7)) != morning);
  // A new writer (a restart) has new keys: the same subject in the same period differs.
  Writer restarted({.directory = dir.dir.string(), .rotation_seconds = kDay}, [] {
    Key k{};
    k.fill(0xee);
    return k;
  });
  CHECK(restarted.pseudonym_at(kMonday + 3600, subject_v4(7)) != morning);
}

TEST_CASE("a line has the time, pseudonym, name, type, verdict, list and rcode", "[querylog]") {
  Source adult{"adult-list", "adult"};
  CHECK(format_line(record("example.test"), "0123456789abcdef", nullptr) ==
        R"({"time":"2026-12-07T01:01:01Z","subscriber":"0123456789abcdef",)"
        R"("qname":"example.test","qtype":"A","verdict":"answered","rcode":"NOERROR"})"
        "\n");
  Record blocked = record("porn.test", Verdict::blocked, 3);
  blocked.head.rcode = 3;
  blocked.head.qtype = 65;
  CHECK(format_line(blocked, "00", &adult) ==
        R"({"time":"2026-12-07T01:01:01Z","subscriber":"00","qname":"porn.test","qtype":"HTTPS",)"
        R"("verdict":"blocked","list":"adult-list","category":"adult","rcode":"NXDOMAIN"})"
        "\n");
  Record odd = record("x");
  odd.head.qtype = 4242;
  odd.head.rcode = 9;
  CHECK_THAT(format_line(odd, "00", nullptr),
             Catch::Contains(R"("qtype":"TYPE4242")") && Catch::Contains(R"("rcode":"RCODE9")"));
}

TEST_CASE("odd bytes in a name are written in presentation form inside valid JSON", "[querylog]") {
  struct Case {
    std::string name;
    std::string written;
  };
  const std::vector<Case> cases = {
      {std::string("a\"b.test"), R"("a\\034b.test")"},
      {std::string("a\\b.test"), R"("a\\092b.test")"},
      {std::string("new\nline.test"), R"("new\\010line.test")"},
      {std::string("nul\0.test", 9), R"("nul\\000.test")"},
      {std::string("caf\xc3\xa9.test"), R"("caf\\195\\169.test")"},
      {std::string("sp ace.test"), R"("sp\\032ace.test")"},
      {std::string("del\x7f.test"), R"("del\\127.test")"},
  };
  for (const Case& c : cases) {
    INFO(c.written);
    const std::string line = format_line(record(c.name), "00", nullptr);
    CHECK_THAT(line, Catch::Contains(R"("qname":)" + c.written + ","));
    // Nothing outside printable ASCII reaches the file.
    for (char ch : line.substr(0, line.size() - 1))
      CHECK((ch >= 0x20 && ch < 0x7f));
  }
}

TEST_CASE("a legal list's name is withheld, its list and category kept", "[querylog]") {
  Source csam{"legal-list", "csam"};
  const std::string line =
      format_line(record("legal.test", Verdict::blocked, 0, true), "00", &csam);
  CHECK_THAT(line, !Catch::Contains("legal.test"));
  CHECK_THAT(line, Catch::Contains(R"("qname":null)"));
  CHECK_THAT(line, Catch::Contains(R"("withheld":"legal-list")"));
  CHECK_THAT(line, Catch::Contains(R"("list":"legal-list","category":"csam")"));
}

TEST_CASE("file names carry the period's start and read back", "[querylog]") {
  CHECK(file_name(kMonday) == "queries-20261207T000000Z.jsonl");
  CHECK(period_of_file("queries-20261207T000000Z.jsonl") == kMonday);
  CHECK(period_of_file(file_name(kMonday + 7200)) == kMonday + 7200);
  for (const char* other : {"queries-20261207T000000Z.jsonl.bak", "queries-2026.jsonl", "notes.txt",
                            "queries-2026120XT000000Z.jsonl"}) {
    INFO(other);
    CHECK(period_of_file(other) == -1);
  }
}

TEST_CASE("files past the retention are deleted, others kept", "[querylog]") {
  test::Scratch dir;
  Writer writer(
      {.directory = dir.dir.string(), .rotation_seconds = kDay, .retention_seconds = 7 * kDay},
      counting_keys());
  const std::int64_t now = kMonday + 12 * 3600;
  // A file goes once its period ended a retention ago: the period of 8 days ago ended 7 days
  // ago (and 12 h). Those of 7 and 6 days ago, today's and a file that is not ours stay.
  for (std::int64_t days : {8, 7, 6, 0})
    dir.write(file_name(kMonday - days * kDay), "{}\n");
  dir.write("operator-notes.txt", "mine");
  CHECK(writer.prune(now) == std::vector<std::string>{file_name(kMonday - 8 * kDay)});
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir.dir))
    left.insert(e.path().filename().string());
  CHECK(left == std::set<std::string>{file_name(kMonday - 7 * kDay), file_name(kMonday - 6 * kDay),
                                      file_name(kMonday), "operator-notes.txt"});
  // Within the day nothing more goes; the first write of the next day deletes the file whose
  // turn has come, and only that one.
  Buffer buffer(4096);
  writer.write(buffer.take(), {}, now);
  CHECK(std::filesystem::exists(dir.path(file_name(kMonday - 7 * kDay))));
  writer.write(buffer.take(), {}, now + kDay);
  CHECK_FALSE(std::filesystem::exists(dir.path(file_name(kMonday - 7 * kDay))));
  CHECK(std::filesystem::exists(dir.path(file_name(kMonday - 6 * kDay))));
}

TEST_CASE("records go to their period's file, one line each", "[querylog]") {
  test::Scratch dir;
  Writer writer(
      {.directory = dir.dir.string(), .rotation_seconds = 3600, .retention_seconds = kDay},
      counting_keys());
  Buffer buffer(4096);
  const std::string client = subject_v4(9);
  buffer.push({.time = kMonday + 3599, .qtype = 1}, client, "one.test");
  buffer.push({.time = kMonday + 3600, .qtype = 28}, client, "two.test");
  buffer.push({.time = kMonday + 3601, .qtype = 1, .slot = 0, .verdict = Verdict::blocked}, client,
              "three.test");
  REQUIRE(writer.write(buffer.take(), {{"ads", "ads"}}, kMonday + 3601));
  CHECK(writer.lines() == 3);
  const std::string first = dir.read(file_name(kMonday));
  const std::string second = dir.read(file_name(kMonday + 3600));
  CHECK(std::count(first.begin(), first.end(), '\n') == 1);
  CHECK(std::count(second.begin(), second.end(), '\n') == 2);
  CHECK_THAT(first, Catch::Contains("one.test"));
  CHECK_THAT(second, Catch::Contains(
                         R"("qname":"three.test","qtype":"A","verdict":"blocked","list":"ads")"));
  // One client, two periods: two pseudonyms; one period: one.
  const std::string p1 = writer.pseudonym_at(kMonday + 3599, client);
  const std::string p2 = writer.pseudonym_at(kMonday + 3600, client);
  CHECK(p1 != p2);
  CHECK_THAT(first, Catch::Contains(p1));
  CHECK(second.find(p2) != second.rfind(p2));
  // The address itself is nowhere.
  CHECK_THAT(first + second, !Catch::Contains("100.64.0.9"));
}

TEST_CASE("a full buffer drops and counts, never grows", "[querylog]") {
  Buffer buffer(256);
  const std::size_t record = sizeof(RecordHead) + 5 + 10;
  const std::size_t fits = 256 / record;
  for (std::size_t i = 0; i < fits + 3; ++i)
    buffer.push({.time = kMonday}, subject_v4(1), "name.test!");
  CHECK(buffer.dropped() == 3);
  std::size_t seen = 0;
  Buffer::for_each(buffer.take(), [&](const Record& r) {
    CHECK(r.name == "name.test!");
    CHECK(r.subject == subject_v4(1));
    ++seen;
  });
  CHECK(seen == fits);
  // Taken: room again.
  buffer.push({.time = kMonday}, subject_v4(1), "name.test!");
  CHECK(buffer.dropped() == 3);
}

}  // namespace
}  // namespace shelter::proxy::querylog
