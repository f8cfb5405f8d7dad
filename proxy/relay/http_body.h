#pragma once
// One HTTP body from one side of the relay to the other, streamed: read as its framing says
// (a length, chunks, or until the sender closes) and written as the receiver's framing needs
// (as it is, or re-chunked). Bodies passed on unchanged and long enough move with splice(2).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "proxy/http/response_head.h"
#include "proxy/relay/deadline.h"
#include "proxy/relay/splice.h"

namespace shelter::proxy::relay {

/// The bytes a flat buffer holds, as text.
std::string_view as_view(const boost::beast::flat_buffer& buffer);

/// The framing of a body as the relay reads it.
struct InFraming {
  http::BodyFraming kind = http::BodyFraming::none;
  std::uint64_t length = 0;  ///< kind == length
};

/// Where a body comes from: its socket, and the bytes of it already read.
struct Side {
  boost::asio::ip::tcp::socket& socket;
  boost::beast::flat_buffer& buffer;
};

/// Copies one body from `from` to `to`: re-chunked when `chunk_out`, else as it comes (length
/// or until close; spliced through `pipe`, made on first use, when long). Every read and
/// write pushes `deadline` to `idle` from now. False when either side failed or the body was
/// malformed: neither connection can be trusted to be at a message boundary.
boost::asio::awaitable<bool> relay_body(Side from, boost::asio::ip::tcp::socket& to, InFraming in,
                                        bool chunk_out, Deadline& deadline,
                                        std::chrono::milliseconds idle,
                                        std::atomic<std::uint64_t>& bytes,
                                        std::optional<SplicePipe>& pipe);

}  // namespace shelter::proxy::relay
