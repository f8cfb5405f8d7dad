#include "tools/explain.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "blocklist/domain_list.h"
#include "blocklist/list_format.h"
#include "blocklist/url.h"
#include "policy/decide.h"

namespace shelter::tools {
namespace {

namespace bl = blocklist;

std::string_view scope_name(bl::HostScope scope) {
  switch (scope) {
    case bl::HostScope::self_and_below:
      return "the host and below";
    case bl::HostScope::self_only:
      return "the host only";
    case bl::HostScope::below_only:
      return "below the host only";
  }
  return "";
}

std::string_view answer_name(bl::DnsAnswer answer) {
  switch (answer) {
    case bl::DnsAnswer::configured:
      return "";
    case bl::DnsAnswer::nxdomain:
      return ", answer NXDOMAIN";
    case bl::DnsAnswer::nodata:
      return ", answer NODATA";
    case bl::DnsAnswer::local_data:
      return ", answer local data";
  }
  return "";
}

bool same_rule(const bl::Rule& parsed, const bl::MatchedRule& matched) {
  return parsed.host == matched.host && parsed.path == matched.path;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "file:line" of every rule of `list` equal to `matched`, by parsing the list again.
RuleSources sources_of(const proxy::config::ListConfig& list, const bl::MatchedRule& matched) {
  RuleSources out;
  auto scan = [&](const std::string& path, bl::ListFormat format) {
    std::string text = read_all(path);
    bl::parse_rules(text, format, [&](const bl::Rule& rule) {
      if (same_rule(rule, matched) && out.size() < 5)
        out.push_back(path + ":" + std::to_string(rule.line));
    });
  };
  if (list.format == "squidguard") {
    for (const auto& [folder, category] : list.categories) {
      std::filesystem::path dir = std::filesystem::path(list.path) / folder;
      scan((dir / "domains").string(), bl::ListFormat::domains);
      scan((dir / "urls").string(), bl::ListFormat::urls);
    }
  } else if (auto format = bl::parse_list_format(list.format); format && !list.path.empty()) {
    scan(list.path, *format);
  }
  return out;
}

void describe_rule(const bl::Snapshot& snapshot, const bl::MatchedRule& rule,
                   const std::vector<proxy::config::ListConfig>& lists, std::string& out) {
  const bl::ListInfo& list = snapshot.lists()[rule.list_index];
  out += "  - list '" + list.id + "'" + (list.legal ? " (legal)" : "") + ", category '" +
         snapshot.categories()[rule.category] + "': ";
  out += rule.action == bl::RuleAction::allow ? "exception " : "block ";
  out += rule.level == bl::RuleLevel::url ? "URL " : "domain ";
  out += rule.host;
  if (rule.level == bl::RuleLevel::url) {
    out += std::string(rule.path) + (rule.path_prefix ? "*" : "") +
           (rule.path_separator ? " (then a separator)" : "");
  }
  out += " [" + std::string(scope_name(rule.scope)) + (rule.important ? ", important" : "") +
         std::string(answer_name(rule.answer)) + "]\n";
  if (rule.list_index < lists.size()) {
    for (const std::string& source : sources_of(lists[rule.list_index], rule))
      out += "      from " + source + "\n";
  }
}

void describe_result(const bl::Snapshot& snapshot, const bl::LookupResult& result,
                     std::string& out) {
  if (result.legal_override) out += "  note: a legal block is lifted by a legal-class exception\n";
  if (result.blocked()) {
    const bl::MatchedRule& rule = *result.decided;
    const bl::ListInfo& list = snapshot.lists()[rule.list_index];
    policy::BlockEde ede = policy::ede_for(list, snapshot.categories()[rule.category]);
    out += "BLOCKED by list '" + list.id + "' (" + snapshot.categories()[rule.category] +
           (list.legal ? ", legal" : "") + "), rule " + std::string(rule.host) +
           std::string(rule.path) + "; EDE " + std::to_string(static_cast<int>(ede)) +
           "; appeal: " + list.appeal + "\n";
  } else if (result.partial) {
    out += "PARTIAL: only pages of this host are listed";
    out += result.partial_legal ? " (some by a legal list)" : "";
    out += "\n";
  } else {
    out += result.excepted ? "ALLOWED by an exception\n" : "ALLOWED: not listed\n";
  }
}

}  // namespace

bool explain(std::string_view subject, const bl::Snapshot& snapshot,
             const std::vector<proxy::config::ListConfig>& lists, bool proxy_configured,
             std::string& out) {
  bool is_url = subject.find('/') != std::string_view::npos;
  std::string host;
  std::string path;
  if (is_url) {
    std::string error;
    auto url = bl::canonicalise_url(subject, error);
    if (!url) {
      out = "not a valid URL: " + error;
      return false;
    }
    host = url->host;
    path = url->path;
  } else {
    auto name = bl::normalise_domain(subject);
    if (!name) {
      out = "not a valid domain name";
      return false;
    }
    host = *name;
  }
  out = (is_url ? "URL " + host + path : "name " + host) + "\n";
  std::vector<bl::MatchedRule> rules = snapshot.matching_rules(host, path);
  out += rules.empty() ? "no rule matches\n" : "matching rules:\n";
  for (const bl::MatchedRule& rule : rules)
    describe_rule(snapshot, rule, lists, out);
  out += is_url ? "proxy (full URL): " : "DNS: ";
  bl::LookupResult result = is_url ? snapshot.lookup_url(host, path) : snapshot.lookup(host);
  describe_result(snapshot, result, out);
  if (!is_url) {
    policy::Decision decision = policy::decide({host}, snapshot, {.proxy = proxy_configured});
    if (decision.verdict == policy::Verdict::steer) {
      out += "DNS answer: the proxy's address (proxy.address-ipv4/-ipv6)\n";
    } else if (result.partial && decision.verdict == policy::Verdict::block) {
      out += "DNS answer: blocked whole: legal URL entries and no proxy configured\n";
    } else if (result.partial) {
      out += "DNS answer: resolved normally: no proxy configured to check the pages\n";
    }
  }
  return true;
}

}  // namespace shelter::tools
