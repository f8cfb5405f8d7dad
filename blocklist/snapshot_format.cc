#include "blocklist/snapshot_format.h"

#include "blocklist/suffix_hash.h"

namespace shelter::blocklist::format {

std::uint64_t checksum(const std::uint8_t* data, std::size_t size, std::uint64_t seed) {
  using suffix_hash_detail::kSecret0;
  using suffix_hash_detail::kSecret1;
  using suffix_hash_detail::mix;
  std::array<std::uint64_t, 4> lane = {kSecret0 ^ seed, kSecret1, kSecret0 ^ 1, kSecret1 ^ 1};
  std::size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    for (std::size_t k = 0; k < 4; ++k)
      lane[k] = mix(lane[k] ^ load64(data + i + 8 * k), kSecret1 + k);
  }
  std::array<std::uint8_t, 32> tail{};
  std::memcpy(tail.data(), data + i, size - i);
  for (std::size_t k = 0; k < 4; ++k)
    lane[k] = mix(lane[k] ^ load64(tail.data() + 8 * k), kSecret0 + k);
  return mix(mix(lane[0], lane[1]) ^ size, mix(lane[2], lane[3]));
}

std::uint64_t image_checksum(const std::uint8_t* image, std::size_t size) {
  std::array<std::uint8_t, kHeaderBytes> header;
  std::memcpy(header.data(), image, kHeaderBytes);
  std::memset(header.data() + kChecksumAt, 0, 8);
  std::uint64_t body = checksum(image + kHeaderBytes, size - kHeaderBytes);
  return checksum(header.data(), header.size(), body);
}

std::uint64_t host_hash(std::string_view host, std::uint64_t seed) {
  return SuffixHashes(host, seed).whole();
}

}  // namespace shelter::blocklist::format
