// Feeds arbitrary bytes to the chunked decoder, whole and in pieces whose sizes are taken from the
// input's first bytes, and aborts when an invariant fails:
//  - every step consumes no more than it was given, its data is a view inside what it consumed,
//    and its state is the decoder's;
//  - body_bytes() is the sum of the data returned;
//  - after done or bad, feed() consumes nothing;
//  - whole, in pieces, and one byte at a time: the same body, state, error and bytes consumed
//    (done leaves what follows the body unconsumed at the same offset).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/http/chunked.h"

namespace http = shelter::proxy::http;
using State = http::ChunkedDecoder::State;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  std::string body;
  State state = State::more;
  std::size_t consumed = 0;
  std::string error;
};

// Decodes `input` in pieces of sizes taken in turn from `sizes` (0 read as 1; cycled).
Outcome decode(std::string_view input, std::string_view sizes) {
  http::ChunkedDecoder decoder;
  Outcome out;
  std::size_t turn = 0;
  while (out.consumed < input.size() && decoder.state() == State::more) {
    std::size_t n = input.size() - out.consumed;
    if (!sizes.empty()) {
      n = std::min<std::size_t>(
          n, std::max<std::size_t>(1, static_cast<unsigned char>(sizes[turn++ % sizes.size()])));
    }
    std::string_view piece = input.substr(out.consumed, n);
    while (!piece.empty() && decoder.state() == State::more) {
      const http::ChunkedDecoder::Step step = decoder.feed(piece);
      require(step.consumed <= piece.size());
      require(step.state == decoder.state());
      require(step.data.empty() ||
              (step.data.data() >= piece.data() &&
               step.data.data() + step.data.size() <= piece.data() + step.consumed));
      out.body.append(step.data);
      out.consumed += step.consumed;
      piece.remove_prefix(step.consumed);
      require(decoder.body_bytes() == out.body.size());
      if (step.consumed == 0) {
        require(step.state != State::more);  // progress, or the end
        break;
      }
    }
  }
  if (decoder.state() != State::more) {
    const http::ChunkedDecoder::Step after = decoder.feed(input.substr(out.consumed));
    require(after.consumed == 0 && after.data.empty() && after.state == decoder.state());
  }
  require(decoder.body_bytes() == out.body.size());
  out.state = decoder.state();
  out.error = decoder.error();
  require((out.state == State::bad) == !out.error.empty());
  return out;
}

bool same(const Outcome& a, const Outcome& b) {
  return a.body == b.body && a.state == b.state && a.consumed == b.consumed && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  // The first byte says how many of the next bytes are piece sizes; the rest is the body.
  const std::size_t header =
      all.empty() ? 0
                  : std::min<std::size_t>(all.size() - 1, static_cast<unsigned char>(all[0]) % 8);
  const std::string_view sizes = all.substr(all.empty() ? 0 : 1, header);
  const std::string_view input = all.substr(all.empty() ? 0 : 1 + header);

  const Outcome whole = decode(input, {});
  require(whole.consumed <= input.size());
  if (whole.state == State::more) require(whole.consumed == input.size());
  if (whole.state == State::done) require(whole.consumed >= 5);  // "0\r\n\r\n" at least
  require(same(decode(input, sizes), whole));
  require(same(decode(input, std::string_view("\1", 1)), whole));
  // The whole input fed in one piece again, but as the relay would after done: the rest stays.
  if (whole.state == State::done) {
    require(same(decode(input.substr(0, whole.consumed), {}), whole));
  }
  return 0;
}
