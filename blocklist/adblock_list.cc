#include "blocklist/adblock_list.h"

#include <array>
#include <string>

#include "blocklist/domain_list.h"
#include "blocklist/parse_util.h"
#include "blocklist/url.h"

namespace shelter::blocklist {
namespace {

// How a line ends. A taken rule is in the parser's members, a rejection's text in message_.
enum class Outcome { take, skip, unsupported, reject };

// Options that do not change which hosts or URLs match here. `important` also sets
// Rule::important. `all` (uBO: every request type, popups included) is what a network filter
// does anyway; `match-case` only narrows the path comparison to the exact case, which is how
// canonical paths are compared already. Every other option, known or not, narrows the rule to
// some requests a browser can tell apart and a DNS filter cannot, so dropping it would
// over-block; `badfilter` disables another rule. Such rules are unsupported.
constexpr std::array<std::string_view, 3> kHarmlessOptions = {"important", "all", "match-case"};

bool is_header(std::string_view line) {
  return line.front() == '[' && line.back() == ']';
}

// Where a cosmetic (element hiding, CSS, scriptlet, HTML filtering) separator starts:
// `##`, `#@#`, `#?#`, `#$#`, `#%#`, `#@$?#` and the like, or AdGuard's `$$` and `$@$`.
std::size_t find_cosmetic(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    std::string_view at = line.substr(i);
    if (at.starts_with("$$") || at.starts_with("$@$")) return i;
    if (at.front() != '#') continue;
    std::size_t j = 1;
    if (j < at.size() && at[j] == '@') ++j;
    for (int marks = 0; marks < 2 && j < at.size(); ++marks, ++j) {
      if (at[j] != '?' && at[j] != '$' && at[j] != '%') break;
    }
    if (j < at.size() && at[j] == '#') return i;
  }
  return std::string_view::npos;
}

// AdGuard lists converted from hosts files keep lines such as `0.0.0.0 example.com`.
bool is_hosts_line(std::string_view line) {
  std::string_view address = parse::next_token(line);
  return !line.empty() && (parse::is_ipv4(address) || parse::is_ipv6(address));
}

// A bare pattern is read as a host only when it looks like one; EasyList's substring patterns
// (`-ad-banner-`, `.adserver.`, `_ad_`) match inside any URL, which a host rule cannot express.
bool looks_like_host(std::string_view pattern) {
  auto first = static_cast<unsigned char>(pattern.front());
  auto lower = static_cast<unsigned char>(first | 0x20);
  bool starts_well = parse::is_digit(pattern.front()) || (lower >= 'a' && lower <= 'z') ||
                     first >= 0x80;  // UTF-8 of an internationalised name
  std::size_t dot = pattern.find('.');
  return starts_well && dot != std::string_view::npos && dot + 1 < pattern.size();
}

// Removes trailing `*`, which adblock patterns imply anyway; says whether there were any.
bool strip_trailing_stars(std::string_view& pattern) {
  std::size_t size = pattern.size();
  while (!pattern.empty() && pattern.back() == '*')
    pattern.remove_suffix(1);
  return pattern.size() != size;
}

class AdblockLineParser {
 public:
  explicit AdblockLineParser(const RuleSink& sink) : out_(sink) {}

  void parse_line(std::size_t number, std::string_view line) {
    line = parse::trim(line);
    if (!line.empty() && is_hosts_line(line)) {
      parse_hosts_line(number, line);
      return;
    }
    rule_ = Rule{};
    rule_.line = static_cast<std::uint32_t>(number);
    path_.clear();
    raw_ = line;
    switch (classify(line)) {
      case Outcome::take:
        rule_.host = host_;
        rule_.path = path_;
        out_.take(rule_);
        break;
      case Outcome::skip:
        out_.skip();
        break;
      case Outcome::unsupported:
        out_.unsupported();
        break;
      case Outcome::reject:
        out_.reject(number, std::move(message_));
        break;
    }
  }

  void reject_too_long(std::size_t number) { out_.reject_too_long(number); }
  ParseSummary finish() { return out_.finish(); }

 private:
  Outcome classify(std::string_view line) {
    if (line.empty() || line.front() == '!' || is_header(line)) return Outcome::skip;
    std::size_t cosmetic = find_cosmetic(line);
    // AdGuard Home takes `#` lines as comments; `##...` at the start is generic element hiding.
    if (line.front() == '#' && cosmetic != 0) return Outcome::skip;
    if (cosmetic != std::string_view::npos) return Outcome::unsupported;
    if (line.starts_with("@@")) {
      rule_.action = RuleAction::allow;
      line.remove_prefix(2);
    }
    // A regular expression, or a path with no host: neither names a host to act on.
    if (!line.empty() && line.front() == '/') return Outcome::unsupported;
    if (std::size_t dollar = line.rfind('$'); dollar != std::string_view::npos) {
      if (Outcome o = read_options(line.substr(dollar + 1)); o != Outcome::take) return o;
      line = line.substr(0, dollar);
    }
    if (line.empty()) return fail("rule has no pattern: ", raw_);
    if (line.starts_with("||")) return read_host_pattern(line.substr(2), true);
    if (line.front() == '|') return read_url_pattern(line.substr(1));
    if (line.find("://") != std::string_view::npos) return Outcome::unsupported;
    if (line.starts_with("*.")) line.remove_prefix(2);
    if (line.empty() || !looks_like_host(line)) return Outcome::unsupported;
    return read_host_pattern(line, false);
  }

  Outcome read_options(std::string_view options) {
    if (options.empty()) return fail("empty option list: ", raw_);
    while (true) {
      std::size_t comma = options.find(',');
      std::string_view option = options.substr(0, comma);
      if (option.empty()) return fail("empty option: ", raw_);
      bool harmless = false;
      for (std::string_view known : kHarmlessOptions)
        harmless = harmless || option == known;
      if (!harmless) return Outcome::unsupported;
      if (option == "important") rule_.important = true;
      if (comma == std::string_view::npos) return Outcome::take;
      options.remove_prefix(comma + 1);
    }
  }

  // `host[/path][^][|]` after `||`, or a bare `host[^][|]` line (allow_path false).
  Outcome read_host_pattern(std::string_view pattern, bool allow_path) {
    rule_.scope = HostScope::self_and_below;
    // A rule already covers every subdomain, so `||*.example.com^` is `||example.com^`.
    if (allow_path && pattern.starts_with("*.")) pattern.remove_prefix(2);
    // An IPv6 literal: not a name, and AdGuard Home reads it as an address in answers.
    if (pattern.starts_with('[')) return Outcome::unsupported;
    bool stars = strip_trailing_stars(pattern);
    std::size_t end = pattern.find_first_of("/^|:?*");
    std::string_view host = pattern.substr(0, end);
    std::string_view tail = end == std::string_view::npos ? "" : pattern.substr(end);
    // A wildcard inside the host or a port: no host rule says the same.
    if (!tail.empty() && (tail.front() == '*' || tail.front() == ':')) return Outcome::unsupported;
    if (host.empty()) return fail("no host name: ", raw_);
    bool has_path = !tail.empty() && (tail.front() == '/' || tail.front() == '?');
    // `||example.com*` also matches example.company: not a host rule.
    if (stars && !has_path && !tail.starts_with('^')) return Outcome::unsupported;
    if (has_path && !allow_path) return Outcome::unsupported;
    // AdGuard Home applies an IP address pattern to the addresses in answers, not to names.
    if (parse::is_ipv4(host)) return Outcome::unsupported;
    if (auto normalised = normalise_domain(host)) {
      host_ = std::move(*normalised);
    } else {
      return fail("invalid domain name ", host);
    }
    std::size_t path_end = has_path ? tail.find_first_of("^|") : 0;
    std::string_view path = tail.substr(0, path_end);
    std::string_view ending = path_end == std::string_view::npos ? "" : tail.substr(path_end);
    if (!is_ending(ending) || path.find('*') != std::string_view::npos) return Outcome::unsupported;
    if (path.empty()) return Outcome::take;
    return read_path("http://" + host_ + std::string(path), ending);
  }

  // `http://host/path[^][|]` or `https://...` after a single `|`: that host only.
  Outcome read_url_pattern(std::string_view pattern) {
    rule_.scope = HostScope::self_only;
    if (!pattern.starts_with("http://") && !pattern.starts_with("https://"))
      return Outcome::unsupported;
    std::size_t end = pattern.find_last_not_of("^|");
    std::string_view ending = pattern.substr(end + 1);
    pattern = pattern.substr(0, end + 1);
    // Stars only go when nothing follows them: in `/a*^` the star still means something.
    if (ending.empty()) strip_trailing_stars(pattern);
    if (!is_ending(ending) || pattern.find_first_of("*^|") != std::string_view::npos)
      return Outcome::unsupported;
    std::string_view authority = pattern.substr(pattern.find("://") + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    // The canonical form drops the port, so a port-specific rule would over-block.
    if (authority.find(':') != std::string_view::npos) return Outcome::unsupported;
    return read_path(std::string(pattern), ending);
  }

  // Canonicalises `url` into host_ and path_; `ending` is what followed the path ("", "^",
  // "|" or "^|").
  Outcome read_path(const std::string& url, std::string_view ending) {
    std::string error;
    auto canonical = canonicalise_url(url, error);
    if (!canonical) return fail("invalid URL (" + error + "): ", raw_);
    host_ = std::move(canonical->host);
    path_ = std::move(canonical->path);
    bool exact = ending.ends_with('|');
    bool name = !parse::is_ipv4(host_) && normalise_domain(host_) == host_;
    // Every URL on the host: the domain-level rule says the same and also works for DNS.
    if (path_ == "/" && !exact && name) {
      path_.clear();
      return Outcome::take;
    }
    rule_.path_prefix = !exact;
    // `^|` is read as exact: a trailing separator is not kept in canonical paths.
    rule_.path_separator = !exact && ending == "^";
    return Outcome::take;
  }

  static bool is_ending(std::string_view ending) {
    return ending.empty() || ending == "^" || ending == "|" || ending == "^|";
  }

  // Rules from a hosts-style line, read exactly as a hosts file reads it.
  void parse_hosts_line(std::size_t number, std::string_view line) {
    ParseSummary hosts = parse_hosts(line, [&](const Rule& rule) {
      Rule numbered = rule;
      numbered.line = static_cast<std::uint32_t>(number);
      out_.take(numbered);
    });
    for (std::size_t i = 0; i < hosts.skipped; ++i)
      out_.skip();
    if (!hosts.issues.empty()) out_.reject(number, std::move(hosts.issues.front().message));
  }

  Outcome fail(std::string what, std::string_view text) {
    message_ = std::move(what) + parse::quote(text);
    return Outcome::reject;
  }

  parse::SummaryBuilder out_;
  Rule rule_;
  std::string host_;
  std::string path_;
  std::string message_;
  std::string_view raw_;  // the trimmed line, for messages
};

}  // namespace

ParseSummary parse_adblock(std::string_view text, const RuleSink& sink) {
  return parse::parse_lines(text, AdblockLineParser(sink));
}

}  // namespace shelter::blocklist
