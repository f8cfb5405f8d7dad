#include "proxy/upstream/health_board.h"

namespace shelter::proxy::upstream {

HealthBoard::Slot* HealthBoard::find(const net::Endpoint& server) {
  const std::size_t count = count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < count; ++i) {
    if (slots_[i].server == server) return &slots_[i];
  }
  return nullptr;
}

HealthBoard::Slot* HealthBoard::find_or_add(const net::Endpoint& server) {
  if (Slot* slot = find(server)) return slot;
  std::lock_guard lock(add_mutex_);
  if (Slot* slot = find(server)) return slot;
  const std::size_t count = count_.load(std::memory_order_relaxed);
  if (count == kMaxTracked) return nullptr;
  slots_[count].server = server;  // written before the slot is published
  count_.store(count + 1, std::memory_order_release);
  return &slots_[count];
}

void HealthBoard::record(const net::Endpoint& server, bool success) {
  Slot* slot = find_or_add(server);
  if (slot == nullptr) return;
  if (success) {
    if (slot->failures.load(std::memory_order_relaxed) != 0)
      slot->failures.store(0, std::memory_order_relaxed);
  } else {
    slot->failures.fetch_add(1, std::memory_order_relaxed);
  }
}

std::vector<HealthBoard::Entry> HealthBoard::read(const std::vector<net::Endpoint>& servers) {
  std::vector<Entry> out;
  for (const net::Endpoint& server : servers) {
    const Slot* slot = find(server);
    out.push_back({server, slot == nullptr ||
                               slot->failures.load(std::memory_order_relaxed) < kFailuresToDown});
  }
  return out;
}

}  // namespace shelter::proxy::upstream
