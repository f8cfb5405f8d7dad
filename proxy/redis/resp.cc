#include "proxy/redis/resp.h"

#include <hiredis/read.h>

#include <algorithm>
#include <charconv>
#include <new>
#include <utility>

namespace shelter::proxy::redis {
namespace {

// What an element costs against kMaxReplyBytes besides its text: the node itself plus the slack
// of the vector holding it (push_back at most doubles the capacity).
constexpr std::size_t kNodeCost = 2 * sizeof(Reply);

template <typename String>
std::string encode_args(std::span<const String> args) {
  std::size_t size = 16;
  for (const auto& a : args)
    size += a.size() + 16;
  std::string out;
  out.reserve(size);
  out.append("*").append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) {
    out.append("$").append(std::to_string(a.size())).append("\r\n");
    out.append(a.data(), a.size()).append("\r\n");
  }
  return out;
}

// hiredis parses a bulk string only once all of it is buffered: refuse an oversized one as soon
// as its header is here (the reader's current task is then a bulk string and the unparsed bytes
// start with its length), rather than after buffering 64 MiB.
bool oversized_bulk(const redisReader& r, std::string_view pending) {
  if (r.ridx < 0 || r.rstack[r.ridx].type != REDIS_REPLY_STRING) return false;
  std::size_t end = pending.substr(0, 32).find("\r\n");
  if (end == std::string_view::npos) return false;
  std::string_view digits = pending.substr(0, end);
  if (digits.starts_with('+')) digits.remove_prefix(1);
  std::uint64_t length = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (ec == std::errc::result_out_of_range) return true;
  // Anything else that is not a plain number, hiredis reads as nil.
  return ec == std::errc{} && ptr == digits.data() + digits.size() && length > kMaxBulkBytes;
}

void append_reply(const Reply& reply, std::string& out) {
  switch (reply.type) {
    case ReplyType::string:
      out.append("$").append(std::to_string(reply.text.size())).append("\r\n");
      out.append(reply.text).append("\r\n");
      return;
    case ReplyType::status:
      out.append("+").append(reply.text).append("\r\n");
      return;
    case ReplyType::error:
      out.append("-").append(reply.text).append("\r\n");
      return;
    case ReplyType::integer:
      out.append(":").append(std::to_string(reply.integer)).append("\r\n");
      return;
    case ReplyType::nil:
      out.append("$-1\r\n");
      return;
    case ReplyType::array:
      out.append("*").append(std::to_string(reply.elements.size())).append("\r\n");
      for (const Reply& e : reply.elements)
        append_reply(e, out);
      return;
  }
}

}  // namespace

std::string encode_command(std::span<const std::string_view> args) {
  return encode_args(args);
}

std::string encode_command(std::span<const std::string> args) {
  return encode_args(args);
}

std::string encode_reply(const Reply& reply) {
  std::string out;
  append_reply(reply, out);
  return out;
}

// hiredis builds each reply through these callbacks: the root is allocated here and handed back
// by redisReaderGetReply; children are appended to their parent's `elements` in order. A
// callback refuses (returns nullptr, which hiredis reports as out-of-memory) whatever is over a
// limit, and `refusal` keeps the real reason.
struct ReplyReader::Impl {
  redisReader* reader = nullptr;
  std::size_t charged = 0;  // budget used by the reply being built
  std::string refusal;

  ~Impl() {
    if (reader != nullptr) redisReaderFree(reader);
  }

  void* refuse(std::string why) {
    if (refusal.empty()) refusal = std::move(why);
    return nullptr;
  }

  void* attach(const redisReadTask* task, Reply&& value, std::size_t cost) {
    if (cost > kMaxReplyBytes - charged) return refuse("reply larger than 256 MiB");
    charged += cost;
    try {
      if (task->parent == nullptr) return new Reply(std::move(value));
      auto* parent = static_cast<Reply*>(task->parent->obj);
      if (task->idx < 0 || static_cast<std::size_t>(task->idx) != parent->elements.size())
        return refuse("reply elements out of order");
      parent->elements.push_back(std::move(value));
      return &parent->elements.back();
    } catch (const std::bad_alloc&) {
      return refuse("out of memory");
    }
  }

  static Impl& of(const redisReadTask* task) { return *static_cast<Impl*>(task->privdata); }

  static void* create_string(const redisReadTask* task, char* data, std::size_t len) {
    // hiredis 0.14 trusts the declared bulk length; refusing it here also means a length that
    // does not fit in memory is never read.
    if (len > kMaxBulkBytes) return of(task).refuse("bulk string larger than 64 MiB");
    Reply r;
    r.type = task->type == REDIS_REPLY_STATUS  ? ReplyType::status
             : task->type == REDIS_REPLY_ERROR ? ReplyType::error
                                               : ReplyType::string;
    // The same limit whether the line came whole or in pieces (see next()).
    if (r.type != ReplyType::string && len > kMaxLineBytes)
      return of(task).refuse("reply line longer than 64 KiB");
    Impl& impl = of(task);
    // Checked before the copy as well as in attach: the copy is what the limit is about.
    if (len + kNodeCost > kMaxReplyBytes - impl.charged)
      return impl.refuse("reply larger than 256 MiB");
    r.text.assign(data, len);
    return impl.attach(task, std::move(r), len + kNodeCost);
  }

  static void* create_array(const redisReadTask* task, int elements) {
    if (elements < 0 || static_cast<std::size_t>(elements) > kMaxArrayElements)
      return of(task).refuse("array of " + std::to_string(elements) + " elements refused");
    Reply r;
    r.type = ReplyType::array;
    // No reserve for the announced count: a few bytes on the wire must not buy megabytes here.
    r.elements.reserve(std::min(elements, 16));
    return of(task).attach(task, std::move(r), kNodeCost);
  }

  static void* create_integer(const redisReadTask* task, long long value) {
    Reply r;
    r.type = ReplyType::integer;
    r.integer = value;
    return of(task).attach(task, std::move(r), kNodeCost);
  }

  static void* create_nil(const redisReadTask* task) {
    return of(task).attach(task, Reply{}, kNodeCost);
  }

  static void free_object(void* obj) { delete static_cast<Reply*>(obj); }

  static redisReplyObjectFunctions functions;
};

redisReplyObjectFunctions ReplyReader::Impl::functions = {
    &create_string, &create_array, &create_integer, &create_nil, &free_object};

ReplyReader::ReplyReader() : impl_(std::make_unique<Impl>()) {
  impl_->reader = redisReaderCreateWithFunctions(&Impl::functions);
  if (impl_->reader == nullptr) {
    error_ = "out of memory";
    return;
  }
  impl_->reader->privdata = impl_.get();
}

ReplyReader::~ReplyReader() = default;
ReplyReader::ReplyReader(ReplyReader&&) noexcept = default;
ReplyReader& ReplyReader::operator=(ReplyReader&&) noexcept = default;

void ReplyReader::fail(std::string why) {
  error_ = why.empty() ? "protocol error" : std::move(why);
  // Nothing more will be parsed: give the buffered bytes back now.
  redisReaderFree(impl_->reader);
  impl_->reader = nullptr;
}

void ReplyReader::feed(std::string_view bytes) {
  if (failed() || bytes.empty()) return;
  if (redisReaderFeed(impl_->reader, bytes.data(), bytes.size()) != REDIS_OK) fail("out of memory");
}

std::optional<Reply> ReplyReader::next() {
  if (failed()) return std::nullopt;
  redisReader* r = impl_->reader;
  void* obj = nullptr;
  if (redisReaderGetReply(r, &obj) != REDIS_OK) {
    fail(impl_->refusal.empty() ? std::string(r->errstr) : impl_->refusal);
    return std::nullopt;
  }
  if (obj != nullptr) {
    std::unique_ptr<Reply> reply(static_cast<Reply*>(obj));
    impl_->charged = 0;
    return std::move(*reply);
  }
  // Need more. hiredis waits for a whole bulk string, or a whole line, before parsing it: what it
  // holds unparsed now is one incomplete item, which must not grow past our limits.
  std::string_view pending(r->buf + r->pos, r->len - r->pos);
  if (oversized_bulk(*r, pending)) {
    fail("bulk string larger than 64 MiB");
  } else if (pending.size() > kMaxBulkBytes + kMaxLineBytes) {
    fail("reply item larger than 64 MiB");
  } else if (pending.size() > kMaxLineBytes &&
             pending.substr(0, kMaxLineBytes).find("\r\n") == std::string_view::npos) {
    fail("reply line longer than 64 KiB");
  }
  return std::nullopt;
}

}  // namespace shelter::proxy::redis
