#pragma once
// Rewriting the real answer for a steered name (docs/lists.md, "Steering"): its addresses
// become the filtering proxy's, and its HTTPS/SVCB records lose what would let a client go
// around the proxy (ECH keys and address hints). Pure code over untrusted upstream bytes:
// never reads outside the given span, and fuzzed (tests/fuzz/steering_fuzz.cc).

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "proxy/dns/wire.h"

namespace shelter::proxy::dns {

namespace qtype {
inline constexpr std::uint16_t kSvcb = 64;
inline constexpr std::uint16_t kHttps = 65;
}  // namespace qtype

/// SvcParamKeys (RFC 9460 section 14.3.2) that a steered name's records lose.
inline constexpr std::uint16_t kSvcParamIpv4Hint = 4;
inline constexpr std::uint16_t kSvcParamEch = 5;
inline constexpr std::uint16_t kSvcParamIpv6Hint = 6;

enum class RewriteStatus : std::uint8_t {
  unchanged,  ///< nothing to rewrite: relay the message as it is (`out` untouched)
  rewritten,  ///< `out` holds the rewritten message
  bad,        ///< the bytes do not parse (`out` unspecified): answer SERVFAIL, never relay
};

/// Appends the RDATA of an SVCB or HTTPS record (RFC 9460: SvcPriority, TargetName written
/// out in full, then SvcParams in increasing key order) to `out` without the ipv4hint, ech and
/// ipv6hint params, and without those keys in `mandatory`; SvcPriority, TargetName and every
/// other param (alpn, port, ...) stay as they are. `changed` says whether anything was
/// dropped. Returns false, with `out` as it was, when the RDATA is malformed (a compressed or
/// over-long TargetName, a param running past the end, keys out of order).
bool strip_svc_hints(Bytes rdata, std::vector<std::uint8_t>& out, bool& changed);

/// The proxy's addresses, by family. Either may be empty.
struct ProxyAddresses {
  std::span<const std::array<std::uint8_t, 4>> v4;
  std::span<const std::array<std::uint8_t, 16>> v6;
};

/// Rewrites `message`, a complete response to one question (relayed or cached, without OPT),
/// for a steered name, into `out`:
/// - A/AAAA: the records of the question's type in the answer section are replaced by the
///   proxy's addresses of that family (none: they are removed), with the least TTL of the
///   answer section; the CNAME chain before them stays.
/// - SVCB/HTTPS: each record of the question's type loses ech, ipv4hint and ipv6hint (a
///   record whose RDATA is malformed is dropped).
/// Either way the answer section keeps only CNAMEs and the rewritten records (signatures would
/// no longer match), and the authority and additional sections go. A message that is not
/// NOERROR, or has no record of the question's type (NXDOMAIN, NODATA, SERVFAIL), and an
/// HTTPS/SVCB answer without anything to strip, is `unchanged`.
RewriteStatus rewrite_for_steering(Bytes message, const ProxyAddresses& proxy,
                                   std::vector<std::uint8_t>& out);

}  // namespace shelter::proxy::dns
