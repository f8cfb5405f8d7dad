#include "proxy/relay/authority.h"

#include <algorithm>

#include "policy/address.h"

namespace shelter::proxy::relay {
namespace {

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  return out;
}

}  // namespace

std::optional<Authority> parse_authority(std::string_view text) {
  Authority out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    if (!policy::Address::parse_v6(text.substr(1, close - 1))) return std::nullopt;
    out.host = lower(text.substr(0, close + 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    const std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    out.host = lower(host);
    if (out.host.empty() || out.host.size() > 253 ||
        !std::all_of(out.host.begin(), out.host.end(), host_char)) {
      return std::nullopt;
    }
  }
  if (!port_text.empty()) {
    const auto port = policy::parse_decimal(port_text, 65535);
    if (!port || *port == 0) return std::nullopt;
    out.port = static_cast<std::uint16_t>(*port);
  }
  return out;
}

std::optional<RequestTarget> parse_target(std::string_view method, std::string_view target) {
  RequestTarget out;
  if (method == "CONNECT") {
    auto authority = parse_authority(target);
    if (!authority || !authority->port) return std::nullopt;
    out.form = RequestTarget::Form::authority;
    out.authority = std::move(*authority);
    return out;
  }
  if (target == "*") {
    out.form = RequestTarget::Form::asterisk;
    return out;
  }
  if (!target.empty() && target.front() == '/') {
    out.path = target;
    return out;
  }
  constexpr std::string_view kHttp = "http://";
  if (target.size() < kHttp.size() || lower(target.substr(0, kHttp.size())) != kHttp) {
    return std::nullopt;
  }
  std::string_view rest = target.substr(kHttp.size());
  const std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority_text = rest.substr(0, end);
  if (authority_text.find('@') != std::string_view::npos) return std::nullopt;  // no user info
  auto authority = parse_authority(authority_text);
  if (!authority) return std::nullopt;
  out.form = RequestTarget::Form::absolute;
  out.authority = std::move(*authority);
  out.path = rest.substr(end);
  return out;
}

}  // namespace shelter::proxy::relay
