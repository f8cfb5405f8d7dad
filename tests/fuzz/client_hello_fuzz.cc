// Feeds arbitrary bytes to the ClientHello reader in pieces and aborts when an invariant fails.
// Input: byte 0 % 8 = how many cuts, then that many 2-byte cut positions (taken modulo the
// rest's size), then the stream. Checked:
//  - the verdict and facts do not depend on how the stream is cut into reads: whole, in the
//    chosen pieces, and a byte at a time agree on everything but the count of reads;
//  - need_more has read everything, at most the cap; a failure names a known class and has read
//    at most the cap; complete has read exactly the hello's records, at most the cap;
//  - a complete hello's server name is a checked, lower-case DNS name (or empty when not valid),
//    its ALPN names are non-empty, and the same message re-framed in one record reads the same.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/tls/client_hello.h"

namespace tls = shelter::proxy::tls;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

struct Verdict {
  tls::HelloStatus status;
  std::string failure;
  std::size_t consumed;
  tls::SniStatus sni;
  std::string server_name;
  std::string alpn;
  bool ech, tls13;
  unsigned legacy_version;
  std::size_t message_bytes;
  bool operator==(const Verdict&) const = default;
};

Verdict verdict_of(const tls::ClientHelloReader& r) {
  const tls::ClientHello& h = r.hello();
  const bool done = r.status() == tls::HelloStatus::complete;
  // Where a failure is noticed inside a read depends on the read: its byte count does not count.
  const bool read_all = done || r.status() == tls::HelloStatus::need_more;
  return {r.status(),
          std::string(r.failure()),
          read_all ? r.consumed() : 0,
          done ? h.sni : tls::SniStatus::absent,
          done ? std::string(h.server_name) : std::string(),
          done ? std::string(h.alpn.wire()) : std::string(),
          done && h.ech,
          done && h.tls13,
          done ? h.legacy_version : 0u,
          done ? h.message_bytes : 0};
}

bool known_failure(std::string_view f) {
  constexpr std::array<std::string_view, 7> kClasses = {
      "not_tls",       "bad_record",    "too_large",          "not_client_hello",
      "bad_handshake", "bad_extension", "duplicate_extension"};
  return std::find(kClasses.begin(), kClasses.end(), f) != kClasses.end();
}

void check_name(const tls::ClientHello& h) {
  const std::string_view name = h.server_name;
  require((h.sni == tls::SniStatus::valid) == !name.empty());
  require(name.size() <= 253 && !name.starts_with('.') && !name.ends_with('.'));
  require(name.find("..") == std::string_view::npos);
  for (char c : name)
    require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
}

// The message carried by the records of `wire`, re-framed into one record.
std::string one_record(std::string_view wire) {
  std::string message;
  while (wire.size() >= 5) {
    const std::size_t length = static_cast<std::size_t>(static_cast<unsigned char>(wire[3])) << 8 |
                               static_cast<unsigned char>(wire[4]);
    message.append(wire.substr(5, length));
    wire.remove_prefix(5 + length);
  }
  std::string out = {22, 3, 1, static_cast<char>(message.size() >> 8),
                     static_cast<char>(message.size() & 0xff)};
  return out + message;
}

void check_complete(const tls::ClientHelloReader& r, std::string_view stream) {
  const tls::ClientHello& h = r.hello();
  require(r.failure().empty());
  require(h.hello_bytes == r.consumed() && h.hello_bytes <= stream.size());
  require(h.hello_bytes <= tls::kMaxHelloBytes);
  require(h.message_bytes + 5 * h.records == h.hello_bytes);
  check_name(h);
  for (std::string_view p : h.alpn)
    require(!p.empty());
  tls::ClientHelloReader again;
  require(again.feed(one_record(stream.substr(0, h.hello_bytes))) == tls::HelloStatus::complete);
  Verdict a = verdict_of(again), b = verdict_of(r);
  a.consumed = b.consumed = 0;
  require(a == b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cuts = data[0] % 8;
  if (size < 1 + 2 * cuts) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1 + 2 * cuts,
                                size - 1 - 2 * cuts);
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < cuts; ++i) {
    const std::size_t v = static_cast<std::size_t>(data[1 + 2 * i]) << 8 | data[2 + 2 * i];
    at.push_back(stream.empty() ? 0 : v % stream.size());
  }
  std::sort(at.begin(), at.end());
  at.push_back(stream.size());

  tls::ClientHelloReader whole;
  whole.feed(stream);
  const Verdict expected = verdict_of(whole);

  tls::ClientHelloReader pieces;
  std::size_t from = 0;
  for (std::size_t to : at) {
    pieces.feed(stream.substr(from, to - from));
    from = to;
  }
  require(verdict_of(pieces) == expected);

  if (stream.size() <= 4096) {
    tls::ClientHelloReader bytewise;
    for (char c : stream)
      bytewise.feed(std::string_view(&c, 1));
    require(verdict_of(bytewise) == expected);
  }

  switch (whole.status()) {
    case tls::HelloStatus::need_more:
      require(whole.failure().empty() && whole.consumed() == stream.size());
      require(stream.size() <= tls::kMaxHelloBytes);
      break;
    case tls::HelloStatus::complete:
      check_complete(whole, stream);
      break;
    default:
      require(known_failure(whole.failure()));
      require(whole.consumed() <= tls::kMaxHelloBytes && whole.consumed() <= stream.size());
      break;
  }
  whole.reset();
  whole.feed(stream);
  require(verdict_of(whole) == expected);
  return 0;
}
