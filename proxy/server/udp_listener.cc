#include "proxy/server/udp_listener.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <memory>
#include <vector>

#include "proxy/log.h"
#include "proxy/net/asio_endpoint.h"

namespace shelter::proxy::server {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kBatch = 32;
constexpr std::size_t kMaxQuerySize = 4096;  // larger datagrams are not DNS queries worth reading
// Batches read per wake-up before yielding to other work on this thread (TCP, forwards).
constexpr int kBatchesPerWake = 8;

net::Address client_address(const sockaddr_storage& from) {
  net::Address a;
  if (from.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(from);
    a.v6 = true;
    std::memcpy(a.bytes.data(), &sin6.sin6_addr, 16);
    // An IPv4 client on a dual-stack socket is judged by its IPv4 address.
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
      a.v6 = false;
      std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
      std::memset(a.bytes.data() + 4, 0, 12);
    }
  } else {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(from);
    std::memcpy(a.bytes.data(), &sin.sin_addr, 4);
  }
  return a;
}

// Everything one received datagram needs, reused across batches.
struct Slot {
  std::array<std::uint8_t, kMaxQuerySize> packet{};
  sockaddr_storage from{};
  iovec in_iov{};
  iovec out_iov{};
  std::vector<std::uint8_t> answer;
  dns::Query query;
};

// Answers to forwarded queries leave in batches too. Upstream answers arrive in batches (the
// forwarder reads them with recvmmsg) and wake their queries one after another on this thread;
// each answer is queued here, and the first one queued posts a flush, which runs after the
// other completions already ready: one sendmmsg for all of them.
class ReplyQueue : public std::enable_shared_from_this<ReplyQueue> {
 public:
  ReplyQueue(asio::io_context& io, int fd) : io_(io), fd_(fd) {}

  void push(std::vector<std::uint8_t> answer, const sockaddr_storage& to, socklen_t to_length) {
    replies_.push_back(Reply{std::move(answer), to, to_length});
    if (replies_.size() == 1) asio::post(io_, [self = shared_from_this()] { self->flush(); });
  }

 private:
  struct Reply {
    std::vector<std::uint8_t> bytes;
    sockaddr_storage to;
    socklen_t to_length;
  };

  void flush() {
    std::vector<mmsghdr> messages(replies_.size());
    std::vector<iovec> iov(replies_.size());
    for (std::size_t i = 0; i < replies_.size(); ++i) {
      iov[i] = {replies_[i].bytes.data(), replies_[i].bytes.size()};
      messages[i].msg_hdr = msghdr{};
      messages[i].msg_hdr.msg_name = &replies_[i].to;
      messages[i].msg_hdr.msg_namelen = replies_[i].to_length;
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    for (std::size_t sent = 0; sent < messages.size();) {
      int n = ::sendmmsg(fd_, messages.data() + sent, static_cast<unsigned>(messages.size() - sent),
                         MSG_DONTWAIT);
      // A full socket buffer drops the rest, as it would drop any datagram; clients retry.
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    replies_.clear();
  }

  asio::io_context& io_;
  int fd_;
  std::vector<Reply> replies_;
};

asio::awaitable<void> forward_and_reply(WorkerCore& core, std::shared_ptr<ReplyQueue> replies,
                                        std::vector<std::uint8_t> packet, sockaddr_storage from,
                                        socklen_t from_length, dns::Query query, ForwardPlan plan) {
  std::vector<std::uint8_t> answer = co_await core.forward(std::move(packet), query, false, plan);
  replies->push(std::move(answer), from, from_length);
}

asio::awaitable<void> fetch_and_reply(WorkerCore& core, std::shared_ptr<ReplyQueue> replies,
                                      std::vector<std::uint8_t> packet, sockaddr_storage from,
                                      socklen_t from_length, dns::Query query,
                                      policy::Identity identity) {
  std::optional<std::vector<std::uint8_t>> answer = co_await core.answer_after_fetch(
      std::move(packet), client_address(from), false, query, std::move(identity));
  if (answer) replies->push(std::move(*answer), from, from_length);
}

}  // namespace

asio::awaitable<void> serve_udp(WorkerCore& core, asio::ip::udp::socket& socket) {
  std::vector<Slot> slots(kBatch);
  auto forwarded_replies = std::make_shared<ReplyQueue>(core.io, socket.native_handle());
  std::array<mmsghdr, kBatch> in{};
  std::array<mmsghdr, kBatch> out{};
  for (;;) {
    auto [wait_error] = co_await socket.async_wait(asio::socket_base::wait_read,
                                                   asio::as_tuple(asio::use_awaitable));
    if (wait_error || !socket.is_open()) co_return;
    for (int round = 0; round < kBatchesPerWake; ++round) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        Slot& s = slots[i];
        s.in_iov = {s.packet.data(), s.packet.size()};
        in[i].msg_hdr = msghdr{};
        in[i].msg_hdr.msg_name = &s.from;
        in[i].msg_hdr.msg_namelen = sizeof s.from;
        in[i].msg_hdr.msg_iov = &s.in_iov;
        in[i].msg_hdr.msg_iovlen = 1;
      }
      int received = ::recvmmsg(socket.native_handle(), in.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (received <= 0) break;

      std::shared_ptr<const Runtime> runtime = core.view.get();
      QueryContext context = core.context(*runtime);
      unsigned replies = 0;
      for (int i = 0; i < received; ++i) {
        Slot& s = slots[static_cast<std::size_t>(i)];
        const msghdr& header = in[static_cast<std::size_t>(i)].msg_hdr;
        if ((header.msg_flags & MSG_TRUNC) != 0) continue;
        const Request request{.packet = {s.packet.data(), in[static_cast<std::size_t>(i)].msg_len},
                              .client = client_address(s.from),
                              .over_tcp = false};
        LocalAnswer local = answer_locally(request, s.query, s.answer, context);
        if (local.step == Step::reply) {
          s.out_iov = {s.answer.data(), s.answer.size()};
          out[replies].msg_hdr = msghdr{};
          out[replies].msg_hdr.msg_name = &s.from;
          out[replies].msg_hdr.msg_namelen = header.msg_namelen;
          out[replies].msg_hdr.msg_iov = &s.out_iov;
          out[replies].msg_hdr.msg_iovlen = 1;
          ++replies;
        } else if (local.step == Step::forward) {
          asio::co_spawn(core.io,
                         forward_and_reply(core, forwarded_replies,
                                           {request.packet.begin(), request.packet.end()}, s.from,
                                           header.msg_namelen, s.query, std::move(local.plan)),
                         log_exception("udp forward"));
        } else if (local.step == Step::fetch) {
          asio::co_spawn(core.io,
                         fetch_and_reply(core, forwarded_replies,
                                         {request.packet.begin(), request.packet.end()}, s.from,
                                         header.msg_namelen, s.query, std::move(local.identity)),
                         log_exception("udp household fetch"));
        }
      }
      for (unsigned sent = 0; sent < replies;) {
        int n = ::sendmmsg(socket.native_handle(), out.data() + sent, replies - sent, MSG_DONTWAIT);
        if (n <= 0) break;  // full send buffer: those answers are lost, as datagrams may be
        sent += static_cast<unsigned>(n);
      }
      if (static_cast<std::size_t>(received) < kBatch) break;
    }
  }
}

}  // namespace shelter::proxy::server
