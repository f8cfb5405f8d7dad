#include "proxy/config/profile_fields.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include "blocklist/domain_list.h"
#include "blocklist/url.h"

namespace shelter::proxy::config {

bool add_entry(std::string_view text, EntriesConfig& out, std::string& why) {
  if (text.find('/') == std::string_view::npos) {
    auto name = blocklist::normalise_domain(text);
    if (!name) {
      why = " is not a domain name";
      return false;
    }
    out.domains.push_back(std::move(*name));
    return true;
  }
  std::string error;
  auto url = blocklist::canonicalise_url(text, error);
  if (!url) {
    why = " is not a URL: " + error;
    return false;
  }
  out.urls.emplace_back(std::move(url->host), std::move(url->path));
  return true;
}

}  // namespace shelter::proxy::config

namespace shelter::proxy::config::detail {
namespace {

// Profile, household, device and category names: what a URL path or a Redis key can carry
// without escaping.
bool is_plain_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
}

std::optional<std::string> read_name(Ctx& c, const Val& v, std::string_view what) {
  auto s = read_scalar(c, v, what);
  if (!s) return std::nullopt;
  if (!is_plain_name(*s)) {
    c.error(v, in_quotes(*s) + " is not a valid name",
            "use 1 to 64 letters, digits, '.', '_' or '-'");
    return std::nullopt;
  }
  return s;
}

Handler name_into(Ctx& c, std::string& out, std::string_view what) {
  return [&c, &out, what](const Val& v) {
    if (auto s = read_name(c, v, what)) out = std::move(*s);
  };
}

Handler categories_into(Ctx& c, std::vector<std::string>& out) {
  return list_into(c, out, [&c](const Val& item, const auto& seen) -> std::optional<std::string> {
    auto s = read_name(c, item, "a category");
    if (!s) return std::nullopt;
    std::transform(s->begin(), s->end(), s->begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (std::find(seen.begin(), seen.end(), *s) != seen.end()) {
      c.error(item, in_quotes(*s) + " is listed twice");
      return std::nullopt;
    }
    return s;
  });
}

// A site ("example.com": it and every name below) or a page ("example.com/path", or any
// http(s) URL: that URL and the ones below its path).
void read_entries(Ctx& c, const Val& v, EntriesConfig& out) {
  read_seq(c, v, [&](const Val& item) {
    const auto s = read_scalar(c, item, "a domain or URL");
    if (!s) return;
    std::string why;
    if (!add_entry(*s, out, why)) c.error(item, in_quotes(*s) + why);
  });
}

void read_safe_search(Ctx& c, const Val& v, std::optional<policy::SafeSearch>& out) {
  policy::SafeSearch s;
  auto youtube = [&](const Val& y) {
    if (auto i = read_choice(c, y, {"off", "moderate", "strict"})) {
      s.youtube = static_cast<policy::YouTubeMode>(*i);
    }
  };
  read_map(c, v,
           {
               {"google", bool_into(c, s.google)},
               {"youtube", youtube},
               {"bing", bool_into(c, s.bing)},
               {"duckduckgo", bool_into(c, s.duckduckgo)},
           });
  out = s;
}

Handler clock_into(Ctx& c, std::uint16_t& out, bool& given) {
  return [&c, &out, &given](const Val& v) {
    given = true;
    const auto s = read_scalar(c, v, "a time such as \"21:00\"");
    if (!s) return;
    std::string why;
    if (auto minute = policy::parse_clock_time(*s, why)) {
      out = *minute;
    } else {
      c.error(v, in_quotes(*s) + ": " + why);
    }
  };
}

ScheduleConfig read_schedule(Ctx& c, const Val& v) {
  ScheduleConfig s;
  bool has_from = false;
  bool has_to = false;
  bool has_days = false;
  auto days = [&](const Val& d) {
    has_days = true;
    const auto text = read_scalar(c, d, "days such as \"mon-fri\"");
    if (!text) return;
    std::string why;
    if (auto mask = policy::parse_days(*text, why)) {
      s.window.days = *mask;
    } else {
      c.error(d, in_quotes(*text) + ": " + why);
    }
  };
  read_map(c, v,
           {
               {"name", name_into(c, s.name, "a schedule name")},
               {"days", days},
               {"from", clock_into(c, s.window.start_minute, has_from)},
               {"to", clock_into(c, s.window.end_minute, has_to)},
               {"block", categories_into(c, s.block)},
               {"allow", [&](const Val& a) { read_entries(c, a, s.allow); }},
           });
  if (!has_days) c.error(v, "missing days", "e.g. days: sun-thu");
  if (!has_from || !has_to) c.error(v, "needs both from and to", "e.g. from: \"21:00\"");
  if (!s.block.empty() && !s.allow.empty()) {
    c.error(v, "has both block and allow",
            "a window either blocks categories or allows only its allow entries");
  }
  if (s.name.empty()) s.name = s.block.empty() ? "bedtime" : "schedule";
  return s;
}

ProfileConfig read_profile(Ctx& c, const Val& v, std::string name) {
  ProfileConfig p;
  p.name = std::move(name);
  p.key_path = v.path;
  auto bypass = [&](const Val& b) {
    if (auto x = read_bool(c, b)) p.block_bypass = *x;
  };
  auto schedules = [&](const Val& s) {
    read_seq(c, s, [&](const Val& item) { p.schedules.push_back(read_schedule(c, item)); });
  };
  auto audience = [&](const Val& a) {
    if (const auto i = read_choice(c, a, {"general", "child", "teen", "venue"})) {
      p.audience = static_cast<policy::Audience>(*i);
    }
  };
  read_map(c, v,
           {
               {"base", name_into(c, p.base, "a profile name")},
               {"block", categories_into(c, p.block)},
               {"unblock", categories_into(c, p.unblock)},
               {"allow", [&](const Val& a) { read_entries(c, a, p.allow); }},
               {"deny", [&](const Val& d) { read_entries(c, d, p.deny); }},
               {"safe-search", [&](const Val& s) { read_safe_search(c, s, p.safe_search); }},
               {"block-bypass", bypass},
               {"schedules", schedules},
               {"audience", audience},
           });
  return p;
}

Handler macs_into(Ctx& c, std::vector<policy::MacAddress>& out) {
  return list_into(c, out, [&c](const Val& item, const auto&) -> std::optional<policy::MacAddress> {
    const auto s = read_scalar(c, item, "a MAC address");
    if (!s) return std::nullopt;
    auto mac = policy::parse_mac(*s);
    if (!mac) c.error(item, in_quotes(*s) + " is not a MAC address", "e.g. 02:00:5e:10:00:01");
    return mac;
  });
}

// Unix seconds, or an RFC 3339 UTC time ("2026-11-30T21:00:00Z").
std::optional<std::int64_t> parse_instant(const std::string& s) {
  if (!s.empty() &&
      std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    if (s.size() > 12) return std::nullopt;
    return std::stoll(s);
  }
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

Handler instant_into(Ctx& c, std::int64_t& out) {
  return [&c, &out](const Val& v) {
    const auto s = read_scalar(c, v, "a time such as 2026-11-30T21:00:00Z");
    if (!s) return;
    if (auto t = parse_instant(*s)) {
      out = *t;
    } else {
      c.error(v, in_quotes(*s) + " is not a time", "use 2026-11-30T21:00:00Z or Unix seconds");
    }
  };
}

DeviceConfig read_device(Ctx& c, const Val& v, std::string id) {
  DeviceConfig d;
  d.id = std::move(id);
  read_map(c, v,
           {
               {"profile", name_into(c, d.profile, "a profile name")},
               {"macs", macs_into(c, d.macs)},
               {"addresses", cidrs_into(c, d.addresses)},
               {"paused-until", instant_into(c, d.paused_until)},
           });
  return d;
}

// A mapping of name: value, each name checked; `item` reads one value.
template <typename ReadItem>
void read_named(Ctx& c, const Val& v, std::string_view what, ReadItem item) {
  if (v.node.IsNull()) return;
  if (!v.node.IsMap())
    return c.error(v, "expected a mapping of name: settings, got " + kind(v.node));
  for (const auto& entry : v.node) {
    const Val key = child(v, entry.first, v.path);
    const Val value = child(v, entry.second, v.path + "." + entry.first.Scalar());
    c.count_value(value);
    if (!entry.first.IsScalar() || !is_plain_name(entry.first.Scalar())) {
      c.error(key, in_quotes(entry.first.Scalar()) + " is not a valid " + std::string(what),
              "use 1 to 64 letters, digits, '.', '_' or '-'");
      continue;
    }
    item(entry.first.Scalar(), value);
  }
}

}  // namespace

void read_domains(Ctx& c, const Val& v, std::vector<std::string>& out) {
  list_into(c, out, [&c](const Val& item, const auto&) -> std::optional<std::string> {
    const auto s = read_scalar(c, item, "a domain name");
    if (!s) return std::nullopt;
    auto name = blocklist::normalise_domain(*s);
    if (!name) c.error(item, in_quotes(*s) + " is not a domain name");
    return name;
  })(v);
}

void read_profiles(Ctx& c, const Val& v, std::vector<ProfileConfig>& out) {
  read_named(c, v, "profile name", [&](const std::string& name, const Val& value) {
    out.push_back(read_profile(c, value, name));
  });
}

HouseholdConfig read_household(Ctx& c, const Val& v, const std::string& id) {
  HouseholdConfig h;
  h.id = id;
  h.key_path = v.path;
  auto devices = [&](const Val& d) {
    read_named(c, d, "device name", [&](const std::string& name, const Val& value) {
      h.devices.push_back(read_device(c, value, name));
    });
  };
  auto cpe_ids = list_into(c, h.cpe_ids, [&c](const Val& item, const auto&) {
    auto s = read_scalar(c, item, "a CPE-ID");
    if (s && (s->empty() || s->size() > 64)) {
      c.error(item, "a CPE-ID has 1 to 64 characters");
      s.reset();
    }
    return s;
  });
  read_map(c, v,
           {
               {"profiles", [&](const Val& p) { read_profiles(c, p, h.profiles); }},
               {"profile", name_into(c, h.profile, "a profile name")},
               {"time-zone", string_into(c, h.time_zone)},
               {"paused-until", instant_into(c, h.paused_until)},
               {"addresses", cidrs_into(c, h.addresses)},
               {"cpe-ids", cpe_ids},
               {"macs", macs_into(c, h.macs)},
               {"devices", devices},
           });
  return h;
}

void read_households(Ctx& c, const Val& v, std::vector<HouseholdConfig>& out) {
  read_named(c, v, "household id", [&](const std::string& id, const Val& value) {
    out.push_back(read_household(c, value, id));
  });
}

void read_subscribers(Ctx& c, const Val& v, SubscribersConfig& s) {
  auto trust = [&](const Val& t) {
    read_map(c, t,
             {
                 {"mac-from", cidrs_into(c, s.trust.mac_from)},
                 {"cpe-id-from", cidrs_into(c, s.trust.cpe_id_from)},
                 {"client-subnet-from", cidrs_into(c, s.trust.client_subnet_from)},
             });
  };
  auto store = [&](const Val& k) {
    if (auto i = read_choice(c, k, {"embedded", "redis"})) s.store = static_cast<StoreKind>(*i);
  };
  read_map(c, v,
           {
               {"default-profile", name_into(c, s.default_profile, "a profile name")},
               {"time-zone", string_into(c, s.time_zone)},
               {"never-block", [&](const Val& n) { read_domains(c, n, s.never_block); }},
               {"trust", trust},
               {"store", store},
               {"file", string_into(c, s.file)},
           });
}

void read_redis(Ctx& c, const Val& v, RedisConfig& r) {
  using std::chrono::milliseconds;
  auto tls = [&](const Val& t) {
    read_map(c, t,
             {
                 {"enabled", bool_into(c, r.tls)},
                 {"ca-file", string_into(c, r.tls_ca_file)},
                 {"cert-file", string_into(c, r.tls_cert_file)},
                 {"key-file", string_into(c, r.tls_key_file)},
                 {"server-name", string_into(c, r.tls_server_name)},
             });
  };
  auto sentinel = [&](const Val& s) {
    read_map(c, s,
             {
                 {"servers", endpoints_into(c, r.sentinels, 26379, false)},
                 {"master-name", string_into(c, r.master_name)},
                 {"user", string_into(c, r.sentinel_user)},
                 {"password", string_into(c, r.sentinel_password)},
             });
  };
  read_map(c, v,
           {
               {"servers", endpoints_into(c, r.servers, 6379, false)},
               {"user", string_into(c, r.user)},
               {"password", string_into(c, r.password)},
               {"database", uint_into(c, r.database, 0, 15)},
               {"tls", tls},
               {"sentinel", sentinel},
               {"prefer-replica", bool_into(c, r.prefer_replica)},
               {"key-prefix", name_into(c, r.key_prefix, "a key prefix")},
               {"connect-timeout",
                duration_into(c, r.connect_timeout, milliseconds{10}, milliseconds{60'000})},
               {"command-timeout",
                duration_into(c, r.command_timeout, milliseconds{1}, milliseconds{60'000})},
               {"lookup-timeout",
                duration_into(c, r.lookup_timeout, milliseconds{0}, milliseconds{5'000})},
               {"cache-households", uint_into(c, r.cache_households, 100, 100'000'000)},
               {"cache-memory-mb", uint_into(c, r.cache_memory_mb, 1, 1'048'576)},
           });
}

void check_profiles(Ctx& c, const std::vector<ProfileConfig>& profiles,
                    const SubscribersConfig& subscribers) {
  std::set<std::string, std::less<>> known = {"all-lists"};
  for (const ProfileConfig& preset : presets().profiles)
    known.insert(preset.name);
  for (const ProfileConfig& p : profiles) {
    if (known.count(p.name) != 0) {
      c.error_key(p.key_path,
                  "is already a preset or profile; give yours another name with base: " + p.name);
      continue;
    }
    if (!p.base.empty() && known.count(p.base) == 0) {
      c.error_key(p.key_path + ".base", in_quotes(p.base) + " is not a preset or earlier profile");
    }
    known.insert(p.name);
  }
  if (known.count(subscribers.default_profile) == 0) {
    c.error_key("subscribers.default-profile",
                in_quotes(subscribers.default_profile) + " is not a preset or profile");
  }
}

}  // namespace shelter::proxy::config::detail
