#pragma once
// Every profile shelterd knows by name, compiled for the decision core: the presets, the
// built-in "all-lists", and the operator's profiles; plus the never-blocked helplines, the
// subscribers' default profile and the time zones households use. Built from a Config at start
// and on reload, then immutable (time zones are loaded once each, on first use).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "policy/category.h"
#include "policy/profile.h"
#include "proxy/config/config.h"

namespace shelter::proxy::profiles {

/// ProfileConfig -> Profile on top of `base` (null: an empty profile). Category names are
/// interned in `registry`; entries are already normalised by the configuration reader.
policy::Profile compile_profile(const config::ProfileConfig& spec, const policy::Profile* base,
                                policy::CategoryRegistry& registry);

class ProfileBook {
 public:
  /// Null, with every reason in `errors`, when a profile or time zone cannot be built.
  static std::shared_ptr<const ProfileBook> build(const config::Config& config,
                                                  policy::CategoryRegistry& registry,
                                                  std::vector<std::string>& errors);

  const policy::Profile* find(std::string_view name) const;
  const policy::Profile& default_profile() const { return *default_; }
  const policy::EntrySet& never_blocked() const { return never_blocked_; }
  policy::CategoryRegistry& registry() const { return *registry_; }
  /// The named IANA zone (null, with the reason, when it cannot be read). Thread-safe.
  std::shared_ptr<const policy::TimeZone> zone(const std::string& name, std::string& error) const;
  const std::shared_ptr<const policy::TimeZone>& default_zone() const { return default_zone_; }

 private:
  std::map<std::string, std::unique_ptr<const policy::Profile>, std::less<>> profiles_;
  const policy::Profile* default_ = nullptr;
  policy::EntrySet never_blocked_;
  policy::CategoryRegistry* registry_ = nullptr;
  std::shared_ptr<const policy::TimeZone> default_zone_;
  mutable std::mutex zones_mutex_;
  mutable std::map<std::string, std::shared_ptr<const policy::TimeZone>, std::less<>> zones_;
};

}  // namespace shelter::proxy::profiles
