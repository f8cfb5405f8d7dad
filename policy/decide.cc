#include "policy/decide.h"

#include <array>

namespace shelter::policy {
namespace {

// Categories whose blocks protect the device rather than filter content (RFC 8914 "Blocked").
constexpr std::array<std::string_view, 4> kSecurityCategories = {"malware", "phishing", "botnet",
                                                                 "cryptojacking"};

// Categories are free-form operator text, so "Malware" in a config means the same thing.
bool matches_lower_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

BlockEde ede_for(const blocklist::ListInfo& list, std::string_view category) {
  if (list.legal) return BlockEde::censored;
  for (std::string_view security : kSecurityCategories) {
    if (matches_lower_case(category, security)) return BlockEde::blocked;
  }
  return BlockEde::filtered;
}

Decision decide(const DnsRequest& request, const blocklist::Snapshot& lists,
                const Capabilities& capabilities) {
  blocklist::LookupResult found = lists.lookup(request.qname);
  Decision decision;
  decision.legal_override = found.legal_override;
  if (found.blocked()) {
    decision.verdict = Verdict::block;
    decision.rule = *found.decided;
    decision.list = &lists.lists()[decision.rule.list_index];
    decision.category = lists.categories()[decision.rule.category];
    decision.ede = ede_for(*decision.list, decision.category);
    decision.local_data = std::move(found.local_data);
    return decision;
  }
  if (!found.partial) return decision;
  decision.steer_legal = found.partial_legal;
  if (capabilities.proxy) {
    decision.verdict = Verdict::steer;
  } else if (found.partial_legal) {
    // No proxy can check the pages: blocking the whole host is the only way not to fail open.
    for (const blocklist::MatchedRule& rule : lists.matching_rules(request.qname)) {
      if (rule.level == blocklist::RuleLevel::url && rule.action == blocklist::RuleAction::block &&
          lists.lists()[rule.list_index].legal) {
        decision.verdict = Verdict::block;
        decision.rule = rule;
        decision.list = &lists.lists()[rule.list_index];
        decision.category = lists.categories()[rule.category];
        decision.ede = BlockEde::censored;
        break;
      }
    }
  }
  return decision;
}

}  // namespace shelter::policy
