// Feeds arbitrary bytes, as a Redis server's replies, to ReplyReader in chunks whose sizes come
// from the input's first byte. Besides crashes and leaks, it checks that the chunking changes
// nothing (the same replies, the same failure as one whole feed) and that every reply survives
// encode_reply and a second parse unchanged; it aborts when one does not hold. (Inputs stay far
// below the 64 KiB line limit, where a header line split over reads may be refused that whole
// would pass.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/redis/resp.h"

using shelter::proxy::redis::encode_reply;
using shelter::proxy::redis::Reply;
using shelter::proxy::redis::ReplyReader;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// Parses `bytes` fed `chunk(i)` bytes at a time, taking replies after every feed.
template <typename Chunk>
std::vector<Reply> parse(std::string_view bytes, Chunk chunk, bool& failed) {
  ReplyReader reader;
  std::vector<Reply> out;
  for (std::size_t pos = 0, i = 0; pos < bytes.size() && !reader.failed(); ++i) {
    std::size_t n = chunk(i);
    reader.feed(bytes.substr(pos, n));
    pos += n;
    while (auto r = reader.next())
      out.push_back(std::move(*r));
  }
  failed = reader.failed();
  if (failed) require(!reader.error().empty() && !reader.next());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint32_t state = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  bool chunked_failed = false;
  std::vector<Reply> chunked = parse(
      bytes,
      [&](std::size_t) {
        state = state * 1103515245u + 12345u;
        return std::size_t{1} + (state >> 16) % 64;
      },
      chunked_failed);
  bool whole_failed = false;
  std::vector<Reply> whole = parse(
      bytes, [&](std::size_t) { return bytes.size(); }, whole_failed);
  require(chunked_failed == whole_failed);
  require(chunked == whole);

  std::string again;
  for (const Reply& r : chunked)
    again += encode_reply(r);
  bool again_failed = false;
  std::vector<Reply> reparsed = parse(
      again, [&](std::size_t) { return again.size(); }, again_failed);
  require(!again_failed);
  require(reparsed == chunked);
  return 0;
}
