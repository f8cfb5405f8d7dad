#include "proxy/relay/http_body.h"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <limits>
#include <string>
#include <system_error>

#include "proxy/http/chunked.h"

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;

// Bodies at least this long that the proxy passes on unchanged go through splice(2); shorter
// ones cost fewer system calls through the buffer.
constexpr std::uint64_t kSpliceFrom = 64 * 1024;

// A pipe for splicing long bodies, made on first use; false when none can be made (out of
// descriptors): the body is then copied.
bool ensure_pipe(std::optional<SplicePipe>& pipe) {
  if (!pipe) {
    try {
      pipe.emplace();
    } catch (const std::system_error&) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view as_view(const beast::flat_buffer& buffer) {
  const auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

asio::awaitable<bool> relay_body(Side from, tcp::socket& to, InFraming in, bool chunk_out,
                                 Deadline& deadline, std::chrono::milliseconds idle,
                                 std::atomic<std::uint64_t>& bytes,
                                 std::optional<SplicePipe>& pipe) {
  std::uint64_t remaining = in.length;
  http::ChunkedDecoder decoder;
  std::string framing;
  const bool unchanged = !chunk_out && in.kind != http::BodyFraming::chunked;
  for (;;) {
    if (in.kind == http::BodyFraming::length && remaining == 0) break;
    if (from.buffer.size() == 0) {
      if (unchanged && (in.kind == http::BodyFraming::until_close || remaining >= kSpliceFrom) &&
          ensure_pipe(pipe)) {
        deadline.set(idle);
        const Spliced moved = co_await splice_bytes(
            from.socket, to, *pipe, [&deadline, idle] { deadline.set(idle); },
            in.kind == http::BodyFraming::length ? remaining
                                                 : std::numeric_limits<std::uint64_t>::max());
        bytes.fetch_add(moved.bytes, std::memory_order_relaxed);
        if (moved.error) co_return false;
        if (in.kind == http::BodyFraming::until_close) co_return moved.end_of_stream;
        if (moved.bytes != remaining) co_return false;  // the sender closed early
        co_return true;
      }
      deadline.set(idle);
      auto [ec, n] =
          co_await from.socket.async_read_some(from.buffer.prepare(kReadChunk), kUseTuple);
      if (ec == asio::error::eof && in.kind == http::BodyFraming::until_close) break;
      if (ec) co_return false;
      from.buffer.commit(n);
    }
    std::string_view data = as_view(from.buffer);
    std::size_t consumed = data.size();
    if (in.kind == http::BodyFraming::length) {
      consumed = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, data.size()));
      data = data.substr(0, consumed);
      remaining -= consumed;
    } else if (in.kind == http::BodyFraming::chunked) {
      const http::ChunkedDecoder::Step step = decoder.feed(data);
      if (step.state == http::ChunkedDecoder::State::bad) co_return false;
      consumed = step.consumed;
      data = step.data;
    }
    deadline.set(idle);
    if (!data.empty()) {
      if (chunk_out) {
        framing = http::chunk_header(data.size());
        std::array<asio::const_buffer, 3> parts{asio::buffer(framing), asio::buffer(data),
                                                asio::buffer("\r\n", 2)};
        auto [ec, n] = co_await asio::async_write(to, parts, kUseTuple);
        if (ec) co_return false;
      } else {
        auto [ec, n] = co_await asio::async_write(to, asio::buffer(data), kUseTuple);
        if (ec) co_return false;
      }
      bytes.fetch_add(data.size(), std::memory_order_relaxed);
    }
    from.buffer.consume(consumed);
    if (in.kind == http::BodyFraming::chunked &&
        decoder.state() == http::ChunkedDecoder::State::done)
      break;
  }
  if (chunk_out) {
    deadline.set(idle);
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(http::kLastChunk), kUseTuple);
    if (ec) co_return false;
  }
  co_return true;
}

}  // namespace shelter::proxy::relay
