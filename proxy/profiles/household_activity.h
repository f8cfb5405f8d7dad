#pragma once
// What a household's network did, kept so that a parent can see it without a browsing history
// (docs/portal.md, "This week" and "New devices"):
// - blocked queries of an identified household, counted per ISO week and category (or the
//   household's own reason: paused, bedtime, always blocked). Never per device, never a name,
//   never a time of day;
// - devices that turned up with a private (randomised) MAC address that no device is bound to,
//   while something else (CPE-ID, subnet, address) said which household they are in: first and
//   last seen, so that a parent can say "that is Sam's new phone" and protection follows it.
//
// The DNS workers write into an ActivityAccumulator each (one writer; a small mutex that only
// the control thread's flush ever contends). The control thread takes what they hold every
// minute (and at shutdown, and before the portal reads) into an ActivityStore: the embedded one
// (a JSON file in the state directory, written atomically) or Redis (docs/redis-schema.md).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/identify.h"

namespace shelter::proxy::profiles {

/// "2026-W49": the ISO 8601 week (weeks start on Monday, UTC) of a moment in UTC seconds.
std::string iso_week(std::int64_t unix_seconds);

/// How long what is counted is kept: this week and the four before it; a new device for 30
/// days after it was last seen; at most this many new devices a household (the least recently
/// seen goes first).
inline constexpr int kWeeksKept = 5;
inline constexpr std::int64_t kDeviceKeptSeconds = 30 * 86400;
inline constexpr std::size_t kMaxNewDevices = 32;

struct BlockCount {
  std::string household{};
  std::string category{};  ///< a list category ("gambling") or a household reason ("paused")
  std::uint64_t count = 0;
  bool operator==(const BlockCount&) const = default;
};

struct DeviceSighting {
  std::string household{};
  std::string mac{};  ///< "02:00:5e:10:00:01"
  std::int64_t first = 0;
  std::int64_t last = 0;
  bool dismissed = false;  ///< a parent bound it or said it is not theirs: not listed again
  bool operator==(const DeviceSighting&) const = default;
};

/// What the workers saw since the last flush, in the week of the flush.
struct ActivityBatch {
  std::vector<BlockCount> blocks{};
  std::vector<DeviceSighting> devices{};
  bool empty() const { return blocks.empty() && devices.empty(); }
};

/// One worker's events since the last take(). record_* are called by the worker's thread only;
/// take() by the control thread. Bounded: events beyond the limits are dropped and counted.
class ActivityAccumulator {
 public:
  static constexpr std::size_t kMaxBlockKeys = 16384;  ///< (household, category) pairs
  static constexpr std::size_t kMaxDeviceKeys = 4096;  ///< (household, MAC) pairs

  /// A blocked query of `household`; `slot`: its metrics category slot.
  void blocked(std::string_view household, std::size_t slot);
  /// A query with an unbound private MAC from `household`, at `now`.
  void new_device(std::string_view household, const policy::MacAddress& mac, std::int64_t now);
  /// Everything held, emptied. `slot_names`: the category of each slot.
  ActivityBatch take(const std::vector<std::string>& slot_names);
  /// Events dropped over the limits since start.
  std::uint64_t dropped() const;

 private:
  struct Seen {
    std::int64_t first = 0;
    std::int64_t last = 0;
  };
  mutable std::mutex mutex_;
  std::string key_;  // scratch: the lookup key, reused so that a hit allocates nothing
  std::unordered_map<std::string, std::uint64_t> blocks_;  // household '\0' slot -> count
  std::unordered_map<std::string, Seen> devices_;          // household '\0' mac bytes -> seen
  std::uint64_t dropped_ = 0;
};

/// What the portal shows a household: blocks by category this week and last week, and the new
/// devices not yet dismissed or bound (least recently first seen first).
struct ActivityView {
  std::map<std::string, std::uint64_t> this_week{};
  std::map<std::string, std::uint64_t> last_week{};
  std::vector<DeviceSighting> new_devices{};
};

/// The embedded store's state, without I/O: counts per household, week and category, and the
/// devices. Also what the tests check the retention rules on.
class ActivityBook {
 public:
  void add(const ActivityBatch& batch, std::int64_t now);
  ActivityView view(const std::string& household, std::int64_t now) const;
  /// `mac` is settled (bound or dismissed): no longer listed. Kept (dismissed) until it
  /// expires, so that its next query does not list it again.
  void settle(const std::string& household, const std::string& mac, std::int64_t now);
  /// Drops weeks and devices past their time.
  void expire(std::int64_t now);
  std::string to_json() const;
  /// False (the book unchanged) when `text` is not a book this code wrote.
  bool from_json(std::string_view text);

 private:
  // household -> week -> category -> count
  std::map<std::string, std::map<std::string, std::map<std::string, std::uint64_t>>> blocks_;
  // household -> mac -> sighting
  std::map<std::string, std::map<std::string, DeviceSighting>> devices_;
};

/// The order the portal lists new devices in: first seen first.
void order_new_devices(std::vector<DeviceSighting>& devices);

/// Adds `sighting` to a household's devices (first kept, last raised, dismissed kept), making
/// room by dropping the least recently seen when there are kMaxNewDevices already.
void merge_sighting(std::map<std::string, DeviceSighting>& devices, const DeviceSighting& sighting);

/// Where the counts and sightings are kept. Used on the control thread only.
class ActivityStore {
 public:
  virtual ~ActivityStore() = default;
  virtual boost::asio::awaitable<void> add(ActivityBatch batch, std::int64_t now) = 0;
  virtual boost::asio::awaitable<ActivityView> read(std::string household, std::int64_t now) = 0;
  virtual boost::asio::awaitable<void> settle(std::string household, std::string mac,
                                              std::int64_t now) = 0;
};

/// The node's accumulators and the store: flushes (every minute, at shutdown, and before a
/// read, so that the portal shows this node's last second too). Control thread only.
class HouseholdActivity {
 public:
  HouseholdActivity(std::shared_ptr<ActivityStore> store,
                    std::vector<ActivityAccumulator*> accumulators,
                    std::function<std::vector<std::string>()> slot_names);
  boost::asio::awaitable<void> flush(std::int64_t now);
  boost::asio::awaitable<ActivityView> read(std::string household, std::int64_t now);
  boost::asio::awaitable<void> settle(std::string household, std::string mac, std::int64_t now);
  /// Events the accumulators dropped over their limits, and batches the store refused.
  std::uint64_t dropped() const;
  std::uint64_t failed_flushes() const { return failed_flushes_; }

 private:
  std::shared_ptr<ActivityStore> store_;
  std::vector<ActivityAccumulator*> accumulators_;
  std::function<std::vector<std::string>()> slot_names_;
  std::uint64_t failed_flushes_ = 0;
};

}  // namespace shelter::proxy::profiles
