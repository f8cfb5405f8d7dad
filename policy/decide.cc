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

BlockEde ede_for(const blocklist::ListInfo& list) {
  if (list.legal) return BlockEde::censored;
  for (std::string_view category : kSecurityCategories) {
    if (matches_lower_case(list.category, category)) return BlockEde::blocked;
  }
  return BlockEde::filtered;
}

Decision decide(const DnsRequest& request, const blocklist::Snapshot& lists) {
  std::optional<blocklist::Match> match = lists.lookup(request.qname);
  if (!match) return Decision{};
  const blocklist::ListInfo& list = lists.lists()[match->list_index];
  return Decision{Verdict::block, &list, match->rule, ede_for(list)};
}

}  // namespace shelter::policy
