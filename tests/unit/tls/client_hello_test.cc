// The ClientHello reader on built hellos: server names as a filter must read them, ALPN, ECH,
// TLS 1.3, GREASE; and everything that is not a well-formed hello, with its status and the
// failure class that metrics count. The alert record sent for a blocked host.
#include "proxy/tls/client_hello.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/tls/hello_builder.h"

namespace tls = shelter::proxy::tls;
using tls::HelloStatus;
using tls::SniStatus;
namespace b = shelter::tls_test;

namespace Catch {
template <>
struct StringMaker<HelloStatus> {
  static std::string convert(HelloStatus s) { return std::string(tls::to_string(s)); }
};
template <>
struct StringMaker<SniStatus> {
  static std::string convert(SniStatus s) {
    return s == SniStatus::absent ? "absent" : s == SniStatus::valid ? "valid" : "invalid";
  }
};
}  // namespace Catch

namespace {

HelloStatus read(std::string_view wire, tls::ClientHelloReader& reader) {
  return reader.feed(wire);
}

// A typical modern hello's extensions around `middle`.
std::string typical(std::string_view middle) {
  return b::extension(0x0a0a, "") + b::versions_extension({0x3a3a, 0x0304, 0x0303}) +
         std::string(middle) + b::extension(10, b::u16(2) + b::u16(29));
}

}  // namespace

TEST_CASE("server names are checked and normalised", "[tls]") {
  struct Case {
    std::string name;
    SniStatus sni;
    std::string expected;
  };
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  const std::vector<Case> cases = {
      {"www.example.com", SniStatus::valid, "www.example.com"},
      {"WWW.Example.COM", SniStatus::valid, "www.example.com"},
      {"www.example.com.", SniStatus::valid, "www.example.com"},
      {"_srv.x-y.example", SniStatus::valid, "_srv.x-y.example"},
      {"localhost", SniStatus::valid, "localhost"},
      {"192.0.2.1", SniStatus::valid, "192.0.2.1"},  // RFC 6066 forbids it; a policy may care
      {label63 + ".com", SniStatus::valid, label63 + ".com"},
      {name253, SniStatus::valid, name253},
      {name253 + ".", SniStatus::valid, name253},
      {name253 + "b", SniStatus::invalid, ""},
      {label63 + "a.com", SniStatus::invalid, ""},
      {"", SniStatus::invalid, ""},
      {".", SniStatus::invalid, ""},
      {".example.com", SniStatus::invalid, ""},
      {"www..example.com", SniStatus::invalid, ""},
      {"example.com..", SniStatus::invalid, ""},
      {"exa mple.com", SniStatus::invalid, ""},
      {"exa*mple.com", SniStatus::invalid, ""},
      {"example.com/", SniStatus::invalid, ""},
      {"[2001:db8::1]", SniStatus::invalid, ""},
      {std::string("evil.com\0.example.com", 21), SniStatus::invalid, ""},
      {"b\xc3\xbc"
       "cher.de",
       SniStatus::invalid, ""},
      {"xn--bcher-kva.de", SniStatus::valid, "xn--bcher-kva.de"},
  };
  for (const Case& c : cases) {
    INFO("name of " << c.name.size() << " bytes: " << c.name);
    tls::ClientHelloReader reader;
    REQUIRE(read(b::hello(typical(b::sni_extension({c.name}))), reader) == HelloStatus::complete);
    CHECK(reader.hello().sni == c.sni);
    CHECK(reader.hello().server_name == c.expected);
  }
}

TEST_CASE("server_name lists", "[tls]") {
  tls::ClientHelloReader none;
  REQUIRE(read(b::hello(typical("")), none) == HelloStatus::complete);
  CHECK(none.hello().sni == SniStatus::absent);
  CHECK(none.hello().server_name.empty());

  // Name types other than host_name (none is defined) are skipped.
  tls::ClientHelloReader other_type;
  const std::string other = b::sni_extension({"other.example"}, 7);
  REQUIRE(read(b::hello(other), other_type) == HelloStatus::complete);
  CHECK(other_type.hello().sni == SniStatus::absent);

  // Two host_names: which one an origin would serve is anyone's guess.
  tls::ClientHelloReader two;
  REQUIRE(read(b::hello(b::sni_extension({"allowed.example", "blocked.example"})), two) ==
          HelloStatus::malformed);
  CHECK(two.failure() == "bad_extension");

  tls::ClientHelloReader empty_list;
  REQUIRE(read(b::hello(b::extension(0, b::u16(0))), empty_list) == HelloStatus::malformed);
  CHECK(empty_list.failure() == "bad_extension");

  // The name's length runs past the list.
  tls::ClientHelloReader lying;
  const std::string list = b::u8(0) + b::u16(40) + "short.example";
  REQUIRE(read(b::hello(b::extension(0, b::u16(static_cast<unsigned>(list.size())) + list)),
               lying) == HelloStatus::malformed);
  CHECK(lying.failure() == "bad_extension");
}

TEST_CASE("ALPN, TLS 1.3, ECH and GREASE", "[tls]") {
  tls::ClientHelloReader reader;
  const std::string ext =
      b::extension(0x1a1a, "") + b::sni_extension({"a.example"}) +
      b::alpn_extension({"h2", "http/1.1"}) + b::versions_extension({0x7a7a, 0x0304, 0x0303}) +
      b::extension(0xfe0d, std::string("\0\0\1\0\1\x2a\0\0\0\0", 10)) + b::extension(0xdada, "x");
  REQUIRE(read(b::hello(ext), reader) == HelloStatus::complete);
  const tls::ClientHello& h = reader.hello();
  CHECK(h.server_name == "a.example");
  CHECK(h.alpn.size() == 2);
  CHECK(h.alpn.contains("h2"));
  CHECK(h.alpn.contains("http/1.1"));
  CHECK_FALSE(h.alpn.contains("http/1.0"));
  CHECK(h.alpn.wire() == std::string_view("\x02h2\x08http/1.1"));
  CHECK(h.tls13);
  CHECK(h.ech);

  // Only GREASE and TLS 1.2 offered: no TLS 1.3.
  tls::ClientHelloReader grease_only;
  REQUIRE(read(b::hello(b::versions_extension({0x2a2a, 0x0303})), grease_only) ==
          HelloStatus::complete);
  CHECK_FALSE(grease_only.hello().tls13);
  CHECK_FALSE(grease_only.hello().ech);
  CHECK(grease_only.hello().alpn.empty());

  // Two GREASE extensions of one value are left to the origin to judge.
  tls::ClientHelloReader grease_twice;
  REQUIRE(read(b::hello(b::extension(0x4a4a, "") + b::extension(0x4a4a, "")), grease_twice) ==
          HelloStatus::complete);

  // 0x1a2a is not GREASE (the bytes differ): seen twice, it is a duplicate.
  tls::ClientHelloReader not_grease;
  REQUIRE(read(b::hello(b::extension(0x1a2a, "") + b::extension(0x1a2a, "")), not_grease) ==
          HelloStatus::malformed);
  CHECK(not_grease.failure() == "duplicate_extension");
}

TEST_CASE("a TLS 1.0-era hello without extensions", "[tls]") {
  tls::ClientHelloReader reader;
  REQUIRE(read(b::records(b::hello_message("", false)), reader) == HelloStatus::complete);
  CHECK(reader.hello().sni == SniStatus::absent);
  CHECK_FALSE(reader.hello().tls13);
}

TEST_CASE("bad extensions and duplicates", "[tls]") {
  struct Case {
    const char* what;
    std::string extensions;
    const char* failure;
  };
  const std::vector<Case> cases = {
      {"duplicate server_name", b::sni_extension({"a.example"}) + b::sni_extension({"b.example"}),
       "duplicate_extension"},
      {"duplicate ALPN", b::alpn_extension({"h2"}) + b::alpn_extension({"h2"}),
       "duplicate_extension"},
      {"duplicate unknown type", b::extension(0x1234, "") + b::extension(0x1234, "x"),
       "duplicate_extension"},
      {"duplicate ECH", b::extension(0xfe0d, "x") + b::extension(0xfe0d, "x"),
       "duplicate_extension"},
      {"extension longer than the block", b::u16(0x1234) + b::u16(10) + "abc", "bad_extension"},
      {"half an extension header", b::extension(0x1234, "") + b::u8(0x12), "bad_extension"},
      {"empty ALPN list", b::extension(16, b::u16(0)), "bad_extension"},
      {"empty ALPN name", b::alpn_extension({"h2", ""}), "bad_extension"},
      {"ALPN name past its list", b::extension(16, b::u16(3) + b::u8(5) + "h2"), "bad_extension"},
      {"ALPN with trailing bytes", b::extension(16, b::u16(3) + b::u8(2) + "h2" + "zz"),
       "bad_extension"},
      {"odd supported_versions", b::extension(43, b::u8(3) + b::u16(0x0304) + b::u8(3)),
       "bad_extension"},
      {"empty supported_versions", b::extension(43, b::u8(0)), "bad_extension"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    tls::ClientHelloReader reader;
    REQUIRE(read(b::hello(c.extensions), reader) == HelloStatus::malformed);
    CHECK(reader.failure() == c.failure);
  }
  // An SNI extension whose list is followed by junk inside the extension.
  const std::string list = b::u8(0) + b::u16(9) + "a.example";
  tls::ClientHelloReader reader;
  REQUIRE(read(b::hello(b::extension(0, b::u16(12) + list + "zz")), reader) ==
          HelloStatus::malformed);
  CHECK(reader.failure() == "bad_extension");
}

TEST_CASE("streams that are not TLS", "[tls]") {
  for (std::string_view wire :
       {std::string_view("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), std::string_view("G"),
        std::string_view("\x80\x2e\x01\x03\x01", 5),  // an SSLv2-style hello
        std::string_view("\x16\x16\x03", 3), std::string_view("SSH-2.0-OpenSSH_9.2\r\n"),
        std::string_view("\0\0\0\0", 4)}) {
    INFO(wire.size() << " bytes");
    tls::ClientHelloReader reader;
    REQUIRE(reader.feed(wire) == HelloStatus::not_tls);
    CHECK(reader.failure() == "not_tls");
    CHECK(reader.consumed() <= 2);
  }
}

TEST_CASE("records that break the protocol", "[tls]") {
  const std::string message = b::hello_message(typical(b::sni_extension({"a.example"})));
  const std::string good = b::records(message, {100});
  struct Case {
    const char* what;
    std::string wire;
    HelloStatus status;
    const char* failure;
  };
  std::string bad_type = good;
  bad_type[5 + 100] = 23;  // the second record is application data
  std::string alert = good;
  alert[5 + 100] = 21;
  std::string ssl3 = good;
  ssl3[2] = 0;
  std::string tls13_record = good;
  tls13_record[2] = 4;
  std::string server_hello = good;
  server_hello[5] = 2;
  const std::vector<Case> cases = {
      {"application data record in the hello", bad_type, HelloStatus::malformed, "bad_record"},
      {"alert record in the hello", alert, HelloStatus::malformed, "bad_record"},
      {"record version 0x0300", ssl3, HelloStatus::malformed, "bad_record"},
      {"record version 0x0304", tls13_record, HelloStatus::malformed, "bad_record"},
      {"empty record", b::u8(22) + b::u16(0x0301) + b::u16(0) + message, HelloStatus::malformed,
       "bad_record"},
      {"record over 2^14", b::u8(22) + b::u16(0x0301) + b::u16(16385), HelloStatus::malformed,
       "bad_record"},
      {"a ServerHello", server_hello, HelloStatus::malformed, "not_client_hello"},
      {"a Finished", b::records(b::u8(20) + b::u24(12) + std::string(12, 'f')),
       HelloStatus::malformed, "not_client_hello"},
      // The record holds more than the message says it has: the bytes after it are no hello.
      {"message shorter than its record", b::records(message + "xyz"), HelloStatus::malformed,
       "bad_handshake"},
      {"message ends inside the second record", b::records(message + "xyz", {100}),
       HelloStatus::malformed, "bad_handshake"},
      {"empty ClientHello", b::records(b::u8(1) + b::u24(0)), HelloStatus::malformed,
       "bad_handshake"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    tls::ClientHelloReader reader;
    REQUIRE(reader.feed(c.wire) == c.status);
    CHECK(reader.failure() == c.failure);
  }
}

TEST_CASE("ClientHello bodies that lie", "[tls]") {
  const std::string ext = b::sni_extension({"a.example"});
  const std::string message = b::hello_message(ext);
  // Offsets in the message: 4 header, 2 version, 32 random, session id at 38.
  const auto with = [&](std::size_t at, std::string_view bytes) {
    std::string m = message;
    m.replace(at, bytes.size(), bytes);
    return m;
  };
  const std::size_t session = 38, suites = 38 + 1 + 32, compression = suites + 2 + 4,
                    extensions = compression + 2;
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"legacy_version 2.0", with(4, b::u16(0x0200))},
      {"session id of 33 bytes", with(session, b::u8(33))},
      {"session id past the end", with(session, b::u8(255))},
      {"odd cipher suites", with(suites, b::u16(3))},
      {"no cipher suites", with(suites, b::u16(0))},
      {"cipher suites past the end", with(suites, b::u16(0xfff0))},
      {"no compression methods", with(compression, b::u8(0))},
      {"extensions block shorter than its content", with(extensions, b::u16(3))},
      {"extensions block past the end",
       with(extensions, b::u16(static_cast<unsigned>(ext.size() + 1)))},
      {"one byte of extensions length", b::hello_message("", false) + "\x01"},
  };
  for (const auto& [what, m] : cases) {
    INFO(what);
    std::string fixed = m;
    // Keep the handshake header honest about the (maybe changed) body size.
    fixed.replace(1, 3, b::u24(static_cast<unsigned>(fixed.size() - 4)));
    tls::ClientHelloReader reader;
    REQUIRE(reader.feed(b::records(fixed)) == HelloStatus::malformed);
    CHECK(reader.failure() == "bad_handshake");
  }
}

TEST_CASE("oversized hellos are refused early", "[tls]") {
  // The handshake header promises more than the cap: refused once it is read.
  tls::ClientHelloReader promised;
  const std::string header = b::u8(22) + b::u16(0x0301) + b::u16(200) + b::u8(1) + b::u24(20000);
  REQUIRE(promised.feed(header) == HelloStatus::too_large);
  CHECK(promised.failure() == "too_large");
  CHECK(promised.consumed() == 9);

  // A record header that would take the hello past the cap (the first record's 16 KiB is fine
  // for TLS, not for a hello).
  tls::ClientHelloReader big_record;
  REQUIRE(big_record.feed(b::u8(22) + b::u16(0x0301) + b::u16(16384)) == HelloStatus::too_large);

  // A hello of 17,000 bytes in two honest records.
  const std::string padding = b::extension(21, std::string(17000, '\0'));
  tls::ClientHelloReader padded;
  const std::string message = b::hello_message(b::sni_extension({"a.example"}) + padding);
  REQUIRE(padded.feed(b::records(message, {10000})) == HelloStatus::too_large);

  // Just under the cap in bytes on the wire is fine.
  const std::string small = b::hello_message("");
  const std::size_t pad = tls::kMaxHelloBytes - 5 - small.size() - 4;
  const std::string fits = b::records(b::hello_message(b::extension(21, std::string(pad, '\0'))));
  REQUIRE(fits.size() == tls::kMaxHelloBytes);
  tls::ClientHelloReader at_cap;
  CHECK(at_cap.feed(fits) == HelloStatus::complete);

  // Small records whose headers take the stream past the cap.
  const std::string m = b::hello_message(b::extension(21, std::string(4000, '\0')));
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < m.size(); ++i)
    cuts.push_back(i);
  tls::ClientHelloReader tiny;
  CHECK(tiny.feed(b::records(m, cuts)) == HelloStatus::too_large);
  CHECK(tiny.consumed() <= tls::kMaxHelloBytes);
}

TEST_CASE("truncated hellos need more, and what follows a hello is not read", "[tls]") {
  const std::string wire = b::hello(typical(b::sni_extension({"a.example"})));
  tls::ClientHelloReader truncated;
  CHECK(truncated.feed(std::string_view(wire).substr(0, wire.size() - 1)) ==
        HelloStatus::need_more);
  CHECK(truncated.failure().empty());

  // Early data or anything else after the hello's last record stays the caller's.
  tls::ClientHelloReader reader;
  REQUIRE(reader.feed(wire + "\x17\x03\x03\x00\x05hello") == HelloStatus::complete);
  CHECK(reader.consumed() == wire.size());
  CHECK(reader.feed("more") == HelloStatus::complete);
  CHECK(reader.consumed() == wire.size());
  CHECK(reader.hello().segments == 1);
  CHECK(reader.hello().server_name == "a.example");

  // A failed reader stays failed.
  tls::ClientHelloReader failed;
  REQUIRE(failed.feed("GET") == HelloStatus::not_tls);
  CHECK(failed.feed(wire) == HelloStatus::not_tls);

  // Empty reads change nothing and are not counted.
  tls::ClientHelloReader empty;
  CHECK(empty.feed("") == HelloStatus::need_more);
  CHECK(empty.hello().segments == 0);
}

TEST_CASE("a reader is reset for a new stream", "[tls]") {
  tls::ClientHelloReader reader;
  REQUIRE(reader.feed(b::hello(b::sni_extension({"first.example"}))) == HelloStatus::complete);
  reader.reset();
  CHECK(reader.status() == HelloStatus::need_more);
  CHECK(reader.consumed() == 0);
  REQUIRE(reader.feed(b::hello(b::sni_extension({"Second.Example"}))) == HelloStatus::complete);
  CHECK(reader.hello().server_name == "second.example");
  CHECK(reader.hello().segments == 1);
  reader.reset();
  REQUIRE(reader.feed("\x15") == HelloStatus::not_tls);
  reader.reset();
  CHECK(reader.failure().empty());
}

TEST_CASE("the alert record for a blocked host", "[tls]") {
  const auto alert = tls::alert_record();
  const std::vector<unsigned> bytes(alert.begin(), alert.end());
  CHECK(bytes == std::vector<unsigned>{21, 3, 3, 0, 2, 2, 112});
  CHECK(tls::alert_record(tls::AlertDescription::access_denied)[6] == 49);
  CHECK(tls::alert_record(tls::AlertDescription::handshake_failure)[6] == 40);
}
