#include "proxy/profiles/household_cache.h"

namespace shelter::proxy::profiles {
namespace {

// An unordered_map node beyond its value: the next pointer, the cached hash, a bucket slot;
// and the entry's place on the clock's face.
constexpr std::size_t kNodeOverhead = 3 * sizeof(void*) + sizeof(void*);

}  // namespace

std::size_t HouseholdCache::entry_bytes(std::string_view household, const Household* state) {
  std::size_t bytes = sizeof(Map::value_type) + kNodeOverhead + household.size() + 1;
  if (state != nullptr) bytes += state->memory_bytes();
  return bytes;
}

const std::shared_ptr<const Household>* HouseholdCache::find(std::string_view household) const {
  auto it = map_.find(household);  // transparent: no string built per query
  if (it == map_.end()) return nullptr;
  // Written only when not set yet: a hot entry's cache line stays shared between the workers.
  if (!it->second.referenced.load(std::memory_order_relaxed))
    it->second.referenced.store(true, std::memory_order_relaxed);
  return &it->second.state;
}

bool HouseholdCache::full_for(std::size_t more_bytes) const {
  return map_.size() + 1 > limits_.max_entries || bytes_ + more_bytes > limits_.max_bytes;
}

void HouseholdCache::insert(const std::string& household, std::shared_ptr<const Household> state) {
  const std::size_t bytes = entry_bytes(household, state.get());
  erase(household);  // a replacement is a new entry: its size may differ
  while (!map_.empty() && full_for(bytes))
    evict_one();
  auto [it, added] = map_.try_emplace(household);
  it->second.state = std::move(state);
  it->second.bytes = bytes;
  it->second.slot = ring_.size();
  ring_.push_back(&*it);
  bytes_ += bytes;
}

bool HouseholdCache::erase(std::string_view household) {
  auto it = map_.find(household);
  if (it == map_.end()) return false;
  remove(it);
  return true;
}

void HouseholdCache::clear() {
  map_.clear();
  ring_.clear();
  hand_ = 0;
  bytes_ = 0;
}

// At most two turns of the hand: the first clears every bit it passes.
void HouseholdCache::evict_one() {
  for (;;) {
    if (hand_ >= ring_.size()) hand_ = 0;
    Map::value_type& candidate = *ring_[hand_];
    if (candidate.second.referenced.exchange(false, std::memory_order_relaxed)) {
      ++hand_;
      continue;
    }
    // The hand stays: the last entry moves into this slot and is looked at next.
    remove(map_.find(candidate.first));
    ++evictions_;
    return;
  }
}

void HouseholdCache::remove(Map::iterator it) {
  const std::size_t slot = it->second.slot;
  ring_[slot] = ring_.back();
  ring_[slot]->second.slot = slot;
  ring_.pop_back();
  bytes_ -= it->second.bytes;
  map_.erase(it);
}

}  // namespace shelter::proxy::profiles
