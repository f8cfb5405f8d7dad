// Feeds arbitrary bytes to every text list parser (parse_rules in each ListFormat). Besides
// crashes, it checks the invariants that the snapshot builder and the matchers rely on, and
// aborts when one fails. Parsers only: the snapshot has fuzzing of its own.
// The same bytes go through the fitness checks of fail-safe list updates (sniff_text, then
// check_list on what each parser made of them), whose words end up in the log and /readyz.
#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "blocklist/domain_list.h"
#include "blocklist/list_check.h"
#include "blocklist/list_format.h"

namespace bl = shelter::blocklist;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// URL-level rules may name an address: a dotted quad or a bracketed IPv6 address.
bool is_ip_literal(std::string_view host) {
  std::string text(host);
  unsigned char bytes[16];
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    return inet_pton(AF_INET6, text.substr(1, text.size() - 2).c_str(), bytes) == 1;
  }
  return inet_pton(AF_INET, text.c_str(), bytes) == 1;
}

void check_rule(const bl::Rule& rule, std::size_t lines) {
  // Hosts are already normalised, so the snapshot and the query side agree on them.
  auto again = bl::normalise_domain(rule.host);
  bool name = again && *again == rule.host;
  require(name || (!rule.path.empty() && is_ip_literal(rule.host)));
  require(rule.path.empty() || rule.path.front() == '/');
  // Path flags belong to URL-level rules.
  require(!rule.path.empty() || (!rule.path_prefix && !rule.path_separator));
  require(rule.address_size == 0 || rule.address_size == 4 || rule.address_size == 16);
  require((rule.address_size != 0) == (rule.answer == bl::DnsAnswer::local_data));
  require(rule.line >= 1 && rule.line <= lines);
}

// Messages quote untrusted text escaped, so a hostile list cannot forge log lines.
bool printable(std::string_view message) {
  return !message.empty() &&
         std::all_of(message.begin(), message.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The checks' verdict on a list that parsed into `facts`, against several last good versions
// and limits: a reason exactly when refused, printable, and never a list without entries taken.
void check_verdicts(const bl::ListFacts& facts, bl::ListFormat format) {
  const std::uint64_t n = facts.entries;
  const std::optional<std::uint64_t> last_goods[] = {std::nullopt, 0, n, n + 1, 2 * n + 7};
  const bl::ListLimits limits[] = {bl::ListLimits{}, bl::ListLimits{0.0, 0.0},
                                   bl::ListLimits{1.0, 1.0}};
  for (const auto& last_good : last_goods) {
    for (const bl::ListLimits& limit : limits) {
      const bl::ListCheck check = bl::check_list(facts, last_good, limit, bl::format_name(format));
      const bool ok = check.verdict == bl::ListVerdict::ok;
      require(check.reason.empty() == ok);
      require(ok || printable(check.reason));
      require(!bl::verdict_name(check.verdict).empty());
      require(!ok || (facts.entries > 0 && facts.kind == bl::TextKind::text));
      require(check.acceptable() == (check.verdict == bl::ListVerdict::refused_empty ||
                                     check.verdict == bl::ListVerdict::refused_shrink));
      // Only a loss against a larger last good version is a shrink, and only past the limit.
      if (check.verdict == bl::ListVerdict::refused_shrink) {
        require(last_good && *last_good > n && limit.max_shrink < 1.0);
      }
      // Malformed lines refuse text only when some are allowed fewer than there are.
      if (check.verdict == bl::ListVerdict::refused_format && facts.kind == bl::TextKind::text) {
        require(facts.malformed > 0 && limit.max_malformed < 1.0);
      }
    }
  }
}

// sniff_text: a printable description, and NUL bytes always binary.
bl::ListFacts sniff(std::string_view text) {
  bl::ListFacts facts;
  facts.kind = bl::sniff_text(text, &facts.kind_detail);
  require(printable(facts.kind_detail));
  require(bl::sniff_text(text) == facts.kind);
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
    require(facts.kind == bl::TextKind::binary);
  }
  return facts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // An upper bound on the line numbers for_each_line hands out.
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  const bl::ListFacts sniffed = sniff(text);
  for (auto format : {bl::ListFormat::domains, bl::ListFormat::hosts, bl::ListFormat::adblock,
                      bl::ListFormat::rpz, bl::ListFormat::urls}) {
    std::size_t taken = 0;
    std::uint32_t last_line = 0;
    auto summary = bl::parse_rules(text, format, [&](const bl::Rule& rule) {
      check_rule(rule, lines);
      require(rule.line >= last_line);  // rules come in the order of the text
      last_line = rule.line;
      ++taken;
    });
    require(summary.taken == taken);
    require(summary.issues.size() <= bl::ParseSummary::kMaxIssues);
    require(summary.issues.size() <= summary.rejected);
    std::size_t last_issue = 0;
    for (const auto& issue : summary.issues) {
      require(issue.line >= 1 && issue.line <= lines && issue.line >= last_issue);
      require(printable(issue.message));
      last_issue = issue.line;
    }
    bl::ListFacts facts = sniffed;
    facts.entries = summary.taken;
    facts.malformed = summary.rejected;
    check_verdicts(facts, format);
  }
  return 0;
}
