// Hellos captured from real clients (Chromium, openssl s_client, curl): read whole, and split
// at every byte across two TCP reads, re-framed at every byte across two TLS records, and a
// sample of three-way splits of both kinds: every way gives the same facts.
#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/tls/client_hello.h"
#include "tests/unit/tls/hello_builder.h"

namespace tls = shelter::proxy::tls;
using shelter::tls_test::message_of;
using shelter::tls_test::read_capture;
using shelter::tls_test::records;

namespace {

// What the reader made of a stream, independent of how it arrived.
struct Facts {
  tls::HelloStatus status = tls::HelloStatus::need_more;
  tls::SniStatus sni = tls::SniStatus::absent;
  std::string server_name;
  std::vector<std::string> alpn;
  bool ech = false;
  bool tls13 = false;
  unsigned legacy_version = 0;
  std::size_t message_bytes = 0;

  bool operator==(const Facts&) const = default;
};

Facts facts_of(const tls::ClientHelloReader& reader) {
  Facts f;
  f.status = reader.status();
  const tls::ClientHello& h = reader.hello();
  f.sni = h.sni;
  f.server_name = std::string(h.server_name);
  for (std::string_view p : h.alpn)
    f.alpn.emplace_back(p);
  f.ech = h.ech;
  f.tls13 = h.tls13;
  f.legacy_version = h.legacy_version;
  f.message_bytes = h.message_bytes;
  return f;
}

// Feeds `wire` cut at `cuts` (ascending offsets) as separate reads.
tls::ClientHelloReader& feed_cut(tls::ClientHelloReader& reader, std::string_view wire,
                                 std::vector<std::size_t> cuts) {
  std::size_t from = 0;
  cuts.push_back(wire.size());
  for (std::size_t to : cuts) {
    reader.feed(wire.substr(from, to - from));
    from = to;
  }
  return reader;
}

struct Capture {
  const char* file;
  const char* server_name;  // "" for none
  std::vector<std::string> alpn;
  bool ech;
  bool tls13;
};

const std::vector<Capture>& captures() {
  static const std::vector<Capture> table = {
      // Chromium 156 offers GREASE ECH and a post-quantum key share (a 2 KB hello).
      {"chromium_hello.bin", "www.example.com", {"h2", "http/1.1"}, true, true},
      {"openssl_tls13_hello.bin", "www.example.org", {"h2", "http/1.1"}, false, true},
      {"openssl_tls12_hello.bin", "www.example.net", {}, false, false},
      {"openssl_no_sni_hello.bin", "", {}, false, true},
      {"curl_hello.bin", "curl.example.com", {"h2", "http/1.1"}, false, true},
  };
  return table;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<Facts> {
  static std::string convert(const Facts& f) {
    std::string s = std::string(tls::to_string(f.status)) + " sni=" + f.server_name + " alpn=";
    for (const std::string& p : f.alpn)
      s += p + ",";
    return s + " ech=" + std::to_string(f.ech) + " tls13=" + std::to_string(f.tls13);
  }
};
}  // namespace Catch

TEST_CASE("captured hellos give their facts in one read", "[tls][capture]") {
  for (const Capture& c : captures()) {
    INFO(c.file);
    const std::string wire = read_capture(c.file);
    tls::ClientHelloReader reader;
    REQUIRE(reader.feed(wire) == tls::HelloStatus::complete);
    const tls::ClientHello& h = reader.hello();
    CHECK(h.server_name == c.server_name);
    CHECK(h.sni == (*c.server_name ? tls::SniStatus::valid : tls::SniStatus::absent));
    CHECK(facts_of(reader).alpn == c.alpn);
    CHECK(h.alpn.size() == c.alpn.size());
    CHECK(h.ech == c.ech);
    CHECK(h.tls13 == c.tls13);
    CHECK(h.legacy_version == 0x0303);
    CHECK(h.records == 1);
    CHECK(h.segments == 1);
    CHECK(h.hello_bytes == wire.size());
    CHECK(h.message_bytes == wire.size() - 5);
    CHECK(reader.consumed() == wire.size());
    CHECK(reader.failure().empty());
  }
}

TEST_CASE("captured hellos split across two reads at every byte", "[tls][capture]") {
  for (const Capture& c : captures()) {
    INFO(c.file);
    const std::string wire = read_capture(c.file);
    tls::ClientHelloReader whole;
    whole.feed(wire);
    const Facts expected = facts_of(whole);
    for (std::size_t cut = 1; cut < wire.size(); ++cut) {
      INFO("cut at " << cut);
      tls::ClientHelloReader reader;
      REQUIRE(reader.feed(std::string_view(wire).substr(0, cut)) == tls::HelloStatus::need_more);
      reader.feed(std::string_view(wire).substr(cut));
      REQUIRE(facts_of(reader) == expected);
      REQUIRE(reader.hello().segments == 2);
      REQUIRE(reader.hello().records == 1);
    }
  }
}

TEST_CASE("captured hellos re-framed across two records at every byte", "[tls][capture]") {
  for (const Capture& c : captures()) {
    INFO(c.file);
    const std::string wire = read_capture(c.file);
    const std::string message = message_of(wire);
    tls::ClientHelloReader whole;
    whole.feed(wire);
    const Facts expected = facts_of(whole);
    for (std::size_t cut = 1; cut < message.size(); ++cut) {
      INFO("record cut at " << cut);
      const std::string reframed = records(message, {cut});
      tls::ClientHelloReader reader;
      REQUIRE(reader.feed(reframed) == tls::HelloStatus::complete);
      REQUIRE(facts_of(reader) == expected);
      REQUIRE(reader.hello().records == 2);
      REQUIRE(reader.hello().hello_bytes == wire.size() + 5);
    }
  }
}

TEST_CASE("captured hellos in three records and three reads", "[tls][capture]") {
  for (const Capture& c : captures()) {
    INFO(c.file);
    const std::string wire = read_capture(c.file);
    const std::string message = message_of(wire);
    tls::ClientHelloReader whole;
    whole.feed(wire);
    const Facts expected = facts_of(whole);
    for (std::size_t i = 1; i < message.size(); i += 37) {
      for (std::size_t j = i + 1; j < message.size(); j += 53) {
        INFO("cuts at " << i << " and " << j);
        tls::ClientHelloReader segments;
        REQUIRE(facts_of(feed_cut(segments, wire, {i, j})) == expected);
        REQUIRE(segments.hello().segments == 3);
        const std::string reframed = records(message, {i, j});
        tls::ClientHelloReader framed;
        REQUIRE(facts_of(feed_cut(framed, reframed, {})) == expected);
        REQUIRE(framed.hello().records == 3);
        // Both at once: reads cut elsewhere than the records.
        tls::ClientHelloReader both;
        REQUIRE(facts_of(feed_cut(both, reframed, {j - i, j + 3})) == expected);
      }
    }
  }
}

TEST_CASE("captured hellos a byte per read and a byte per record", "[tls][capture]") {
  for (const Capture& c : captures()) {
    INFO(c.file);
    const std::string wire = read_capture(c.file);
    tls::ClientHelloReader whole;
    whole.feed(wire);
    const Facts expected = facts_of(whole);

    tls::ClientHelloReader bytewise;
    for (char ch : wire)
      bytewise.feed(std::string_view(&ch, 1));
    CHECK(facts_of(bytewise) == expected);
    CHECK(bytewise.hello().segments == wire.size());

    const std::string message = message_of(wire);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < message.size(); ++i)
      cuts.push_back(i);
    const std::string tiny_records = records(message, cuts);
    REQUIRE(tiny_records.size() <= tls::kMaxHelloBytes);
    tls::ClientHelloReader reader;
    CHECK(reader.feed(tiny_records) == tls::HelloStatus::complete);
    CHECK(facts_of(reader) == expected);
    CHECK(reader.hello().records == message.size());
  }
}

TEST_CASE("every proper prefix of a captured hello needs more", "[tls][capture]") {
  for (const Capture& c : captures()) {
    INFO(c.file);
    const std::string wire = read_capture(c.file);
    for (std::size_t size = 0; size < wire.size(); ++size) {
      tls::ClientHelloReader reader;
      REQUIRE(reader.feed(std::string_view(wire).substr(0, size)) == tls::HelloStatus::need_more);
      REQUIRE(reader.consumed() == size);
    }
  }
}
