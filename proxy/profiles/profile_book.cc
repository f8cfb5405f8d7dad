#include "proxy/profiles/profile_book.h"

#include "proxy/config/time_zone_file.h"

namespace shelter::proxy::profiles {
namespace {

void add_entries(const config::EntriesConfig& entries, policy::EntrySet& out) {
  for (const std::string& d : entries.domains)
    out.add_domain(d);
  for (const auto& [host, path] : entries.urls)
    out.add_url(host, path);
}

policy::CategorySet intern_all(const std::vector<std::string>& names,
                               policy::CategoryRegistry& registry) {
  policy::CategorySet set;
  for (const std::string& name : names)
    set.add(registry.intern(name));
  return set;
}

}  // namespace

policy::Profile compile_profile(const config::ProfileConfig& spec, const policy::Profile* base,
                                policy::CategoryRegistry& registry) {
  policy::Profile p = base != nullptr ? *base : policy::Profile{};
  p.name = spec.name;
  for (const std::string& name : spec.block)
    p.blocked.add(registry.intern(name));
  for (const std::string& name : spec.unblock)
    p.blocked.remove(registry.intern(name));
  add_entries(spec.allow, p.allow);
  add_entries(spec.deny, p.deny);
  if (spec.safe_search) p.safe_search = *spec.safe_search;
  if (spec.block_bypass) p.block_bypass = *spec.block_bypass;
  if (spec.audience) p.audience = *spec.audience;
  for (const config::ScheduleConfig& s : spec.schedules) {
    policy::ScheduleRule rule;
    rule.name = s.name;
    rule.window = s.window;
    rule.mode =
        s.block.empty() ? policy::ScheduleMode::allow_only : policy::ScheduleMode::block_categories;
    rule.categories = intern_all(s.block, registry);
    add_entries(s.allow, rule.allow);
    p.schedules.push_back(std::move(rule));
  }
  return p;
}

std::shared_ptr<const ProfileBook> ProfileBook::build(const config::Config& config,
                                                      policy::CategoryRegistry& registry,
                                                      std::vector<std::string>& errors) {
  auto book = std::make_shared<ProfileBook>();
  book->registry_ = &registry;
  auto all_lists = std::make_unique<policy::Profile>();
  all_lists->name = "all-lists";
  all_lists->all_categories = true;
  book->profiles_.emplace("all-lists", std::move(all_lists));
  // Presets first, then the operator's profiles in file order: a base is always built before
  // the profiles that start from it (the configuration reader checked the order).
  const config::Presets& presets = config::presets();
  for (const auto* list : {&presets.profiles, &config.profiles}) {
    for (const config::ProfileConfig& spec : *list) {
      const policy::Profile* base = spec.base.empty() ? nullptr : book->find(spec.base);
      book->profiles_.emplace(spec.name, std::make_unique<const policy::Profile>(
                                             compile_profile(spec, base, registry)));
    }
  }
  for (const auto* names : {&presets.never_block, &config.subscribers.never_block}) {
    for (const std::string& name : *names)
      book->never_blocked_.add_domain(name);
  }
  book->default_ = book->find(config.subscribers.default_profile);
  if (book->default_ == nullptr) {
    errors.push_back("subscribers.default-profile: '" + config.subscribers.default_profile +
                     "' is not a preset or profile");
  }
  std::string why;
  book->default_zone_ = book->zone(config.subscribers.time_zone, why);
  if (!book->default_zone_) errors.push_back("subscribers.time-zone: " + why);
  if (!errors.empty()) return nullptr;
  return book;
}

const policy::Profile* ProfileBook::find(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const policy::TimeZone> ProfileBook::zone(const std::string& name,
                                                          std::string& error) const {
  std::lock_guard lock(zones_mutex_);
  auto it = zones_.find(name);
  if (it != zones_.end()) return it->second;
  auto loaded = config::load_time_zone(name, error);
  if (!loaded) return nullptr;
  auto shared = std::make_shared<const policy::TimeZone>(std::move(*loaded));
  zones_.emplace(name, shared);
  return shared;
}

}  // namespace shelter::proxy::profiles
