#include "proxy/profiles/household_activity.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <exception>
#include <iterator>
#include <set>

#include "proxy/log.h"

namespace shelter::proxy::profiles {
namespace {

namespace json = boost::json;

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t year_of_day(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

// The weeks kept at `now`: this one and the kWeeksKept - 1 before it.
std::set<std::string> weeks_kept(std::int64_t now) {
  std::set<std::string> out;
  for (int k = 0; k < kWeeksKept; ++k)
    out.insert(iso_week(now - k * 7 * kDay));
  return out;
}

}  // namespace

std::string iso_week(std::int64_t unix_seconds) {
  const std::int64_t day = floor_div(unix_seconds, kDay);
  const std::int64_t weekday = ((day + 3) % 7 + 7) % 7;  // Monday 0 (1970-01-01 a Thursday)
  const std::int64_t monday = day - weekday;
  const std::int64_t thursday = monday + 3;  // its year is the week's year
  const std::int64_t year = year_of_day(thursday);
  const std::int64_t week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
  char text[48];
  std::snprintf(text, sizeof text, "%04lld-W%02lld", static_cast<long long>(year),
                static_cast<long long>(week));
  return text;
}

// ---- ActivityAccumulator

void ActivityAccumulator::blocked(std::string_view household, std::size_t slot) {
  std::lock_guard lock(mutex_);
  key_.assign(household);
  key_.push_back('\0');
  key_.push_back(static_cast<char>(slot & 0xff));
  key_.push_back(static_cast<char>((slot >> 8) & 0xff));
  if (auto it = blocks_.find(key_); it != blocks_.end()) {
    ++it->second;
  } else if (blocks_.size() < kMaxBlockKeys) {
    blocks_.emplace(key_, 1);
  } else {
    ++dropped_;
  }
}

void ActivityAccumulator::new_device(std::string_view household, const policy::MacAddress& mac,
                                     std::int64_t now) {
  std::lock_guard lock(mutex_);
  key_.assign(household);
  key_.push_back('\0');
  key_.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  if (auto it = devices_.find(key_); it != devices_.end()) {
    it->second.last = std::max(it->second.last, now);
  } else if (devices_.size() < kMaxDeviceKeys) {
    devices_.emplace(key_, Seen{now, now});
  } else {
    ++dropped_;
  }
}

ActivityBatch ActivityAccumulator::take(const std::vector<std::string>& slot_names) {
  std::unordered_map<std::string, std::uint64_t> blocks;
  std::unordered_map<std::string, Seen> devices;
  {
    std::lock_guard lock(mutex_);
    blocks.swap(blocks_);
    devices.swap(devices_);
  }
  ActivityBatch batch;
  for (const auto& [key, count] : blocks) {
    const std::size_t zero = key.find('\0');
    const std::size_t slot =
        static_cast<std::size_t>(static_cast<unsigned char>(key[zero + 1])) |
        (static_cast<std::size_t>(static_cast<unsigned char>(key[zero + 2])) << 8);
    batch.blocks.push_back(
        BlockCount{.household = key.substr(0, zero),
                   .category = slot < slot_names.size() ? slot_names[slot] : "other",
                   .count = count});
  }
  for (const auto& [key, seen] : devices) {
    const std::size_t zero = key.find('\0');
    policy::MacAddress mac{};
    std::copy_n(key.begin() + static_cast<std::ptrdiff_t>(zero) + 1, mac.size(), mac.begin());
    batch.devices.push_back(DeviceSighting{.household = key.substr(0, zero),
                                           .mac = policy::format_mac(mac),
                                           .first = seen.first,
                                           .last = seen.last,
                                           .dismissed = false});
  }
  return batch;
}

std::uint64_t ActivityAccumulator::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

// ---- ActivityBook

void order_new_devices(std::vector<DeviceSighting>& devices) {
  std::sort(devices.begin(), devices.end(), [](const DeviceSighting& a, const DeviceSighting& b) {
    return a.first != b.first ? a.first < b.first : a.mac < b.mac;
  });
}

void merge_sighting(std::map<std::string, DeviceSighting>& devices,
                    const DeviceSighting& sighting) {
  if (auto it = devices.find(sighting.mac); it != devices.end()) {
    DeviceSighting& known = it->second;
    known.first = std::min(known.first, sighting.first);
    known.last = std::max(known.last, sighting.last);
    known.dismissed = known.dismissed || sighting.dismissed;
    return;
  }
  if (devices.size() >= kMaxNewDevices) {
    auto oldest = std::min_element(
        devices.begin(), devices.end(),
        [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    devices.erase(oldest);
  }
  devices.emplace(sighting.mac, sighting);
}

void ActivityBook::add(const ActivityBatch& batch, std::int64_t now) {
  const std::string week = iso_week(now);
  for (const BlockCount& b : batch.blocks)
    blocks_[b.household][week][b.category] += b.count;
  for (const DeviceSighting& d : batch.devices)
    merge_sighting(devices_[d.household], d);
  expire(now);
}

ActivityView ActivityBook::view(const std::string& household, std::int64_t now) const {
  ActivityView view;
  if (auto h = blocks_.find(household); h != blocks_.end()) {
    auto week = [&](std::int64_t at, std::map<std::string, std::uint64_t>& into) {
      if (auto w = h->second.find(iso_week(at)); w != h->second.end()) into = w->second;
    };
    week(now, view.this_week);
    week(now - 7 * kDay, view.last_week);
  }
  if (auto h = devices_.find(household); h != devices_.end()) {
    for (const auto& [mac, seen] : h->second) {
      if (!seen.dismissed && seen.last >= now - kDeviceKeptSeconds)
        view.new_devices.push_back(seen);
    }
  }
  order_new_devices(view.new_devices);
  return view;
}

void ActivityBook::settle(const std::string& household, const std::string& mac, std::int64_t now) {
  merge_sighting(
      devices_[household],
      DeviceSighting{
          .household = household, .mac = mac, .first = now, .last = now, .dismissed = true});
}

void ActivityBook::expire(std::int64_t now) {
  const std::set<std::string> kept = weeks_kept(now);
  for (auto h = blocks_.begin(); h != blocks_.end();) {
    std::erase_if(h->second, [&](const auto& week) { return !kept.contains(week.first); });
    h = h->second.empty() ? blocks_.erase(h) : std::next(h);
  }
  for (auto h = devices_.begin(); h != devices_.end();) {
    std::erase_if(h->second,
                  [&](const auto& d) { return d.second.last < now - kDeviceKeptSeconds; });
    h = h->second.empty() ? devices_.erase(h) : std::next(h);
  }
}

std::string ActivityBook::to_json() const {
  json::object blocks;
  for (const auto& [household, weeks] : blocks_) {
    json::object per_week;
    for (const auto& [week, categories] : weeks) {
      json::object counts;
      for (const auto& [category, count] : categories)
        counts[category] = count;
      per_week[week] = std::move(counts);
    }
    blocks[household] = std::move(per_week);
  }
  json::object devices;
  for (const auto& [household, macs] : devices_) {
    json::object per_mac;
    for (const auto& [mac, d] : macs)
      per_mac[mac] = json::object{{"first", d.first}, {"last", d.last}, {"dismissed", d.dismissed}};
    devices[household] = std::move(per_mac);
  }
  return json::serialize(json::object{{"version", 1}, {"blocks", blocks}, {"devices", devices}});
}

bool ActivityBook::from_json(std::string_view text) {
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object() || root.as_object().if_contains("version") == nullptr) return false;
  ActivityBook read;
  try {
    const json::object& o = root.as_object();
    for (const auto& [household, weeks] : o.at("blocks").as_object()) {
      for (const auto& [week, counts] : weeks.as_object()) {
        for (const auto& [category, count] : counts.as_object()) {
          read.blocks_[std::string(household)][std::string(week)][std::string(category)] =
              json::value_to<std::uint64_t>(count);
        }
      }
    }
    for (const auto& [household, macs] : o.at("devices").as_object()) {
      for (const auto& [mac, d] : macs.as_object()) {
        const json::object& fields = d.as_object();
        read.devices_[std::string(household)][std::string(mac)] =
            DeviceSighting{.household = std::string(household),
                           .mac = std::string(mac),
                           .first = json::value_to<std::int64_t>(fields.at("first")),
                           .last = json::value_to<std::int64_t>(fields.at("last")),
                           .dismissed = fields.at("dismissed").as_bool()};
      }
    }
  } catch (const std::exception&) {
    return false;
  }
  *this = std::move(read);
  return true;
}

// ---- HouseholdActivity

HouseholdActivity::HouseholdActivity(std::shared_ptr<ActivityStore> store,
                                     std::vector<ActivityAccumulator*> accumulators,
                                     std::function<std::vector<std::string>()> slot_names)
    : store_(std::move(store)),
      accumulators_(std::move(accumulators)),
      slot_names_(std::move(slot_names)) {}

boost::asio::awaitable<void> HouseholdActivity::flush(std::int64_t now) {
  const std::vector<std::string> names = slot_names_();
  ActivityBatch batch;
  for (ActivityAccumulator* a : accumulators_) {
    ActivityBatch part = a->take(names);
    std::move(part.blocks.begin(), part.blocks.end(), std::back_inserter(batch.blocks));
    std::move(part.devices.begin(), part.devices.end(), std::back_inserter(batch.devices));
  }
  if (batch.empty()) co_return;
  try {
    co_await store_->add(std::move(batch), now);
  } catch (const std::exception& e) {
    // Counts are not worth a retry queue: a lost minute is said and counted.
    ++failed_flushes_;
    log_warn(std::string("household activity: a minute's counts were not kept: ") + e.what());
  }
}

boost::asio::awaitable<ActivityView> HouseholdActivity::read(std::string household,
                                                             std::int64_t now) {
  co_await flush(now);
  co_return co_await store_->read(std::move(household), now);
}

boost::asio::awaitable<void> HouseholdActivity::settle(std::string household, std::string mac,
                                                       std::int64_t now) {
  co_await store_->settle(std::move(household), std::move(mac), now);
}

std::uint64_t HouseholdActivity::dropped() const {
  std::uint64_t n = 0;
  for (const ActivityAccumulator* a : accumulators_)
    n += a->dropped();
  return n;
}

}  // namespace shelter::proxy::profiles
