// The households file written back by the embedded store: the inverse of the reader in
// profile_fields.cc, so that parse_households(render_households(h)) == h.
#include <yaml-cpp/yaml.h>

#include <array>
#include <string>

#include "proxy/config/subscribers.h"

namespace shelter::proxy::config {
namespace {

template <typename T, typename Text>
void list(YAML::Emitter& out, const char* key, const std::vector<T>& items, Text text) {
  if (items.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const T& item : items)
    out << text(item);
  out << YAML::EndSeq;
}

void strings(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  list(out, key, items, [](const std::string& s) { return s; });
}

void entries(YAML::Emitter& out, const char* key, const EntriesConfig& e) {
  if (e.empty()) return;
  std::vector<std::string> all = e.domains;
  for (const auto& [host, path] : e.urls)
    all.push_back(host + path);  // a canonical URL's host and path read back to themselves
  strings(out, key, all);
}

void safe_search(YAML::Emitter& out, const policy::SafeSearch& s) {
  static constexpr std::array<const char*, 3> kYouTube = {"off", "moderate", "strict"};
  out << YAML::Key << "safe-search" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "google" << YAML::Value << s.google;
  out << YAML::Key << "youtube" << YAML::Value << kYouTube[static_cast<std::size_t>(s.youtube)];
  out << YAML::Key << "bing" << YAML::Value << s.bing;
  out << YAML::Key << "duckduckgo" << YAML::Value << s.duckduckgo;
  out << YAML::EndMap;
}

void schedule(YAML::Emitter& out, const ScheduleConfig& s) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << s.name;
  out << YAML::Key << "days" << YAML::Value << policy::format_days(s.window.days);
  out << YAML::Key << "from" << YAML::Value << YAML::DoubleQuoted
      << policy::format_clock_time(s.window.start_minute);
  out << YAML::Key << "to" << YAML::Value << YAML::DoubleQuoted
      << policy::format_clock_time(s.window.end_minute);
  strings(out, "block", s.block);
  entries(out, "allow", s.allow);
  out << YAML::EndMap;
}

void profile(YAML::Emitter& out, const ProfileConfig& p) {
  out << YAML::Key << p.name << YAML::Value << YAML::BeginMap;
  if (!p.base.empty()) out << YAML::Key << "base" << YAML::Value << p.base;
  strings(out, "block", p.block);
  strings(out, "unblock", p.unblock);
  entries(out, "allow", p.allow);
  entries(out, "deny", p.deny);
  if (p.safe_search) safe_search(out, *p.safe_search);
  if (p.block_bypass) out << YAML::Key << "block-bypass" << YAML::Value << *p.block_bypass;
  if (p.audience) {
    static constexpr std::array<const char*, 4> kAudience = {"general", "child", "teen", "venue"};
    out << YAML::Key << "audience" << YAML::Value
        << kAudience[static_cast<std::size_t>(*p.audience)];
  }
  if (!p.schedules.empty()) {
    out << YAML::Key << "schedules" << YAML::Value << YAML::BeginSeq;
    for (const ScheduleConfig& s : p.schedules)
      schedule(out, s);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void bindings(YAML::Emitter& out, const std::vector<Cidr>& addresses,
              const std::vector<policy::MacAddress>& macs) {
  list(out, "addresses", addresses, [](const Cidr& c) { return c.to_string(); });
  list(out, "macs", macs, policy::format_mac);
}

void household(YAML::Emitter& out, const HouseholdConfig& h) {
  out << YAML::Key << h.id << YAML::Value << YAML::BeginMap;
  if (!h.profile.empty()) out << YAML::Key << "profile" << YAML::Value << h.profile;
  if (!h.time_zone.empty()) out << YAML::Key << "time-zone" << YAML::Value << h.time_zone;
  if (h.paused_until != 0) out << YAML::Key << "paused-until" << YAML::Value << h.paused_until;
  bindings(out, h.addresses, h.macs);
  strings(out, "cpe-ids", h.cpe_ids);
  if (!h.profiles.empty()) {
    out << YAML::Key << "profiles" << YAML::Value << YAML::BeginMap;
    for (const ProfileConfig& p : h.profiles)
      profile(out, p);
    out << YAML::EndMap;
  }
  if (!h.devices.empty()) {
    out << YAML::Key << "devices" << YAML::Value << YAML::BeginMap;
    for (const DeviceConfig& d : h.devices) {
      out << YAML::Key << d.id << YAML::Value << YAML::BeginMap;
      if (!d.profile.empty()) out << YAML::Key << "profile" << YAML::Value << d.profile;
      if (d.paused_until != 0) {
        out << YAML::Key << "paused-until" << YAML::Value << d.paused_until;
      }
      bindings(out, d.addresses, d.macs);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string render_households(const std::vector<HouseholdConfig>& households) {
  YAML::Emitter out;
  out << YAML::Comment(
      "Written by shelterd (embedded store). Edit by hand only while nothing is edited "
      "through shelterd, then reload (SIGHUP).");
  out << YAML::BeginMap << YAML::Key << "households" << YAML::Value << YAML::BeginMap;
  for (const HouseholdConfig& h : households)
    household(out, h);
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace shelter::proxy::config
