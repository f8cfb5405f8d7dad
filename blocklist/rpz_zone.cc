#include "blocklist/rpz_zone.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "blocklist/domain_list.h"
#include "blocklist/parse_util.h"

namespace shelter::blocklist {
namespace {

// Trigger types other than QNAME live under these labels just below the apex.
constexpr std::array<std::string_view, 4> kOtherTriggers = {"rpz-ip", "rpz-nsdname", "rpz-nsip",
                                                            "rpz-client-ip"};

// Record types that are well-formed in a zone but say nothing an RPZ QNAME trigger can use.
// A type outside this list (and not TYPEnnn) is more likely a typo or a missing field.
constexpr std::array<std::string_view, 31> kOtherTypes = {
    "TXT",   "MX",    "PTR",   "SRV",        "DNAME",      "HINFO",   "CAA",    "HTTPS",
    "SVCB",  "NAPTR", "SPF",   "LOC",        "SSHFP",      "TLSA",    "DS",     "DNSKEY",
    "RRSIG", "NSEC",  "NSEC3", "NSEC3PARAM", "CDS",        "CDNSKEY", "ZONEMD", "URI",
    "RP",    "AFSDB", "CERT",  "DHCID",      "OPENPGPKEY", "SMIMEA",  "KX",
};

using parse::iequals;

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!parse::is_digit(c)) return false;
  }
  return !s.empty();
}

// Seconds, or BIND's unit form such as `1h30m` or `2W`.
bool is_ttl(std::string_view token) {
  if (token.empty() || !parse::is_digit(token.front())) return false;
  for (char c : token) {
    if (!parse::is_digit(c) && std::string_view("smhdwSMHDW").find(c) == std::string_view::npos)
      return false;
  }
  return true;
}

bool is_class(std::string_view token) {
  return iequals(token, "IN") || iequals(token, "CH") || iequals(token, "HS") ||
         iequals(token, "CS");
}

bool is_other_type(std::string_view type) {
  if (type.size() > 4 && iequals(type.substr(0, 4), "TYPE") && all_digits(type.substr(4)))
    return true;
  for (std::string_view known : kOtherTypes) {
    if (iequals(type, known)) return true;
  }
  return false;
}

bool under_other_trigger(std::string_view trigger) {
  std::string_view last = trigger.substr(trigger.rfind('.') + 1);  // npos + 1 == 0
  for (std::string_view label : kOtherTriggers) {
    if (last == label) return true;
  }
  return false;
}

// A name in the zone, normalised (normalise_domain, no trailing dot).
struct Name {
  std::string text;  // "" = the root (absolute) or the apex itself (relative)
  // False when the file never says which zone it is (no $ORIGIN, `@` SOA): BIND takes the
  // origin from its configuration, and such names are relative to the apex.
  bool absolute = true;
};

struct Owner {
  Name name;
  bool wildcard = false;  // `*.name`
};

// One record as master-file syntax spells it: one line, or several joined by parentheses.
struct PendingRecord {
  std::size_t line = 0;
  bool blank_owner = false;
  bool failed = false;  // already rejected; the rest of its lines are read and dropped
  int depth = 0;
  std::vector<std::string_view> tokens;
};

// Appends the tokens of one line to `record` (RFC 1035 §5.1: blanks separate, `;` starts a
// comment, parentheses continue a record, quotes group, `\` escapes the next character).
// Returns a message when the line is malformed.
std::string_view tokenize(std::string_view line, PendingRecord& record) {
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (parse::is_space(c)) {
      ++i;
    } else if (c == ';') {
      break;
    } else if (c == '(') {
      ++record.depth;
      ++i;
    } else if (c == ')') {
      if (record.depth == 0) return "unbalanced ')'";
      --record.depth;
      ++i;
    } else {
      std::size_t start = i;
      bool quoted = c == '"';
      for (i += quoted ? 1 : 0; i < line.size(); ++i) {
        char d = line[i];
        if (d == '\\') {
          ++i;
        } else if (quoted ? d == '"'
                          : parse::is_space(d) || d == ';' || d == '(' || d == ')' || d == '"') {
          break;
        }
      }
      if (quoted && i >= line.size()) return "unterminated quoted string";
      i = std::min(i + (quoted ? 1 : 0), line.size());
      record.tokens.push_back(line.substr(start, i - start));
    }
  }
  return {};
}

class RpzParser {
 public:
  explicit RpzParser(const RuleSink& sink) : out_(sink) {}

  void parse_line(std::size_t number, std::string_view line) {
    if (record_.depth == 0) {
      record_.line = number;
      record_.blank_owner = !line.empty() && parse::is_space(line.front());
      record_.failed = false;
      record_.tokens.clear();
    }
    if (std::string_view error = tokenize(line, record_); !error.empty() && !record_.failed) {
      out_.reject(number, std::string(error) + ": " + parse::quote(line));
      record_.failed = true;
    }
    if (record_.depth > 0) return;
    if (record_.failed) return;
    if (record_.tokens.empty()) {
      out_.skip();  // blank or comment line
      return;
    }
    rule_ = Rule{};
    rule_.line = static_cast<std::uint32_t>(record_.line);
    record(record_.tokens);
  }

  void reject_too_long(std::size_t number) {
    // A record cut by an unreadable line is dropped with it; what follows is read afresh.
    record_.depth = 0;
    out_.reject_too_long(number);
  }

  ParseSummary finish() {
    if (record_.depth > 0 && !record_.failed) {
      out_.reject(record_.line, "'(' is never closed");
    }
    return out_.finish();
  }

 private:
  void record(std::span<const std::string_view> tokens) {
    if (!record_.blank_owner && tokens.front().starts_with('$')) return directive(tokens);
    std::optional<Owner> owner;
    if (record_.blank_owner) {
      if (!previous_) return reject("no previous owner name for a record with a blank owner");
      owner = previous_;
    } else {
      owner = resolve(tokens.front());
      previous_ = owner;
      if (!owner) return reject("invalid owner name " + parse::quote(tokens.front()));
      tokens = tokens.subspan(1);
    }
    // Optional TTL and class, in either order.
    bool ttl = false;
    bool klass = false;
    while (!tokens.empty()) {
      if (!ttl && is_ttl(tokens.front())) {
        ttl = true;
      } else if (!klass && is_class(tokens.front())) {
        if (!iequals(tokens.front(), "IN"))
          return reject("class " + parse::quote(tokens.front()) + " in an IN zone");
        klass = true;
      } else {
        break;
      }
      tokens = tokens.subspan(1);
    }
    if (tokens.empty()) return reject("record has no type");
    resource(*owner, tokens.front(), tokens.subspan(1));
  }

  void resource(const Owner& owner, std::string_view type,
                std::span<const std::string_view> rdata) {
    if (iequals(type, "SOA")) return soa(owner, rdata);
    if (iequals(type, "NS")) return out_.skip();
    std::optional<std::string> trigger = trigger_of(owner.name);
    if (!trigger) {
      return reject("owner name " + parse::quote(owner.name.text + ".") +
                    " is not under the zone " +
                    parse::quote(apex_ && apex_->absolute ? apex_->text + "." : "(unknown)"));
    }
    bool policy = iequals(type, "CNAME") || iequals(type, "A") || iequals(type, "AAAA");
    if (!policy && !is_other_type(type)) return reject("unknown record type " + parse::quote(type));
    if (trigger->empty()) {
      if (!policy) return out_.unsupported();
      return reject(owner.wildcard ? "wildcard at the zone apex would match every name"
                                   : "policy record at the zone apex");
    }
    if (under_other_trigger(*trigger) || !policy) return out_.unsupported();
    host_ = std::move(*trigger);
    rule_.host = host_;
    rule_.scope = owner.wildcard ? HostScope::below_only : HostScope::self_only;
    if (iequals(type, "CNAME")) return cname(rdata);
    address(iequals(type, "A") ? AF_INET : AF_INET6, rdata);
  }

  // The policy a CNAME encodes (draft-vixie-dnsop-dns-rpz §3).
  void cname(std::span<const std::string_view> rdata) {
    if (rdata.size() != 1) return reject("CNAME needs exactly one target");
    std::string_view target = rdata.front();
    if (target == "." || iequals(target, "rpz-drop.")) {
      // rpz-drop. asks for no answer at all; a client would retry and then wait, so a filter
      // answers NXDOMAIN, which ends the lookup at once.
      rule_.answer = DnsAnswer::nxdomain;
    } else if (target == "*.") {
      rule_.answer = DnsAnswer::nodata;
    } else if (iequals(target, "rpz-passthru.") || is_self(target)) {
      rule_.action = RuleAction::allow;
    } else {
      // rpz-tcp-only., or local data: a redirection to a walled garden we cannot answer with.
      return out_.unsupported();
    }
    out_.take(rule_);
  }

  // The deprecated PASSTHRU encoding: a CNAME to the trigger name itself.
  bool is_self(std::string_view target) const {
    return rule_.scope == HostScope::self_only && target.ends_with('.') &&
           normalise_domain(target) == host_;
  }

  void address(int family, std::span<const std::string_view> rdata) {
    if (rdata.size() != 1) return reject("address record needs exactly one address");
    std::string text(rdata.front());
    if (inet_pton(family, text.c_str(), rule_.address.data()) != 1) {
      return reject("invalid address " + parse::quote(text));
    }
    rule_.answer = DnsAnswer::local_data;
    rule_.address_size = family == AF_INET ? 4 : 16;
    out_.take(rule_);
  }

  // The first SOA fixes the zone apex, which every trigger is relative to.
  void soa(const Owner& owner, std::span<const std::string_view> rdata) {
    if (rdata.size() != 7) return reject("SOA needs 7 fields, has " + std::to_string(rdata.size()));
    if (soa_seen_) return reject("second SOA record");
    if (owner.wildcard || (!owner.name.absolute && !owner.name.text.empty())) {
      return reject("SOA owner must be the zone apex");
    }
    soa_seen_ = true;
    apex_ = owner.name;
    if (!origin_ && owner.name.absolute) origin_ = owner.name.text;
    out_.skip();
  }

  void directive(std::span<const std::string_view> tokens) {
    std::string_view name = tokens.front();
    if (iequals(name, "$ORIGIN")) {
      std::optional<Owner> origin = tokens.size() == 2 ? resolve(tokens[1]) : std::nullopt;
      if (!origin || origin->wildcard || !origin->name.absolute) {
        return reject("$ORIGIN needs one absolute name, or a name under a known origin");
      }
      origin_ = origin->name.text;
      // Until an SOA says otherwise, the first origin is the apex.
      if (!soa_seen_ && !apex_) apex_ = origin->name;
      return out_.skip();
    }
    if (iequals(name, "$TTL")) {
      if (tokens.size() != 2 || !is_ttl(tokens[1])) return reject("$TTL needs one TTL");
      return out_.skip();
    }
    if (iequals(name, "$INCLUDE")) return reject("$INCLUDE is not supported: inline the file");
    // BIND's $GENERATE makes records we would have to expand; not an error in the zone.
    if (iequals(name, "$GENERATE")) return out_.unsupported();
    reject("unknown directive " + parse::quote(name));
  }

  // An owner or $ORIGIN name: `@`, absolute (`name.`), or relative to the current origin;
  // a leading `*` label marks a wildcard.
  std::optional<Owner> resolve(std::string_view token) const {
    Owner owner;
    if (token == "*") {
      owner.wildcard = true;
      token = "@";
    } else if (token.starts_with("*.")) {
      owner.wildcard = true;
      token = token.size() == 2 ? "." : token.substr(2);
    }
    Name origin = origin_ ? Name{*origin_, true} : Name{"", false};
    if (token == "@") {
      owner.name = std::move(origin);
      return owner;
    }
    if (token == ".") {
      owner.name = Name{"", true};
      return owner;
    }
    std::string full(token);
    if (!token.ends_with('.')) {
      if (!origin.text.empty()) full += "." + origin.text;
      owner.name.absolute = origin.absolute;
    }
    auto normalised = normalise_domain(full);
    if (!normalised) return std::nullopt;
    owner.name.text = std::move(*normalised);
    return owner;
  }

  // `name` without the apex: "" for the apex itself, nullopt when outside the zone.
  std::optional<std::string> trigger_of(const Name& name) const {
    if (!name.absolute) return name.text;
    // No apex yet, or one the file never names: an absolute name cannot be placed.
    if (!apex_ || !apex_->absolute) return std::nullopt;
    const std::string& apex = apex_->text;
    if (apex.empty()) return name.text;  // `$ORIGIN .`: every name is under the root
    if (name.text == apex) return std::string();
    if (name.text.size() <= apex.size() || !name.text.ends_with(apex)) return std::nullopt;
    std::size_t cut = name.text.size() - apex.size() - 1;
    if (name.text[cut] != '.') return std::nullopt;
    return name.text.substr(0, cut);
  }

  void reject(std::string message) { out_.reject(record_.line, std::move(message)); }

  parse::SummaryBuilder out_;
  PendingRecord record_;
  Rule rule_;
  std::string host_;
  std::optional<std::string> origin_;  // normalised; "" = the root
  std::optional<Name> apex_;
  bool soa_seen_ = false;
  std::optional<Owner> previous_;  // for blank owners; nullopt after an invalid owner
};

}  // namespace

ParseSummary parse_rpz(std::string_view text, const RuleSink& sink) {
  return parse::parse_lines(text, RpzParser(sink));
}

}  // namespace shelter::blocklist
