#pragma once
// One household as the decision core needs it: its time zone, pause, profile and devices,
// compiled from a HouseholdConfig (a households file entry or a Redis document) against the
// ProfileBook. Immutable once built; shared by pointer between the store's cache and queries.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/identify.h"
#include "policy/profile.h"
#include "proxy/config/subscribers.h"
#include "proxy/profiles/profile_book.h"

namespace shelter::proxy::profiles {

struct DeviceState {
  const policy::Profile* profile = nullptr;  ///< null: the household's
  std::int64_t paused_until = 0;
};

struct Household {
  std::string id;
  std::shared_ptr<const ProfileBook> book;  ///< keeps the profiles pointed to alive
  std::shared_ptr<const policy::TimeZone> zone;
  const policy::Profile* profile = nullptr;
  std::int64_t paused_until = 0;
  std::map<std::string, DeviceState, std::less<>> devices;
  /// The household's own profiles, which `profile` and the devices' may point to.
  std::vector<std::unique_ptr<const policy::Profile>> own_profiles;

  /// What applies to `device` (empty or unknown: the household as a whole). A pause of the
  /// household pauses every device; a device's own pause adds to it.
  policy::Subject subject(std::string_view device) const;

  /// An estimate of the bytes this household holds on its own: its strings, devices and own
  /// profiles (not the book, nor the time zone, which households share). For bounding caches.
  std::size_t memory_bytes() const;
};

/// Null, with the reasons in `errors` (prefixed with the household's key path), when the
/// household names an unknown profile or time zone.
std::shared_ptr<const Household> compile_household(const config::HouseholdConfig& spec,
                                                   std::shared_ptr<const ProfileBook> book,
                                                   std::vector<std::string>& errors);

/// The household's and its devices' bindings, added to `bindings`.
void bind_household(const config::HouseholdConfig& spec, policy::SubscriberBindings& bindings);

}  // namespace shelter::proxy::profiles
