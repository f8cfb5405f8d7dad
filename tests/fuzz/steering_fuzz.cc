// Fuzzes the rewrite of steered answers (proxy/dns/steering.h) with untrusted upstream bytes.
// The first input byte picks what the rest is:
//   even  a whole response, rewritten as for a steered name (A/AAAA: proxy addresses; SVCB and
//         HTTPS: hints and ECH stripped);
//   odd   the RDATA of one SVCB/HTTPS record.
// Besides crashes and sanitizer reports, it aborts when a rewrite that succeeded leaves a
// stripped key behind, or turns a message that parses as a response (what shelterd relays)
// into one that does not.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "proxy/dns/message.h"
#include "proxy/dns/steering.h"

using namespace shelter::proxy::dns;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

// No param of a stripped key is left in rewritten RDATA (it parses: keys, lengths in bounds).
void check_rdata(Bytes rdata) {
  std::size_t at = 2;
  while (at < rdata.size() && rdata[at] != 0)
    at += 1 + rdata[at];
  ++at;
  while (at + 4 <= rdata.size()) {
    std::uint16_t key = read_u16(&rdata[at]);
    require(key != kSvcParamIpv4Hint && key != kSvcParamEch && key != kSvcParamIpv6Hint);
    at += 4 + read_u16(&rdata[at + 2]);
  }
  require(at == rdata.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Bytes input(data + 1, size - 1);
  std::vector<std::uint8_t> out;
  if (data[0] % 2 == 1) {
    bool changed = false;
    if (strip_svc_hints(input, out, changed)) {
      check_rdata(out);
      require(out.size() <= input.size());
    } else {
      require(out.empty());
    }
    return 0;
  }
  static const std::array<std::array<std::uint8_t, 4>, 2> v4 = {{{192, 0, 2, 44}, {192, 0, 2, 45}}};
  static const std::array<std::array<std::uint8_t, 16>, 1> v6 = {
      {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44}}};
  ProxyAddresses proxy{.v4 = v4, .v6 = v6};
  Response response;
  const bool relayable = parse_response(input, response) == ParseStatus::ok;
  if (rewrite_for_steering(input, proxy, out) == RewriteStatus::rewritten && relayable) {
    require(parse_response(out, response) == ParseStatus::ok);
  }
  return 0;
}
