#pragma once
// Internal to proxy/config: readers for the `profiles` and `subscribers` sections and for
// household documents, on the error-collecting machinery of yaml_fields.h.

#include <vector>

#include "proxy/config/config.h"
#include "proxy/config/yaml_fields.h"

namespace shelter::proxy::config::detail {

void read_profiles(Ctx& c, const Val& v, std::vector<ProfileConfig>& out);
void read_subscribers(Ctx& c, const Val& v, SubscribersConfig& out);
HouseholdConfig read_household(Ctx& c, const Val& v, const std::string& id);
void read_households(Ctx& c, const Val& v, std::vector<HouseholdConfig>& out);
void read_domains(Ctx& c, const Val& v, std::vector<std::string>& out);
void read_redis(Ctx& c, const Val& v, RedisConfig& out);

/// Checks across profiles: names unique and not presets, bases known and defined first, the
/// default profile known.
void check_profiles(Ctx& c, const std::vector<ProfileConfig>& profiles,
                    const SubscribersConfig& subscribers);

}  // namespace shelter::proxy::config::detail
