#pragma once
// The decision core: a pure function from the facts of a request to what should happen.
// No I/O, no clocks, no globals: everything it needs is a parameter.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "blocklist/snapshot.h"
#include "policy/category.h"
#include "policy/entry_set.h"
#include "policy/overrides.h"
#include "policy/profile.h"
#include "policy/string_hash.h"

namespace shelter::policy {

/// RFC 8914 Extended DNS Error codes that a block carries.
enum class BlockEde : std::uint16_t {
  blocked = 15,   ///< operator security lists (malware, phishing)
  censored = 16,  ///< legal / authority lists (CSAM)
  filtered = 17,  ///< parental and content-category filtering
};

enum class Verdict : std::uint8_t {
  allow,    ///< resolve normally
  block,    ///< answer with the block (block page, NXDOMAIN, ... or the rule's RPZ answer)
  steer,    ///< only pages of this host are listed: send the client to the filtering proxy
  rewrite,  ///< safe search: answer with a CNAME to `rewrite_to`
};

/// Which stage of the precedence (docs/architecture.md, "Profiles") decided.
enum class Reason : std::uint8_t {
  none,            ///< nothing applied: allow
  list,            ///< a list's rule (block, or steer for its URL entries)
  helpline,        ///< a never-blocked helpline or support service
  bypass,          ///< encrypted-DNS bypass prevention (answered NXDOMAIN)
  paused,          ///< the internet is paused for this subscriber
  schedule,        ///< an allow-only schedule window is open (bedtime)
  profile_deny,    ///< the profile's own deny entry
  profile_allow,   ///< the profile's own allow entry lifted category blocks
  safe_search,     ///< rewritten to the engine's safe endpoint
  granted,         ///< a parent's answer to "Ask my parent" allows it for now
  operator_allow,  ///< an operator overturned an appeal: allowed for everyone
  cover_name,      ///< steered because it is a cover name (Environment::cover_names)
};

/// How many Reason values there are (arrays indexed by reason).
constexpr std::size_t kReasonCount = 12;

/// A set of exact, normalised names, looked up by string_view.
using NameSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

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
  /// verdict == steer: a list of those URL rules refuses the host over HTTPS, where its pages
  /// cannot be checked (ListInfo::https_block).
  bool steer_https_block = false;
  Reason reason = Reason::none;
  /// verdict == rewrite: the safe endpoint to answer a CNAME to.
  std::string_view rewrite_to;
  /// reason == schedule: the open window's rule (points into the profile).
  const ScheduleRule* schedule = nullptr;
  /// The UTC second at which this decision may change (a schedule edge, the end of a pause):
  /// answers must not be cached by clients beyond it. kNever when no time rule is involved.
  std::int64_t valid_until = kNever;
};

/// Facts about one request, already gathered by the listener: a DNS question, or (with a
/// path) an HTTP request the filtering proxy checks page by page.
struct DnsRequest {
  std::string_view qname;  ///< normalised (lower case, no trailing dot): the name or the host
  std::int64_t now = 0;    ///< UTC seconds since the epoch
  /// Empty: a DNS question. Set: the canonical path (and query) of a URL on `qname`
  /// (blocklist::canonicalise_url), decided with the same precedence: URL-level entries decide
  /// instead of steering, and safe search does not apply.
  std::string_view path{};
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

/// Everything of the deployment a decision reads besides the request and the subscriber.
struct Environment {
  const blocklist::Snapshot& lists;
  /// Registry id -> this snapshot's category bit (built when the snapshot is published).
  const CategoryBits& category_bits;
  Capabilities capabilities;
  /// Helplines and support services: never blocked by any profile, schedule or pause (the
  /// block page links to them). Legal lists still apply.
  const EntrySet* never_blocked = nullptr;
  /// Sites an operator allowed for everyone (overturned appeals): they lift list blocks but a
  /// legal list's; a profile's own deny still applies.
  const EntrySet* operator_allow = nullptr;
  /// Names steered to the proxy whenever nothing else decides them (stage 11), so that an
  /// observer of DNS answers learns less from a steered name (docs/lists.md, "Steering").
  /// Exact names; null or ignored without a proxy.
  const NameSet* cover_names = nullptr;
};

/// The decision for one DNS question, or one page (request.path set: the filtering proxy),
/// from `subject` (its profile, time zone and pause). A page request looks up its URL, so
/// URL-level entries block or allow it instead of steering, and the profile's page entries
/// apply to it; safe search is for DNS only. Stages in order, each deciding or passing on (the
/// table in docs/profiles.md):
///  1. a legal list's block                              -> block
///  2. a helpline                                         -> allow (steer on legal URL entries)
///  3. bypass prevention (profile.block_bypass)           -> block, NXDOMAIN
///  4. paused                                             -> block until the pause ends
///  5. an open allow-only schedule window, not allowed    -> block until the window closes
///  6. the profile's deny entries, unless a parent's grant
///     covers the name                                    -> block (steer for page entries)
///  7. list blocks in the profile's categories (plus open block-categories windows), unless a
///     profile allow entry, a grant or an operator allow lifts them -> block
///  8. legal URL-level entries on the name                -> steer (no proxy: block)
///  9. safe search                                        -> rewrite
/// 10. other URL-level entries in the categories          -> steer (no proxy: allow)
/// 11. a cover name (DNS, with a proxy)                   -> steer
/// 12.                                                    -> allow
Decision decide(const DnsRequest& request, const Subject& subject, const Environment& env);

/// The decision with no profile: every category of every list counts. For tools and for
/// deployments that have no subscribers configured.
Decision decide(const DnsRequest& request, const blocklist::Snapshot& lists,
                const Capabilities& capabilities);

/// What a proxy that sees only the host (a TLS server name, a CONNECT target) does with it.
enum class HostVerdict : std::uint8_t {
  pass,               ///< splice or tunnel it (the host is allowed, or only its pages are listed)
  block,              ///< the host is blocked whole
  block_https_pages,  ///< only pages are listed, by a list whose https-pages is "block"
};

/// The host-only verdict of a host's decision (a request with an empty path). A cover name is
/// steered only to hide which names are listed: to the proxy it is an open host.
inline HostVerdict host_verdict(const Decision& decision) {
  if (decision.verdict == Verdict::block) return HostVerdict::block;
  if (decision.verdict == Verdict::steer && decision.steer_https_block &&
      decision.reason != Reason::cover_name) {
    return HostVerdict::block_https_pages;
  }
  return HostVerdict::pass;
}

}  // namespace shelter::policy
