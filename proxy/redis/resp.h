#pragma once
// RESP2, the Redis wire protocol: commands out (encode_command) and replies in (ReplyReader).
// Replies are untrusted bytes from the network. ReplyReader parses them with hiredis's reader
// (the codec only: no hiredis type appears here) and caps what a hostile server can make us
// buffer or allocate. Pure code over bytes: no sockets, no clocks.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::proxy::redis {

enum class ReplyType { string, status, error, integer, nil, array };

/// One reply, as a value. Redis's error replies ("-ERR ...") are replies of type `error`.
struct Reply {
  ReplyType type = ReplyType::nil;
  std::string text;             ///< string, status and error replies
  std::int64_t integer = 0;     ///< integer replies
  std::vector<Reply> elements;  ///< array replies

  bool is_error() const { return type == ReplyType::error; }
  /// True for a string or status reply whose text is `s` ("OK", "master", ...).
  bool is_text(std::string_view s) const {
    return (type == ReplyType::string || type == ReplyType::status) && text == s;
  }
  bool operator==(const Reply&) const = default;
};

/// Limits on what one reply may make us hold. hiredis 0.14 caps nesting (7 levels) but not sizes.
inline constexpr std::size_t kMaxBulkBytes = std::size_t{64} << 20;  ///< one bulk string
inline constexpr std::size_t kMaxLineBytes = std::size_t{64} << 10;  ///< status, error, headers
inline constexpr std::size_t kMaxArrayElements = std::size_t{1} << 20;
/// All strings of one reply plus a per-element overhead (counted as 2 * sizeof(Reply)).
inline constexpr std::size_t kMaxReplyBytes = std::size_t{256} << 20;

/// The RESP encoding of one command: an array of bulk strings.
std::string encode_command(std::span<const std::string_view> args);
std::string encode_command(std::span<const std::string> args);
/// The RESP encoding of a reply (for test servers and round-trip checks).
std::string encode_reply(const Reply& reply);

/// Incremental parser of a stream of replies. Feed bytes as they arrive, then take replies with
/// next() until it returns nothing: either more bytes are needed, or the stream is broken
/// (failed(); error() says why, and the connection must be dropped: there is no resync).
/// Not thread-safe; movable (a moved-from reader may only be destroyed or assigned to).
class ReplyReader {
 public:
  ReplyReader();
  ~ReplyReader();
  ReplyReader(ReplyReader&&) noexcept;
  ReplyReader& operator=(ReplyReader&&) noexcept;

  void feed(std::string_view bytes);
  std::optional<Reply> next();
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  struct Impl;
  void fail(std::string why);

  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace shelter::proxy::redis
