#include "proxy/redis/sentinel.h"

#include <cstdint>

namespace shelter::proxy::redis {
namespace {

std::optional<net::Endpoint> endpoint_of(std::string_view host, std::string_view port_text) {
  auto address = net::Address::parse(host);
  auto port = policy::parse_decimal(port_text, 65535);
  if (!address || !port || *port == 0) return std::nullopt;
  return net::Endpoint{*address, static_cast<std::uint16_t>(*port)};
}

// One field of a flat [field, value, field, value, ...] array; empty when it is not there.
std::string_view field(const Reply& flat, std::string_view name) {
  for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
    if (flat.elements[i].text == name) return flat.elements[i + 1].text;
  }
  return {};
}

bool has_flag(std::string_view flags, std::string_view flag) {
  while (!flags.empty()) {
    std::size_t comma = flags.find(',');
    if (flags.substr(0, comma) == flag) return true;
    if (comma == std::string_view::npos) break;
    flags.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<net::Endpoint> parse_master_address(const Reply& reply) {
  if (reply.type != ReplyType::array || reply.elements.size() != 2) return std::nullopt;
  return endpoint_of(reply.elements[0].text, reply.elements[1].text);
}

std::vector<net::Endpoint> parse_healthy_replicas(const Reply& reply) {
  std::vector<net::Endpoint> out;
  if (reply.type != ReplyType::array) return out;
  for (const Reply& replica : reply.elements) {
    if (replica.type != ReplyType::array) continue;
    std::string_view flags = field(replica, "flags");
    if (has_flag(flags, "s_down") || has_flag(flags, "o_down") || has_flag(flags, "disconnected"))
      continue;
    std::string_view link = field(replica, "master-link-status");
    if (!link.empty() && link != "ok") continue;
    if (auto e = endpoint_of(field(replica, "ip"), field(replica, "port"))) out.push_back(*e);
  }
  return out;
}

std::optional<SwitchMaster> parse_switch_master(std::string_view message) {
  std::string_view words[5];
  for (std::string_view& w : words) {
    std::size_t space = message.find(' ');
    w = message.substr(0, space);
    message = space == std::string_view::npos ? std::string_view{} : message.substr(space + 1);
  }
  if (!message.empty() || words[4].empty()) return std::nullopt;
  auto from = endpoint_of(words[1], words[2]);
  auto to = endpoint_of(words[3], words[4]);
  if (!from || !to) return std::nullopt;
  return SwitchMaster{std::string(words[0]), *from, *to};
}

bool role_is(const Reply& role_reply, std::string_view role) {
  return role_reply.type == ReplyType::array && !role_reply.elements.empty() &&
         role_reply.elements[0].is_text(role);
}

Settings sentinel_watch_settings(const Settings& s) {
  Settings w = s;
  w.servers = s.sentinel.sentinels;
  w.user = s.sentinel.user;
  w.password = s.sentinel.password;
  w.database = 0;
  w.sentinel = {};
  w.prefer_replica = false;
  return w;
}

}  // namespace shelter::proxy::redis
