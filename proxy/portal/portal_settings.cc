#include "proxy/portal/portal_settings.h"

#include <algorithm>
#include <array>

#include "blocklist/domain_list.h"
#include "policy/schedule.h"
#include "proxy/http/form.h"

namespace shelter::proxy::portal {
namespace {

constexpr std::string_view kBedtime = "bedtime";
constexpr std::string_view kDefaultFrom = "21:00";
constexpr std::string_view kDefaultTo = "07:00";
constexpr std::size_t kShownSiteBytes = 100;  // of a bad line, in its error

std::string field(const http::Form& form, std::string_view name) {
  return std::string(form.get(name).value_or(""));
}

const config::ProfileConfig* named(const std::vector<config::ProfileConfig>* list,
                                   std::string_view name) {
  if (list == nullptr) return nullptr;
  auto it = std::find_if(list->begin(), list->end(),
                         [&](const config::ProfileConfig& p) { return p.name == name; });
  return it == list->end() ? nullptr : &*it;
}

std::uint8_t days_mask(std::string_view text) {
  std::string why;
  return policy::parse_days(text, why).value_or(0);
}

// "daily" and "sun-thu" as the page offers them; other day sets as the households file
// writes them ("sat,sun").
std::string days_text(std::uint8_t mask) {
  if (mask == days_mask("daily")) return "daily";
  if (mask == days_mask("sun-thu")) return "sun-thu";
  return policy::format_days(mask);
}

std::string entries_text(const config::EntriesConfig& entries) {
  std::string text;
  for (const std::string& domain : entries.domains)
    text += domain + "\n";
  for (const auto& [host, path] : entries.urls)
    text += host + path + "\n";
  return text;
}

// The allow-only schedule the page shows as bedtime: the one named so, else the first.
const config::ScheduleConfig* bedtime_of(const config::ProfileConfig& p) {
  const config::ScheduleConfig* first = nullptr;
  for (const config::ScheduleConfig& s : p.schedules) {
    if (!s.block.empty()) continue;
    if (s.name == kBedtime) return &s;
    if (first == nullptr) first = &s;
  }
  return first;
}

bool any_of(const std::vector<std::string>& categories, const std::set<std::string>& in) {
  return std::any_of(categories.begin(), categories.end(),
                     [&](const std::string& c) { return in.count(c) != 0; });
}

bool contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// "21:00", or "21:00:00" as some browsers send a time input's value.
std::optional<std::uint16_t> clock_time(std::string text) {
  if (text.size() == 8 && text[5] == ':') text.resize(5);
  std::string why;
  return policy::parse_clock_time(text, why);
}

void add_unique(config::EntriesConfig& to, const config::EntriesConfig& one) {
  for (const std::string& d : one.domains) {
    if (!contains(to.domains, d)) to.domains.push_back(d);
  }
  for (const auto& url : one.urls) {
    if (std::find(to.urls.begin(), to.urls.end(), url) == to.urls.end()) to.urls.push_back(url);
  }
}

// At most kShownSiteBytes of `text`, cut between two UTF-8 characters.
std::string shown_part(std::string_view text) {
  if (text.size() <= kShownSiteBytes) return std::string(text);
  std::size_t end = kShownSiteBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return std::string(text.substr(0, end));
}

// One site a line, as a profile's entries; the first mistake goes into `errors[name]`.
config::EntriesConfig read_sites(const std::string& text, const std::string& name,
                                 std::map<std::string, FieldError>& errors) {
  config::EntriesConfig out;
  std::size_t line_number = 0;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ++line_number;
    std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty()) continue;
    config::EntriesConfig one;
    std::string why;
    if (!config::add_entry(line, one, why)) {
      errors[name] = {
          .key = "site-invalid",
          .values = {{"line", std::to_string(line_number)}, {"site", shown_part(line)}}};
      return out;
    }
    // A site's address as a browser shows it ("https://example.com/") means the site, not
    // its front page alone.
    if (one.urls.size() == 1 && one.urls.front().second == "/" &&
        blocklist::normalise_domain(one.urls.front().first)) {
      one.domains.push_back(one.urls.front().first);
      one.urls.clear();
    }
    add_unique(out, one);
  }
  if (out.domains.size() + out.urls.size() > kMaxSites) {
    errors[name] = {.key = "sites-too-many", .values = {{"max", std::to_string(kMaxSites)}}};
  }
  return out;
}

// The first entry of `deny` that `allow` has too, or "".
std::string in_both(const config::EntriesConfig& allow, const config::EntriesConfig& deny) {
  for (const std::string& d : deny.domains) {
    if (contains(allow.domains, d)) return d;
  }
  for (const auto& url : deny.urls) {
    if (std::find(allow.urls.begin(), allow.urls.end(), url) != allow.urls.end()) {
      return url.first + url.second;
    }
  }
  return {};
}

// What the boxes ask for, as changes to `band`: a box ticked or unticked since the page drew
// it for `shown` changes its categories; the others stay as `band` has them.
std::set<std::string> wanted_categories(const SettingsInput& input, const ProfileSources& sources) {
  std::set<std::string> wanted = sources.blocked(input.band);
  const std::set<std::string> shown =
      sources.known(input.shown_band) ? sources.blocked(input.shown_band) : wanted;
  for (std::string_view box : kSettingsCategories) {
    const std::vector<std::string> categories = categories_of(box);
    const bool ticked = contains(input.blocked, box);
    if (ticked == any_of(categories, shown)) continue;
    for (const std::string& c : categories) {
      if (ticked) {
        wanted.insert(c);
      } else {
        wanted.erase(c);
      }
    }
  }
  return wanted;
}

}  // namespace

std::vector<std::string> categories_of(std::string_view box) {
  std::vector<std::string> out;
  if (box == "security") {
    for (const char* c : {"malware", "phishing", "botnet", "cryptojacking"})
      out.emplace_back(c);
  } else {
    out.emplace_back(box);
  }
  return out;
}

const config::ProfileConfig* ProfileSources::find(std::string_view name) const {
  if (const config::ProfileConfig* p = named(household, name)) return p;
  if (const config::ProfileConfig* p = named(operator_profiles, name)) return p;
  return named(&config::presets().profiles, name);
}

const config::ProfileConfig* ProfileSources::own(std::string_view name) const {
  return named(household, name);
}

bool ProfileSources::known(std::string_view name) const {
  return name == "all-lists" || find(name) != nullptr;
}

std::set<std::string> ProfileSources::blocked(std::string_view name) const {
  std::vector<const config::ProfileConfig*> chain;  // the profile, then its bases
  std::string_view next = name;
  while (chain.size() < 16) {
    if (next == "all-lists") {
      chain.push_back(nullptr);  // every category
      break;
    }
    const config::ProfileConfig* p = find(next);
    if (p == nullptr) break;
    chain.push_back(p);
    if (p->base.empty()) break;
    next = p->base;
  }
  std::set<std::string> out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (*it == nullptr) {
      for (std::string_view box : kSettingsCategories) {
        for (std::string& c : categories_of(box))
          out.insert(std::move(c));
      }
      continue;
    }
    out.insert((*it)->block.begin(), (*it)->block.end());
    for (const std::string& c : (*it)->unblock)
      out.erase(c);
  }
  return out;
}

bool ProfileSources::safe_search(std::string_view name) const {
  std::string_view next = name;
  for (int depth = 0; depth < 16; ++depth) {
    const config::ProfileConfig* p = find(next);
    if (p == nullptr) return false;
    if (p->safe_search) return p->safe_search->any();
    if (p->base.empty()) return false;
    next = p->base;
  }
  return false;
}

SettingsInput settings_of(const std::string& name, const ProfileSources& sources) {
  SettingsInput in;
  const config::ProfileConfig* own = sources.own(name);
  in.band = own != nullptr && !own->base.empty() ? own->base : name;
  in.shown_band = in.band;
  const std::set<std::string> blocked = sources.blocked(name);
  for (std::string_view box : kSettingsCategories) {
    if (any_of(categories_of(box), blocked)) in.blocked.emplace_back(box);
  }
  in.safe_search = sources.safe_search(name);
  in.bedtime_from = kDefaultFrom;
  in.bedtime_to = kDefaultTo;
  in.bedtime_days = "daily";
  if (own == nullptr) return in;
  in.allow = entries_text(own->allow);
  in.deny = entries_text(own->deny);
  if (const config::ScheduleConfig* bedtime = bedtime_of(*own)) {
    in.bedtime = true;
    in.bedtime_from = policy::format_clock_time(bedtime->window.start_minute);
    in.bedtime_to = policy::format_clock_time(bedtime->window.end_minute);
    in.bedtime_days = days_text(bedtime->window.days);
  }
  return in;
}

std::optional<SettingsInput> read_settings_form(const http::Form& form) {
  SettingsInput in;
  in.band = field(form, "band");
  in.shown_band = field(form, "shown-band");
  std::vector<std::string_view> ticked;
  for (const auto& [name, value] : form.fields) {
    if (name != "block") continue;
    if (std::find(kSettingsCategories.begin(), kSettingsCategories.end(), value) ==
        kSettingsCategories.end()) {
      return std::nullopt;
    }
    ticked.push_back(value);
  }
  for (std::string_view box : kSettingsCategories) {
    if (std::find(ticked.begin(), ticked.end(), box) != ticked.end()) in.blocked.emplace_back(box);
  }
  in.allow = field(form, "allow");
  in.deny = field(form, "deny");
  in.safe_search = field(form, "safe-search") == "on";
  in.bedtime = field(form, "bedtime") == "on";
  in.bedtime_from = field(form, "bedtime-from");
  in.bedtime_to = field(form, "bedtime-to");
  in.bedtime_days = field(form, "bedtime-days");
  if (in.bedtime_days.empty()) in.bedtime_days = "daily";
  if (days_mask(in.bedtime_days) == 0) return std::nullopt;
  return in;
}

SettingsOutcome settings_profile(const SettingsInput& input, const std::string& name,
                                 const ProfileSources& sources, const config::ProfileConfig* keep) {
  SettingsOutcome out;
  config::ProfileConfig p;
  p.name = name;
  p.key_path = "profiles." + name;
  p.base = input.band;
  p.allow = read_sites(input.allow, "allow", out.errors);
  p.deny = read_sites(input.deny, "deny", out.errors);
  if (out.errors.count("deny") == 0) {
    if (std::string both = in_both(p.allow, p.deny); !both.empty())
      out.errors["deny"] = {.key = "site-both", .values = {{"site", both}}};
  }
  config::ScheduleConfig bedtime;
  if (input.bedtime) {
    const std::optional<std::uint16_t> from = clock_time(input.bedtime_from);
    const std::optional<std::uint16_t> to = clock_time(input.bedtime_to);
    if (!from) out.errors["bedtime-from"] = {.key = "time-invalid"};
    if (!to) out.errors["bedtime-to"] = {.key = "time-invalid"};
    if (from && to && *from == *to) out.errors["bedtime-to"] = {.key = "time-same"};
    if (from && to) {
      bedtime.name = kBedtime;
      bedtime.window = {
          .days = days_mask(input.bedtime_days), .start_minute = *from, .end_minute = *to};
      bedtime.allow = p.allow;
    }
  }
  if (!out.errors.empty()) return out;

  const std::set<std::string> band = sources.blocked(input.band);
  const std::set<std::string> wanted = wanted_categories(input, sources);
  for (std::string_view box : kSettingsCategories) {
    for (std::string& c : categories_of(box)) {
      if (wanted.count(c) != 0 && band.count(c) == 0) p.block.push_back(c);
      if (wanted.count(c) == 0 && band.count(c) != 0) p.unblock.push_back(std::move(c));
    }
  }
  // Safe search as the band has it when the box agrees (13-14 keeps YouTube's moderate
  // mode); otherwise every engine on, YouTube strict, or every engine off.
  if (input.safe_search != sources.safe_search(input.band)) {
    policy::SafeSearch s;
    if (input.safe_search) {
      s = {
          .google = true, .youtube = policy::YouTubeMode::strict, .bing = true, .duckduckgo = true};
    }
    p.safe_search = s;
  }
  if (keep != nullptr) {
    const config::ScheduleConfig* old_bedtime = bedtime_of(*keep);
    for (const config::ScheduleConfig& s : keep->schedules) {
      if (&s != old_bedtime) p.schedules.push_back(s);
    }
    p.block_bypass = keep->block_bypass;
    p.audience = keep->audience;
  }
  if (input.bedtime) p.schedules.push_back(std::move(bedtime));
  out.profile = std::move(p);
  return out;
}

std::string custom_profile_name(std::string_view device) {
  constexpr std::string_view kSuffix = "-custom";
  if (device.empty()) return "household-custom";
  return std::string(device.substr(0, 64 - kSuffix.size())) + std::string(kSuffix);
}

std::optional<std::string> current_profile(const config::HouseholdConfig& household,
                                           const std::string& device,
                                           const std::string& default_profile) {
  std::string name = household.profile.empty() ? default_profile : household.profile;
  if (device.empty()) return name;
  auto it = std::find_if(household.devices.begin(), household.devices.end(),
                         [&](const config::DeviceConfig& d) { return d.id == device; });
  if (it == household.devices.end()) return std::nullopt;
  return it->profile.empty() ? name : it->profile;
}

std::vector<std::string> band_choices(const std::vector<config::ProfileConfig>& operator_profiles,
                                      const std::string& band) {
  std::vector<std::string> out;
  for (const config::ProfileConfig& p : config::presets().profiles)
    out.push_back(p.name);
  for (const config::ProfileConfig& p : operator_profiles)
    out.push_back(p.name);
  if (!band.empty() && !contains(out, band)) out.push_back(band);
  return out;
}

SettingsChange apply_settings(config::HouseholdConfig& household, const std::string& device,
                              const SettingsInput& input,
                              const std::vector<config::ProfileConfig>& operator_profiles,
                              const std::string& default_profile) {
  SettingsChange change;
  const std::optional<std::string> current = current_profile(household, device, default_profile);
  const std::string name = custom_profile_name(device);
  const ProfileSources sources{.household = &household.profiles,
                               .operator_profiles = &operator_profiles};
  if (!current) {
    change.refused = true;
    return change;
  }
  const SettingsInput before = settings_of(*current, sources);
  // A band is one the page offers, never the profile being written itself.
  if (!contains(band_choices(operator_profiles, before.band), input.band) || input.band == name) {
    change.refused = true;
    return change;
  }
  SettingsOutcome outcome = settings_profile(input, name, sources, sources.own(*current));
  if (!outcome.profile) {
    change.errors = std::move(outcome.errors);
    return change;
  }
  auto it = std::find_if(household.profiles.begin(), household.profiles.end(),
                         [&](const config::ProfileConfig& p) { return p.name == name; });
  if (it != household.profiles.end()) {
    *it = std::move(*outcome.profile);
  } else {
    household.profiles.push_back(std::move(*outcome.profile));
  }
  std::string* follows = &household.profile;
  for (config::DeviceConfig& d : household.devices) {
    if (!device.empty() && d.id == device) follows = &d.profile;
  }
  *follows = name;
  change.detail = "profile " + name + ": " + changed_parts(before, settings_of(name, sources));
  return change;
}

std::string changed_parts(const SettingsInput& before, const SettingsInput& after) {
  std::string parts;
  auto part = [&](bool changed, const char* what) {
    if (changed) parts += (parts.empty() ? "" : ", ") + std::string(what);
  };
  part(before.band != after.band, "band");
  part(before.blocked != after.blocked, "categories");
  part(before.allow != after.allow, "allowed sites");
  part(before.deny != after.deny, "blocked sites");
  part(before.safe_search != after.safe_search, "safe search");
  part(before.bedtime != after.bedtime ||
           (after.bedtime &&
            (before.bedtime_from != after.bedtime_from || before.bedtime_to != after.bedtime_to ||
             before.bedtime_days != after.bedtime_days)),
       "bedtime");
  return parts.empty() ? "none" : parts;
}

}  // namespace shelter::proxy::portal
