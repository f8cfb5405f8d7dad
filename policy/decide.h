#pragma once
// The decision core: a pure function from the facts of a request to what should happen.
// No I/O, no clocks, no globals: everything it needs is a parameter.

#include <cstdint>
#include <string_view>

#include "blocklist/snapshot.h"

namespace shelter::policy {

/// RFC 8914 Extended DNS Error codes that a block carries.
enum class BlockEde : std::uint16_t {
  blocked = 15,   ///< operator security lists (malware, phishing)
  censored = 16,  ///< legal / authority lists (CSAM)
  filtered = 17,  ///< parental and content-category filtering
};

enum class Verdict : std::uint8_t { allow, block };

struct Decision {
  Verdict verdict = Verdict::allow;
  /// Set when verdict == block: the list that decided (points into the snapshot, which the
  /// caller keeps alive for as long as it uses the decision).
  const blocklist::ListInfo* list = nullptr;
  std::string_view rule;  ///< the listed domain that matched
  BlockEde ede = BlockEde::filtered;
};

/// Facts about one DNS question, already gathered by the listener.
struct DnsRequest {
  std::string_view qname;  ///< normalised (lower case, no trailing dot)
};

/// Which EDE a block from this list carries: legal lists are "Censored", the security
/// categories ("malware", "phishing", "botnet", "cryptojacking") "Blocked", everything else
/// "Filtered".
BlockEde ede_for(const blocklist::ListInfo& list);

/// The decision for one DNS question against a list snapshot.
Decision decide(const DnsRequest& request, const blocklist::Snapshot& lists);

}  // namespace shelter::policy
