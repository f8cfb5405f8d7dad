#include "proxy/web/decision_token.h"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <vector>

namespace shelter::proxy::web {
namespace {

constexpr std::string_view kPurpose = "decision";
constexpr std::string_view kVersion = "1";
// The unit separator: none of the fields may hold it (each is checked against a small
// alphabet), so the joined payload splits back into exactly the fields it was made of.
constexpr char kSeparator = '\x1f';
constexpr std::size_t kFieldCount = 9;
constexpr std::array<std::string_view, 6> kKinds = {"child", "teen",     "general",
                                                    "venue", "security", "legal"};

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool id_text(std::string_view text, std::size_t max) {
  return text.size() <= max && std::all_of(text.begin(), text.end(), [](char c) {
           return lower_alnum(c) || c == '.' || c == '_' || c == '-';
         });
}

bool host_label(std::string_view label) {
  return !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
         std::all_of(label.begin(), label.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

bool host_name(std::string_view host) {
  if (host.size() > 253) return false;
  while (true) {
    const std::size_t dot = host.find('.');
    if (!host_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

// Why `facts` may not be signed, or empty when they may.
std::string_view fault_of(const DecisionFacts& facts) {
  if (facts.issued < 0) return "a negative issue time";
  if (std::find(kKinds.begin(), kKinds.end(), facts.kind) == kKinds.end()) {
    return "an unknown page kind";
  }
  if (!id_text(facts.list, 64)) return "a list id outside [a-z0-9._-]{0,64}";
  if (!id_text(facts.category, 64)) return "a category outside [a-z0-9._-]{0,64}";
  if (facts.rule.size() > 20 || !std::all_of(facts.rule.begin(), facts.rule.end(),
                                             [](char c) { return c >= '0' && c <= '9'; })) {
    return "a rule id that is not up to 20 digits";
  }
  if (facts.reason.size() > 24 ||
      !std::all_of(facts.reason.begin(), facts.reason.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; })) {
    return "a reason outside [a-z-]{0,24}";
  }
  if (!facts.site.empty() && !host_name(facts.site)) return "a site that is not a host name";
  // A legal list's entries are never disclosed, not even the host: the page kind and the flag
  // must agree, so that neither can carry a site past the other.
  if (facts.legal != (facts.kind == "legal")) return "a legal block with another page kind";
  if (facts.legal && !facts.site.empty()) return "a legal block with a site";
  return {};
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t at = text.find(kSeparator);
    fields.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return fields;
    text.remove_prefix(at + 1);
  }
}

std::optional<DecisionFacts> parse_payload(std::string_view payload) {
  const std::vector<std::string_view> fields = split(payload);
  if (fields.size() != kFieldCount || fields[0] != kVersion) return std::nullopt;
  const std::optional<std::int64_t> issued = parse_seconds(fields[1]);
  if (!issued || (fields[8] != "0" && fields[8] != "1")) return std::nullopt;
  DecisionFacts facts;
  facts.issued = *issued;
  facts.kind = fields[2];
  facts.list = fields[3];
  facts.category = fields[4];
  facts.rule = fields[5];
  facts.reason = fields[6];
  facts.site = fields[7];
  facts.legal = fields[8] == "1";
  if (!fault_of(facts).empty()) return std::nullopt;
  return facts;
}

}  // namespace

std::string encode_decision(const TokenKeys& keys, const DecisionFacts& facts) {
  if (const std::string_view fault = fault_of(facts); !fault.empty()) {
    throw std::invalid_argument("decision token: " + std::string(fault));
  }
  const std::string issued = seconds_text(facts.issued);
  std::string payload(kVersion);
  for (std::string_view field :
       {std::string_view(issued), std::string_view(facts.kind), std::string_view(facts.list),
        std::string_view(facts.category), std::string_view(facts.rule),
        std::string_view(facts.reason), std::string_view(facts.site),
        facts.legal ? std::string_view("1") : std::string_view("0")}) {
    payload += kSeparator;
    payload += field;
  }
  return keys.sign(kPurpose, payload);
}

DecodedDecision decode_decision(const TokenKeys& keys, std::string_view token, std::int64_t now,
                                std::int64_t lifetime_seconds) {
  DecodedDecision decoded;
  TokenFault fault = TokenFault::none;
  const std::optional<std::string> payload = keys.verify(kPurpose, token, &fault);
  if (!payload) {
    decoded.check =
        fault == TokenFault::malformed ? TokenCheck::malformed : TokenCheck::bad_signature;
    return decoded;
  }
  std::optional<DecisionFacts> facts = parse_payload(*payload);
  if (!facts) return decoded;  // malformed
  switch (freshness(facts->issued, now, lifetime_seconds)) {
    case Freshness::from_future:
      decoded.check = TokenCheck::from_future;
      return decoded;
    case Freshness::expired:
      decoded.check = TokenCheck::expired;
      return decoded;
    case Freshness::fresh:
      break;
  }
  decoded.check = TokenCheck::ok;
  decoded.facts = std::move(*facts);
  return decoded;
}

std::string_view check_name(TokenCheck check) {
  switch (check) {
    case TokenCheck::ok:
      return "ok";
    case TokenCheck::malformed:
      return "malformed";
    case TokenCheck::bad_signature:
      return "bad-signature";
    case TokenCheck::expired:
      return "expired";
    case TokenCheck::from_future:
      return "from-future";
  }
  return "malformed";
}

}  // namespace shelter::proxy::web
