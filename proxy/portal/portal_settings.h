#pragma once
// The parents' settings page ("Change what is blocked") as data: what the form shows for a
// profile, what a posted form means, and the household's own profile it becomes. Pure: the
// portal's handler reads the household, calls these inside one store edit, and renders
// settings_page (portal_pages.h) with what comes back.
//
// A device's settings are kept as a profile of the household's own, "<device>-custom"
// ("household-custom" for everyone at home), with `base` the age band and the boxes, sites,
// safe search and bedtime as its changes (docs/profiles.md). The boxes are drawn for one band
// and their changes are carried to another band chosen in the same form, so that choosing a
// band is never undone by the boxes it did not redraw.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/subscribers.h"
#include "proxy/portal/portal_pages.h"

namespace shelter::proxy::http {
struct Form;
}

namespace shelter::proxy::portal {

/// At most this many sites in each of "always allow" and "always block".
constexpr std::size_t kMaxSites = 50;

/// The list categories a box of kSettingsCategories stands for ("security": four).
std::vector<std::string> categories_of(std::string_view box);

/// Profiles by name as a household sees them: its own first, then the operator's, then the
/// presets; "all-lists" blocks every category. The vectors must outlive this.
struct ProfileSources {
  const std::vector<config::ProfileConfig>* household = nullptr;
  const std::vector<config::ProfileConfig>* operator_profiles = nullptr;

  /// Null for an unknown name and for "all-lists" (which has no configuration).
  const config::ProfileConfig* find(std::string_view name) const;
  /// The household's own profile `name`, or null.
  const config::ProfileConfig* own(std::string_view name) const;
  bool known(std::string_view name) const;
  /// The categories `name` blocks, its bases' included (through at most 16 bases).
  std::set<std::string> blocked(std::string_view name) const;
  /// Whether `name` turns on safe search for any engine.
  bool safe_search(std::string_view name) const;
};

/// The form as it shows profile `name` (a device's or the household's profile now): a profile
/// of the household's own shows its base and its changes, anything else is a band unchanged.
SettingsInput settings_of(const std::string& name, const ProfileSources& sources);

/// The posted form, as typed. Nullopt when it holds a value the page never offers (a box or a
/// day set it does not know): a forged or broken form, answered as such.
std::optional<SettingsInput> read_settings_form(const http::Form& form);

/// The profile `input` describes, named `name`, or the errors to show beside the fields
/// (nothing is to be saved then). `keep`: the profile the device or household has now, when
/// it is a household's own: its schedules other than bedtime, bypass prevention and audience
/// stay. Assumes input.band is known to `sources` (apply_settings refuses the form otherwise).
struct SettingsOutcome {
  std::optional<config::ProfileConfig> profile;
  std::map<std::string, FieldError> errors;
};
SettingsOutcome settings_profile(const SettingsInput& input, const std::string& name,
                                 const ProfileSources& sources, const config::ProfileConfig* keep);

/// "<device>-custom", or "household-custom" for `device` "" (a device name is cut to fit the
/// 64 characters a profile name may have).
std::string custom_profile_name(std::string_view device);

/// The profile `device` ("" = the household) follows now, by name: its own, else the
/// household's, else `default_profile`. Nullopt: the household has no such device.
std::optional<std::string> current_profile(const config::HouseholdConfig& household,
                                           const std::string& device,
                                           const std::string& default_profile);

/// The age bands the page offers: the presets, then the operator's profiles, then `band` when
/// it is none of them (so that saving does not change it unseen).
std::vector<std::string> band_choices(const std::vector<config::ProfileConfig>& operator_profiles,
                                      const std::string& band);

/// What saving the settings did to a household.
struct SettingsChange {
  bool refused = false;  ///< no such device, or a band the page does not offer: nothing changed
  std::map<std::string, FieldError>
      errors;          ///< mistakes to show beside the fields: nothing changed
  std::string detail;  ///< done: what changed, for the audit (no site)
};

/// Saves `input` for `device` ("" = the household) into `household`: the profile
/// custom_profile_name(device) is written (or rewritten) and the device, or the household,
/// follows it. Whether the household as a whole is still valid is the store's check.
SettingsChange apply_settings(config::HouseholdConfig& household, const std::string& device,
                              const SettingsInput& input,
                              const std::vector<config::ProfileConfig>& operator_profiles,
                              const std::string& default_profile);

/// The parts of the settings page that differ between `before` and `after`, for the audit:
/// "band, categories, allowed sites, blocked sites, safe search, bedtime" or a subset; "none"
/// when nothing does. Never a site.
std::string changed_parts(const SettingsInput& before, const SettingsInput& after);

}  // namespace shelter::proxy::portal
