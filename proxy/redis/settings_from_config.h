#pragma once
// The `redis:` section of the configuration as a connection's settings. Kept apart from
// settings.h, and built into shelter_proxy rather than shelter_redis, so that the Redis client
// itself never links the configuration (and its YAML loader).

#include "proxy/config/subscribers.h"
#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

Settings settings_from(const config::RedisConfig& config);

}  // namespace shelter::proxy::redis
