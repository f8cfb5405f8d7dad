#pragma once
// A parental-control profile: what one household or device may reach, and when. Profiles are
// plain immutable values built by a store (embedded file or Redis) and shared by pointer; the
// presets (under 9, 9-12, 13-14, 15-17, adult, public Wi-Fi) are profiles shipped as data.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "policy/category.h"
#include "policy/entry_set.h"
#include "policy/overrides.h"
#include "policy/safe_search.h"
#include "policy/schedule.h"
#include "policy/time_zone.h"

namespace shelter::policy {

/// What a schedule does while its window is open.
enum class ScheduleMode : std::uint8_t {
  allow_only,        ///< everything is blocked but the schedule's allow entries (bedtime)
  block_categories,  ///< these categories are blocked as well (school-night rules)
};

struct ScheduleRule {
  std::string name;  ///< shown on the block page ("bedtime")
  ScheduleWindow window;
  ScheduleMode mode = ScheduleMode::allow_only;
  CategorySet categories;  ///< block_categories: blocked while the window is open
  EntrySet allow;          ///< allow_only: what stays reachable (helplines always do)
};

/// Who reads the block page of a profile's blocks: its wording follows the age band.
enum class Audience : std::uint8_t {
  general,  ///< adults, or nobody in particular: plain, calm words any reader understands
  child,    ///< under 15 (the under-9, 9-12 and 13-14 presets)
  teen,     ///< 15-17
  venue,    ///< a public Wi-Fi's visitors: the venue's policy
};

struct Profile {
  std::string name;  ///< preset or profile name, for messages and metrics
  Audience audience = Audience::general;
  /// Block every category the lists have: the behaviour of a deployment with no profiles.
  bool all_categories = false;
  CategorySet blocked;
  EntrySet allow;  ///< lifts category blocks (never a legal list's)
  EntrySet deny;   ///< blocks whatever the lists say
  SafeSearch safe_search;
  /// Stops devices from leaving the filter through encrypted DNS: the Firefox canary
  /// (use-application-dns.net) and Apple's iCloud Private Relay names get NXDOMAIN, which is
  /// how both are told that the network filters.
  bool block_bypass = false;
  std::vector<ScheduleRule> schedules;
};

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

/// What applies to one subscriber (a device, or its household) when a request is decided.
struct Subject {
  const Profile* profile = nullptr;  ///< never null for decide()
  const TimeZone* zone = nullptr;    ///< the household's; null = UTC
  std::int64_t paused_until = 0;     ///< UTC seconds; "pause internet" until then
  /// A parent's time-limited allows for this device or household ("Ask my parent").
  const GrantSet* grants = nullptr;
};

}  // namespace shelter::policy
