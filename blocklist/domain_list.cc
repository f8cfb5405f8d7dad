#include "blocklist/domain_list.h"

#include <idn2.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "blocklist/parse_util.h"

namespace shelter::blocklist {
namespace {

constexpr std::size_t kMaxNameBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;

// Names that hosts files map to loopback for the machine's own sake; they are not blocklist
// entries, and blocking "local" or "localhost" would break the clients behind the filter.
constexpr std::array<std::string_view, 15> kHostsSkipNames = {
    "localhost",
    "localhost.localdomain",
    "localhost4",
    "localhost6",
    "localhost4.localdomain4",
    "localhost6.localdomain6",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
    "ip6-localnet",
    "ip6-mcastprefix",
    "ip6-allnodes",
    "ip6-allrouters",
    "ip6-allhosts",
};

bool is_address(std::string_view s) {
  return parse::is_ipv4(s) || parse::is_ipv6(s);
}

bool is_hosts_skip_name(std::string_view normalised) {
  for (std::string_view skip : kHostsSkipNames) {
    if (normalised == skip) return true;
  }
  return false;
}

// An internationalised name as IDNA 2008 A-labels (punycode), with UTS #46 mapping (so case
// and compatibility forms fold as browsers fold them). False when libidn2 rejects the name.
bool idna_to_ascii(std::string_view name, std::string& ascii) {
  if (name.find('\0') != std::string_view::npos) return false;
  std::string input(name);  // libidn2 wants a NUL-terminated string
  char* output = nullptr;
  if (idn2_to_ascii_8z(input.c_str(), &output, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
    return false;
  }
  ascii.assign(output);
  idn2_free(output);
  return true;
}

bool has_non_ascii(std::string_view name) {
  return std::any_of(name.begin(), name.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// normalise_domain without the allocation: parse_list reuses one buffer for every line.
bool normalise_into(std::string_view name, std::string& out) {
  if (has_non_ascii(name)) {
    std::string ascii;
    // The A-label form is pure ASCII, so this recursion ends at once.
    return idna_to_ascii(name, ascii) && !has_non_ascii(ascii) && normalise_into(ascii, out);
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  out.resize(name.size());
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      } else if (!((c >= 'a' && c <= 'z') || parse::is_digit(c) || c == '-' || c == '_')) {
        return false;
      }
      if (++label > kMaxLabelBytes) return false;
    }
    out[i] = c;
  }
  return label != 0;
}

// One parser for both formats: they differ only in how a line is split.
class DomainLineParser {
 public:
  DomainLineParser(bool hosts, const RuleSink& sink) : hosts_(hosts), out_(sink) {}

  void parse_line(std::size_t number, std::string_view line) {
    rule_.line = static_cast<std::uint32_t>(number);
    if (hosts_) {
      parse_hosts_line(number, line);
    } else {
      parse_domains_line(number, line);
    }
  }

  void reject_too_long(std::size_t number) { out_.reject_too_long(number); }
  ParseSummary finish() { return out_.finish(); }

 private:
  void parse_domains_line(std::size_t number, std::string_view line) {
    line = parse::trim(line.substr(0, line.find('#')));
    if (line.empty() || line.front() == '!') {
      out_.skip();
      return;
    }
    std::string_view rest = line;
    std::string_view token = parse::next_token(rest);
    if (!rest.empty() && rest.front() != '!') {
      out_.reject(number, "unexpected text after domain name: " + parse::quote(line));
      return;
    }
    // An entry already covers every subdomain, so "*.example.com" means "example.com".
    std::string_view name = token;
    if (name.starts_with("*.")) name.remove_prefix(2);
    if (!normalise_into(name, buffer_)) {
      out_.reject(number, "invalid domain name " + parse::quote(token));
      return;
    }
    take();
  }

  void parse_hosts_line(std::size_t number, std::string_view line) {
    std::string_view rest = parse::trim(line.substr(0, line.find('#')));
    if (rest.empty()) {
      out_.skip();
      return;
    }
    std::string_view address = parse::next_token(rest);
    if (!is_address(address)) {
      out_.reject(number, "hosts line has no address: " + parse::quote(address));
      return;
    }
    if (rest.empty()) {
      out_.reject(number, "hosts line has no name after address " + parse::quote(address));
      return;
    }
    std::optional<std::string> first_bad;
    while (!rest.empty()) {
      std::string_view name = parse::next_token(rest);
      bool valid = !is_address(name) && normalise_into(name, buffer_);
      if (valid && !is_hosts_skip_name(buffer_)) {
        take();
      } else if (valid || is_address(name)) {
        out_.skip();
      } else if (!first_bad) {
        first_bad = "invalid domain name " + parse::quote(name);
      }
    }
    // Good names on the line are kept; the line still counts once as malformed.
    if (first_bad) out_.reject(number, std::move(*first_bad));
  }

  void take() {
    rule_.host = buffer_;
    out_.take(rule_);
  }

  bool hosts_;
  parse::SummaryBuilder out_;
  Rule rule_;  // block, self_and_below, domain-level: only host and line change
  std::string buffer_;
};

ParseSummary parse_domain_lines(std::string_view text, bool hosts, const RuleSink& sink) {
  return parse::parse_lines(text, DomainLineParser(hosts, sink));
}

}  // namespace

std::optional<std::string> normalise_domain(std::string_view name) {
  std::string out;
  if (!normalise_into(name, out)) return std::nullopt;
  return out;
}

ParseSummary parse_domains(std::string_view text, const RuleSink& sink) {
  return parse_domain_lines(text, false, sink);
}

ParseSummary parse_hosts(std::string_view text, const RuleSink& sink) {
  return parse_domain_lines(text, true, sink);
}

}  // namespace shelter::blocklist
