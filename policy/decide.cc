#include "policy/decide.h"

#include <algorithm>
#include <array>
#include <optional>

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

namespace {

// Names whose NXDOMAIN tells a device that the network filters and encrypted DNS must stay
// off: Firefox's canary domain and iCloud Private Relay's.
constexpr std::array<std::string_view, 3> kBypassCanaries = {
    "use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"};

Decision block_by_list(const blocklist::Snapshot& lists, blocklist::LookupResult& found) {
  Decision decision;
  decision.verdict = Verdict::block;
  decision.reason = Reason::list;
  decision.rule = *found.decided;
  decision.list = &lists.lists()[decision.rule.list_index];
  decision.category = lists.categories()[decision.rule.category];
  decision.ede = ede_for(*decision.list, decision.category);
  decision.local_data = std::move(found.local_data);
  decision.legal_override = found.legal_override;
  return decision;
}

// A block that no list made (pause, schedule, deny entry, bypass prevention).
Decision block_by_profile(Reason reason) {
  Decision decision;
  decision.verdict = Verdict::block;
  decision.reason = reason;
  if (reason == Reason::bypass) decision.rule.answer = blocklist::DnsAnswer::nxdomain;
  return decision;
}

// URL-level entries on a name that no domain rule blocks: steer to the proxy, which checks
// each URL. Without a proxy, a legal entry blocks the whole host (never fail open on the CSAM
// lists) and other entries are let through (blocking the host would block every other page).
Decision steer_for_pages(std::string_view qname, const blocklist::LookupResult& found,
                         const blocklist::Snapshot& lists, const Capabilities& capabilities) {
  Decision decision;
  decision.reason = Reason::list;
  decision.steer_legal = found.partial_legal;
  decision.steer_https_block = found.partial_https_block;
  decision.legal_override = found.legal_override;
  if (capabilities.proxy) {
    decision.verdict = Verdict::steer;
    return decision;
  }
  if (!found.partial_legal) {
    decision.reason = Reason::none;
    return decision;
  }
  for (const blocklist::MatchedRule& rule : lists.matching_rules(qname)) {
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
  return decision;
}

// What lifts the list blocks of a name (legal lists excepted), strongest first.
enum class Lifts : std::uint8_t { none, profile_allow, grant, operator_allow };

// What the subject's time rules say now: an open allow-only window, extra categories, and
// when any of that next changes.
struct TimeRules {
  const ScheduleRule* allow_only = nullptr;
  std::uint64_t extra_categories = 0;
  std::int64_t valid_until = kNever;
};

TimeRules evaluate_time_rules(const Subject& subject, std::int64_t now, const CategoryBits& bits) {
  TimeRules rules;
  if (subject.profile->schedules.empty()) return rules;
  static const TimeZone kUtc = TimeZone::utc();
  const TimeZone& zone = subject.zone != nullptr ? *subject.zone : kUtc;
  for (const ScheduleRule& rule : subject.profile->schedules) {
    WindowTiming timing = window_timing(rule.window, zone, now);
    rules.valid_until = std::min(rules.valid_until, timing.until);
    if (!timing.active) continue;
    if (rule.mode == ScheduleMode::allow_only) {
      if (rules.allow_only == nullptr) rules.allow_only = &rule;
    } else {
      rules.extra_categories |= bits.mask(rule.categories);
    }
  }
  return rules;
}

bool is_bypass_canary(std::string_view qname) {
  for (std::string_view canary : kBypassCanaries) {
    if (qname == canary) return true;
  }
  return false;
}

Decision with_valid_until(Decision decision, std::int64_t valid_until) {
  decision.valid_until = std::min(decision.valid_until, valid_until);
  return decision;
}

// Whether `set` covers the request: the name (DNS), or the URL (a page request).
bool covers(const EntrySet& set, const DnsRequest& request) {
  return request.path.empty() ? set.covers_domain(request.qname)
                              : set.covers_url(request.qname, request.path);
}

// Stages 6 to 10 of decide(): the profile's entries, its categories, safe search, pages.
Decision decide_by_profile(const DnsRequest& request, const Profile& profile,
                           blocklist::LookupResult& found, Lifts lifts, const Environment& env) {
  const std::string_view qname = request.qname;
  const bool dns = request.path.empty();
  // A parent's grant answers their child's request: it lifts their own deny entries too.
  const bool granted = lifts == Lifts::grant;
  if (!granted && covers(profile.deny, request)) return block_by_profile(Reason::profile_deny);
  if (dns && !granted && profile.deny.has_pages_on(qname) && env.capabilities.proxy) {
    Decision decision;
    decision.verdict = Verdict::steer;
    decision.reason = Reason::profile_deny;
    return decision;
  }
  if (found.blocked()) return block_by_list(env.lists, found);
  if (found.partial_legal) return steer_for_pages(qname, found, env.lists, env.capabilities);
  if (auto target = dns ? safe_search_target(qname, profile.safe_search) : std::nullopt) {
    Decision decision;
    decision.verdict = Verdict::rewrite;
    decision.reason = Reason::safe_search;
    decision.rewrite_to = *target;
    return decision;
  }
  if (found.partial) return steer_for_pages(qname, found, env.lists, env.capabilities);
  Decision decision;
  decision.legal_override = found.legal_override;
  if (dns && env.cover_names != nullptr && env.capabilities.proxy &&
      env.cover_names->find(qname) != env.cover_names->end()) {
    decision.verdict = Verdict::steer;
    decision.reason = Reason::cover_name;
    return decision;
  }
  switch (lifts) {
    case Lifts::profile_allow:
      decision.reason = Reason::profile_allow;
      break;
    case Lifts::grant:
      decision.reason = Reason::granted;
      break;
    case Lifts::operator_allow:
      decision.reason = Reason::operator_allow;
      break;
    case Lifts::none:
      break;
  }
  return decision;
}

}  // namespace

Decision decide(const DnsRequest& request, const Subject& subject, const Environment& env) {
  const Profile& profile = *subject.profile;
  std::string_view qname = request.qname;
  TimeRules time = evaluate_time_rules(subject, request.now, env.category_bits);
  const std::int64_t granted_until =
      subject.grants != nullptr ? subject.grants->until_for(qname, request.now) : 0;
  const bool operator_allowed =
      env.operator_allow != nullptr && covers(*env.operator_allow, request);
  const Lifts lifts = covers(profile.allow, request) ? Lifts::profile_allow
                      : granted_until != 0           ? Lifts::grant
                      : operator_allowed             ? Lifts::operator_allow
                                                     : Lifts::none;
  const bool allowed = lifts != Lifts::none;
  std::uint64_t categories = profile.all_categories
                                 ? blocklist::kAllCategories
                                 : env.category_bits.mask(profile.blocked) | time.extra_categories;
  // One lookup serves every stage: legal lists always count, the others only in the
  // profile's categories, and none when an allow entry covers the name.
  // A page request looks up its URL: domain and URL entries decide, nothing is partial.
  auto lookup = [&](std::uint64_t enabled) {
    return request.path.empty() ? env.lists.lookup(qname, enabled)
                                : env.lists.lookup_url(qname, request.path, enabled);
  };
  blocklist::LookupResult found = lookup(allowed ? 0 : categories);

  if (found.legal) return block_by_list(env.lists, found);
  if (env.never_blocked != nullptr && env.never_blocked->covers_domain(qname)) {
    if (found.blocked()) found = lookup(0);  // only legal entries count here
    if (found.partial_legal) return steer_for_pages(qname, found, env.lists, env.capabilities);
    Decision decision;
    decision.reason = Reason::helpline;
    decision.legal_override = found.legal_override;
    return decision;
  }
  if (profile.block_bypass && is_bypass_canary(qname)) return block_by_profile(Reason::bypass);
  if (request.now < subject.paused_until) {
    return with_valid_until(block_by_profile(Reason::paused), subject.paused_until);
  }
  if (time.allow_only != nullptr && !covers(time.allow_only->allow, request)) {
    Decision decision = block_by_profile(Reason::schedule);
    decision.schedule = time.allow_only;
    return with_valid_until(std::move(decision), time.valid_until);
  }
  Decision decision = decide_by_profile(request, profile, found, lifts, env);
  if (decision.reason == Reason::granted) decision.valid_until = granted_until;
  return with_valid_until(std::move(decision), time.valid_until);
}

Decision decide(const DnsRequest& request, const blocklist::Snapshot& lists,
                const Capabilities& capabilities) {
  static const Profile kEveryCategory = [] {
    Profile p;
    p.name = "every-category";
    p.all_categories = true;
    return p;
  }();
  static const CategoryBits kNoBits;
  Subject subject{.profile = &kEveryCategory};
  return decide(request, subject,
                {.lists = lists, .category_bits = kNoBits, .capabilities = capabilities});
}

}  // namespace shelter::policy
