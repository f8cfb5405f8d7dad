#pragma once
// A household as JSON: the admin API's and the portal's view of it, and the document the Redis
// store keeps (docs/redis-schema.md). The fields and their spelling are the households file's
// (config::render_households is the one writer of them): the JSON is made from that YAML, so a
// field added to the file appears here without a second list of names to keep in step.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/subscribers.h"

namespace shelter::proxy::profiles {

/// The household's document, bindings included, as a JSON object text. Numbers and booleans
/// are JSON numbers and booleans; the id is not a field (it names the document).
std::string household_to_json(const config::HouseholdConfig& household);

/// The reverse: checked as a households file entry is (every mistake in `errors`, with its
/// key). Pure; never throws.
config::HouseholdsResult household_from_json(std::string_view json_text, const std::string& id);

/// One profile's fields as JSON (an object text: base, block, unblock, allow, deny,
/// safe-search, block-bypass, audience, schedules; the name is not a field), spelled as in a
/// households file's `profiles:` and in the configuration's.
std::string profile_to_json(const config::ProfileConfig& profile);

/// The reverse, checked as household `household`'s own profile `name` is (every mistake in
/// `errors`, with its key: "household smith.profiles.homework.colour: ..."); nullopt when it
/// does not read. Whether its base exists is the store's check.
std::optional<config::ProfileConfig> profile_from_json(std::string_view json_text,
                                                       const std::string& household,
                                                       const std::string& name,
                                                       std::vector<std::string>& errors);

}  // namespace shelter::proxy::profiles
