#include "proxy/profiles/household.h"

#include <algorithm>

namespace shelter::proxy::profiles {
namespace {

// A string's heap block, when it is too long for the small-string buffer.
std::size_t heap_bytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

// An allow or deny entry: a hash node (next pointer, cached hash, the string), its bucket and a
// name of typical length on the heap. EntrySet shows its size only, so this is per entry.
constexpr std::size_t kEntryBytes = 2 * sizeof(void*) + sizeof(std::string) + sizeof(void*) + 32;
// A std::map node beyond its value: colour and three links.
constexpr std::size_t kMapNodeOverhead = 4 * sizeof(void*);

std::size_t profile_bytes(const policy::Profile& p) {
  std::size_t bytes = sizeof(policy::Profile) + heap_bytes(p.name);
  bytes += (p.allow.size() + p.deny.size()) * kEntryBytes;
  bytes += p.schedules.capacity() * sizeof(policy::ScheduleRule);
  for (const policy::ScheduleRule& rule : p.schedules)
    bytes += heap_bytes(rule.name) + rule.allow.size() * kEntryBytes;
  return bytes;
}

}  // namespace

policy::Subject Household::subject(std::string_view device) const {
  policy::Subject s{.profile = profile, .zone = zone.get(), .paused_until = paused_until};
  if (device.empty()) return s;
  auto it = devices.find(device);
  if (it == devices.end()) return s;
  if (it->second.profile != nullptr) s.profile = it->second.profile;
  s.paused_until = std::max(s.paused_until, it->second.paused_until);
  return s;
}

std::size_t Household::memory_bytes() const {
  // The object and make_shared's control block beside it.
  std::size_t bytes = sizeof(Household) + 2 * sizeof(void*) + heap_bytes(id);
  for (const auto& [device, state] : devices)
    bytes +=
        sizeof(std::pair<const std::string, DeviceState>) + kMapNodeOverhead + heap_bytes(device);
  bytes += own_profiles.capacity() * sizeof(own_profiles[0]);
  for (const auto& p : own_profiles)
    bytes += profile_bytes(*p);
  return bytes;
}

std::shared_ptr<const Household> compile_household(const config::HouseholdConfig& spec,
                                                   std::shared_ptr<const ProfileBook> book,
                                                   std::vector<std::string>& errors) {
  auto h = std::make_shared<Household>();
  h->id = spec.id;
  h->paused_until = spec.paused_until;
  const std::size_t errors_before = errors.size();
  std::map<std::string_view, const policy::Profile*> own;
  const auto find = [&](const std::string& name) -> const policy::Profile* {
    auto it = own.find(name);
    return it != own.end() ? it->second : book->find(name);
  };
  const auto profile_named = [&](const std::string& name,
                                 const std::string& key) -> const policy::Profile* {
    if (name.empty()) return nullptr;
    const policy::Profile* p = find(name);
    if (p == nullptr) errors.push_back(key + ": '" + name + "' is not a preset or profile");
    return p;
  };
  for (const config::ProfileConfig& spec_profile : spec.profiles) {
    const policy::Profile* base = profile_named(spec_profile.base, spec_profile.key_path + ".base");
    h->own_profiles.push_back(std::make_unique<const policy::Profile>(
        compile_profile(spec_profile, base, book->registry())));
    own[spec_profile.name] = h->own_profiles.back().get();
  }
  h->profile = profile_named(spec.profile, spec.key_path + ".profile");
  if (h->profile == nullptr) h->profile = &book->default_profile();
  if (spec.time_zone.empty()) {
    h->zone = book->default_zone();
  } else {
    std::string why;
    h->zone = book->zone(spec.time_zone, why);
    if (!h->zone) errors.push_back(spec.key_path + ".time-zone: " + why);
  }
  for (const config::DeviceConfig& d : spec.devices) {
    h->devices.emplace(
        d.id, DeviceState{profile_named(d.profile, spec.key_path + ".devices." + d.id + ".profile"),
                          d.paused_until});
  }
  h->book = std::move(book);
  if (errors.size() != errors_before) return nullptr;
  return h;
}

void bind_household(const config::HouseholdConfig& spec, policy::SubscriberBindings& bindings) {
  const policy::Subscriber household{spec.id, {}};
  for (const policy::Cidr& prefix : spec.addresses)
    bindings.bind_prefix(prefix, household);
  for (const std::string& cpe : spec.cpe_ids)
    bindings.bind_cpe_id(cpe, household);
  for (const policy::MacAddress& mac : spec.macs)
    bindings.bind_mac(mac, household);
  for (const config::DeviceConfig& d : spec.devices) {
    const policy::Subscriber device{spec.id, d.id};
    for (const policy::MacAddress& mac : d.macs)
      bindings.bind_mac(mac, device);
    for (const policy::Cidr& prefix : d.addresses)
      bindings.bind_prefix(prefix, device);
  }
}

}  // namespace shelter::proxy::profiles
