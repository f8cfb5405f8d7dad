#pragma once
// The process-wide cap on client DNS-over-TCP connections (dns.max-tcp-connections): one
// counter shared by every worker's TCP listener. Taking a slot is a compare-and-swap loop on
// one atomic (no lock on the accept path), so the count never passes the limit even when
// several workers accept at the same moment.

#include <atomic>
#include <cstdint>
#include <utility>

namespace shelter::proxy::server {

class ConnectionSlots {
 public:
  /// A slot held by one connection; gives it back when destroyed. Movable, not copyable.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(ConnectionSlots* owner) : owner_(owner) {}
    Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::exchange(other.owner_, nullptr);
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

    explicit operator bool() const { return owner_ != nullptr; }

   private:
    void release() {
      if (owner_) owner_->open_.fetch_sub(1, std::memory_order_relaxed);
      owner_ = nullptr;
    }
    ConnectionSlots* owner_ = nullptr;
  };

  /// A slot when fewer than `limit` are held now, else an empty Slot (the caller refuses the
  /// connection). The limit is read per call, so a reload that lowers it refuses new
  /// connections until enough have closed and never closes open ones.
  Slot try_take(std::uint32_t limit) {
    std::uint64_t open = open_.load(std::memory_order_relaxed);
    while (open < limit) {
      if (open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed)) {
        return Slot(this);
      }
    }
    return Slot();
  }

  /// Slots held now, across every worker.
  std::uint64_t open() const { return open_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> open_{0};
};

}  // namespace shelter::proxy::server
