#include "proxy/web/site_check.h"

#include "blocklist/domain_list.h"
#include "blocklist/url.h"

namespace shelter::proxy::web {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

const blocklist::ListInfo* first_legal_list(const blocklist::Snapshot& lists,
                                            std::string_view host) {
  for (const blocklist::MatchedRule& rule : lists.matching_rules(host)) {
    const blocklist::ListInfo& list = lists.lists()[rule.list_index];
    if (list.legal && rule.action == blocklist::RuleAction::block) return &list;
  }
  return nullptr;
}

}  // namespace

std::string_view verdict_name(SiteCheck::Verdict verdict) {
  switch (verdict) {
    case SiteCheck::Verdict::open:
      return "open";
    case SiteCheck::Verdict::allowed:
      return "allowed";
    case SiteCheck::Verdict::blocked:
      return "blocked";
    case SiteCheck::Verdict::pages:
      return "pages";
    case SiteCheck::Verdict::authority:
      return "restricted";
  }
  return "open";
}

std::optional<std::string> typed_host(std::string_view input, std::string* path) {
  input = trim(input);
  if (input.empty() || input.size() > 2000) return std::nullopt;
  const bool looks_like_url =
      input.find("://") != std::string_view::npos || input.find('/') != std::string_view::npos;
  if (!looks_like_url) {
    std::optional<std::string> host = blocklist::normalise_domain(input);
    if (host && path != nullptr) *path = "/";
    return host;
  }
  std::string text(input);
  if (text.find("://") == std::string::npos) text.insert(0, "http://");
  std::string error;
  std::optional<blocklist::CanonicalUrl> url = blocklist::canonicalise_url(text, error);
  if (!url) return std::nullopt;
  if (path != nullptr) *path = url->path;
  return url->host;
}

std::optional<SiteCheck> check_site(std::string_view input, const blocklist::Snapshot& lists,
                                    const policy::EntrySet* operator_allow) {
  std::string path;
  std::optional<std::string> host = typed_host(input, &path);
  if (!host) return std::nullopt;
  SiteCheck check;
  check.site = *host;
  // Legal lists first, and for the host alone: the same answer for every page typed.
  const blocklist::LookupResult by_host = lists.lookup(*host);
  if (by_host.legal || by_host.partial_legal) {
    if (const blocklist::ListInfo* list = first_legal_list(lists, *host)) {
      check.verdict = SiteCheck::Verdict::authority;
      check.list = list->id;  // for the referral; never shown by check a site
      check.category = list->category;
      check.authority = list->authority;
      check.appeal = list->appeal;
      return check;
    }
  }
  if (operator_allow != nullptr && operator_allow->covers_domain(*host)) {
    check.verdict = SiteCheck::Verdict::allowed;
    return check;
  }
  const bool page_typed = !path.empty() && path != "/";
  const blocklist::LookupResult found = page_typed ? lists.lookup_url(*host, path) : by_host;
  if (found.legal && found.decided) {  // a legal entry the host lookup did not see
    const blocklist::ListInfo& list = lists.lists()[found.decided->list_index];
    check.verdict = SiteCheck::Verdict::authority;
    check.list = list.id;
    check.category = list.category;
    check.authority = list.authority;
    check.appeal = list.appeal;
    return check;
  }
  if (found.blocked()) {
    const blocklist::MatchedRule& rule = *found.decided;
    check.verdict = SiteCheck::Verdict::blocked;
    check.list = lists.lists()[rule.list_index].id;
    check.category = lists.categories()[rule.category];
    return check;
  }
  if (by_host.partial) {
    for (const blocklist::MatchedRule& rule : lists.matching_rules(*host)) {
      if (rule.level != blocklist::RuleLevel::url || rule.action != blocklist::RuleAction::block)
        continue;
      check.verdict = SiteCheck::Verdict::pages;
      check.list = lists.lists()[rule.list_index].id;
      check.category = lists.categories()[rule.category];
      return check;
    }
  }
  return check;
}

}  // namespace shelter::proxy::web
