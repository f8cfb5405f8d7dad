#pragma once
// The decision core: a pure function from the facts of a request to what should happen.
// No I/O, no clocks, no globals: everything it needs is a parameter.

#include <cstdint>
#include <string_view>
#include <vector>

#include "blocklist/snapshot.h"

namespace shelter::policy {

/// RFC 8914 Extended DNS Error codes that a block carries.
enum class BlockEde : std::uint16_t {
  blocked = 15,   ///< operator security lists (malware, phishing)
  censored = 16,  ///< legal / authority lists (CSAM)
  filtered = 17,  ///< parental and content-category filtering
};

enum class Verdict : std::uint8_t {
  allow,  ///< resolve normally
  block,  ///< answer with the block (block page, NXDOMAIN, ... or the rule's RPZ answer)
  steer,  ///< only pages of this host are listed: send the client to the filtering proxy
};

struct Decision {
  Verdict verdict = Verdict::allow;
  /// Set when verdict == block: the deciding rule. Its views point into the snapshot, which
  /// the caller keeps alive for as long as it uses the decision.
  blocklist::MatchedRule rule;
  const blocklist::ListInfo* list = nullptr;  ///< the deciding rule's list (block only)
  std::string_view category;                  ///< the deciding rule's category (block only)
  BlockEde ede = BlockEde::filtered;
  /// RPZ local data when rule.answer == local_data.
  std::vector<blocklist::LocalAddress> local_data;
  /// A legal list's block was lifted by a legal-class exception: an operator override that the
  /// caller must count.
  bool legal_override = false;
  /// verdict == steer, or a block for the reason below: some of the URL rules are legal.
  bool steer_legal = false;
};

/// Facts about one DNS question, already gathered by the listener.
struct DnsRequest {
  std::string_view qname;  ///< normalised (lower case, no trailing dot)
};

/// What the deployment can do, from its configuration.
struct Capabilities {
  /// A proxy that checks full URLs is configured (addresses to steer to). Without one, a name
  /// with legal URL-level entries is blocked whole (never fail open on the CSAM lists) and a
  /// name with only other URL-level entries is allowed.
  bool proxy = false;
};

/// Which EDE a block from this list and category carries: legal lists are "Censored", the
/// security categories ("malware", "phishing", "botnet", "cryptojacking", any case)
/// "Blocked", everything else "Filtered".
BlockEde ede_for(const blocklist::ListInfo& list, std::string_view category);

/// The decision for one DNS question against a list snapshot.
Decision decide(const DnsRequest& request, const blocklist::Snapshot& lists,
                const Capabilities& capabilities);

}  // namespace shelter::policy
