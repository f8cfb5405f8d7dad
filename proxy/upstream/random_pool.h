#pragma once
// Unpredictable 16-bit values (DNS IDs) from the kernel's CSPRNG, fetched in blocks so a query
// costs no system call.

#include <sys/random.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace shelter::proxy::upstream {

class RandomPool {
 public:
  std::uint16_t next_u16() {
    if (used_ + 2 > pool_.size()) refill();
    std::uint16_t v = static_cast<std::uint16_t>((pool_[used_] << 8) | pool_[used_ + 1]);
    used_ += 2;
    return v;
  }

 private:
  void refill() {
    std::size_t filled = 0;
    while (filled < pool_.size()) {
      ssize_t n = ::getrandom(pool_.data() + filled, pool_.size() - filled, 0);
      if (n < 0) throw std::runtime_error("getrandom failed");
      filled += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }
  std::array<std::uint8_t, 4096> pool_{};
  std::size_t used_ = 4096;
};

}  // namespace shelter::proxy::upstream
