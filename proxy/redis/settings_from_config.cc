#include "proxy/redis/settings_from_config.h"

namespace shelter::proxy::redis {

Settings settings_from(const config::RedisConfig& c) {
  Settings s;
  s.servers = c.servers;
  s.user = c.user;
  s.password = c.password;
  s.database = static_cast<int>(c.database);
  s.tls = {c.tls, c.tls_ca_file, c.tls_cert_file, c.tls_key_file, c.tls_server_name};
  s.sentinel = {c.sentinels, c.master_name, c.sentinel_user, c.sentinel_password};
  s.prefer_replica = c.prefer_replica;
  s.connect_timeout = c.connect_timeout;
  s.command_timeout = c.command_timeout;
  return s;
}

}  // namespace shelter::proxy::redis
