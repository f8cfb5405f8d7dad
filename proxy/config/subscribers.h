#pragma once
// The profile and household parts of the configuration, as read and checked from YAML (the
// main file, the household file of the embedded store, or a household document in Redis).
// Plain values: names are normalised and times parsed here, so every mistake is reported with
// its key and line; proxy/profiles turns them into policy::Profile objects.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/identify.h"
#include "policy/profile.h"
#include "policy/safe_search.h"
#include "policy/schedule.h"
#include "proxy/net/endpoint.h"

namespace shelter::proxy::config {

// The configuration names endpoints and addresses by their vocabulary types (proxy/net).
using net::Address;
using net::Cidr;
using net::Endpoint;

/// Allow or deny entries: whole sites and single pages (canonical URL host and path prefix).
struct EntriesConfig {
  std::vector<std::string> domains;
  std::vector<std::pair<std::string, std::string>> urls;
  bool empty() const { return domains.empty() && urls.empty(); }
};

/// One allow or deny entry as a profile reads it: a site ("example.com": it and every name
/// below) or a page ("example.com/path" or an http(s) URL: that URL and those below its path),
/// normalised and added to `out`. False when it is neither, with `why` (" is not a domain
/// name", " is not a URL: ...", to follow the quoted text) and `out` unchanged. Pure.
bool add_entry(std::string_view text, EntriesConfig& out, std::string& why);

struct ScheduleConfig {
  std::string name;
  policy::ScheduleWindow window;
  /// Categories blocked while the window is open; empty: an allow-only window (bedtime).
  std::vector<std::string> block;
  EntriesConfig allow;  ///< allow-only windows: what stays reachable
};

struct ProfileConfig {
  std::string name;
  std::string base;  ///< a preset or earlier profile this one starts from; empty: none
  std::vector<std::string> block;    ///< categories added to the base's
  std::vector<std::string> unblock;  ///< categories taken from the base's
  EntriesConfig allow;
  EntriesConfig deny;
  std::optional<policy::SafeSearch> safe_search;  ///< unset: the base's
  std::optional<bool> block_bypass;               ///< unset: the base's
  std::optional<policy::Audience> audience;       ///< unset: the base's
  std::vector<ScheduleConfig> schedules;          ///< added to the base's
  std::string key_path;                           ///< "profiles.evenings", for messages
};

/// A device of a household: a MAC (from the CPE's EDNS option) or addresses of its own.
struct DeviceConfig {
  std::string id;
  std::string profile;  ///< empty: the household's
  std::vector<policy::MacAddress> macs;
  std::vector<Cidr> addresses;
  std::int64_t paused_until = 0;  ///< UTC seconds
};

struct HouseholdConfig {
  std::string id;
  /// The household's own profiles (a parent's custom settings), each with a `base`; the names
  /// below are looked up here first, then among the presets and operator profiles.
  std::vector<ProfileConfig> profiles;
  std::string profile;    ///< empty: subscribers.default-profile
  std::string time_zone;  ///< IANA name; empty: subscribers.time-zone
  std::int64_t paused_until = 0;
  std::vector<Cidr> addresses;  ///< the household's addresses and delegated prefixes
  std::vector<std::string> cpe_ids;
  std::vector<policy::MacAddress> macs;  ///< MACs that identify the household, not a device
  std::vector<DeviceConfig> devices;
  std::string key_path;
};

/// Where households and their bindings live.
enum class StoreKind : std::uint8_t { embedded, redis };

struct SubscribersConfig {
  /// The profile of clients that no binding identifies. "all-lists" (every category of every
  /// list, the behaviour without profiles) unless the operator names a preset or profile.
  std::string default_profile = "all-lists";
  std::string time_zone = "UTC";         ///< for households that name none
  std::vector<std::string> never_block;  ///< added to the presets' helplines
  policy::TrustRules trust;              ///< which networks' EDNS claims are believed
  StoreKind store = StoreKind::embedded;
  /// Embedded store: the household file (YAML, `households:`); empty: no households.
  std::string file;
};

/// Where the Redis store is and how shelterd talks to it (`redis:`).
struct RedisConfig {
  std::vector<Endpoint> servers;  ///< tried in order; default 127.0.0.1:6379
  std::string user;               ///< ACL user; empty: AUTH with the password alone
  std::string password;           ///< empty: no AUTH
  std::uint32_t database = 0;
  bool tls = false;
  std::string tls_ca_file, tls_cert_file, tls_key_file, tls_server_name;
  std::vector<Endpoint> sentinels;  ///< non-empty: ask these for the primary of master_name
  std::string master_name = "shelter";
  std::string sentinel_user, sentinel_password;
  bool prefer_replica = false;  ///< with Sentinel: read from a healthy replica
  std::string key_prefix = "shelter";
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{250};
  /// How long a query waits for a household that is not cached before it gets the default
  /// profile (the read goes on, and the next query has it).
  std::chrono::milliseconds lookup_timeout{50};
  std::uint64_t cache_households = 200'000;  ///< households kept in each node's memory, at most
  /// The estimated memory those households may take, in MiB (Household::memory_bytes); past
  /// either bound the least recently asked for go first.
  std::uint64_t cache_memory_mb = 256;
};

/// The households file of the embedded store, read and checked.
struct HouseholdsResult {
  std::vector<HouseholdConfig> households;
  std::vector<std::string> errors;  ///< set: nothing of the file is used
};

/// Parses a households file (`households: {id: {...}}`). Pure; never throws.
HouseholdsResult parse_households(std::string_view yaml_text);

/// The households file for `households`, as YAML that parse_households reads back to the same
/// values (what the embedded store writes when households are edited at run time).
std::string render_households(const std::vector<HouseholdConfig>& households);

/// Parses one household document as Redis holds it (JSON, which is YAML too) for household
/// `id`. Pure; never throws; `errors` set means nothing of it is used.
HouseholdsResult parse_household_document(std::string_view json_text, const std::string& id);

/// The profiles and never-blocked services compiled into shelterd (presets.yaml).
struct Presets {
  std::vector<ProfileConfig> profiles;
  std::vector<std::string> never_block;
};
const Presets& presets();

}  // namespace shelter::proxy::config
