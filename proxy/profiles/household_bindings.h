#pragma once
// A household's bindings as the fields of the Redis bindings hash (docs/redis-schema.md):
// "addr:<prefix>", "mac:<mac>", "cpe:<id>", each naming "household" or "household/device".
// One spelling for both stores, so that "already bound" means the same thing in each.

#include <string>
#include <vector>

#include "proxy/config/subscribers.h"

namespace shelter::proxy::profiles {

struct BindingField {
  std::string field;  ///< "addr:203.0.113.7/32", "mac:02:00:5e:10:00:01", "cpe:cpe-00417"
  std::string value;  ///< "smith" or "smith/tablet"
  bool operator==(const BindingField&) const = default;
};

/// Every binding of the household and its devices, in canonical form (prefixes with host bits
/// zero and their length, MACs in lower case with colons).
std::vector<BindingField> binding_fields(const config::HouseholdConfig& household);

/// The household part of a field's value ("smith/tablet" -> "smith").
std::string household_of(const std::string& value);

/// Bindings the household gives twice (a MAC on two devices, an address on the household and a
/// device): one message each.
std::vector<std::string> repeated_bindings(const config::HouseholdConfig& household);

}  // namespace shelter::proxy::profiles
