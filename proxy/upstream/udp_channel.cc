#include "proxy/upstream/udp_channel.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "proxy/net/asio_endpoint.h"
#include "proxy/net/socket_buffers.h"

namespace shelter::proxy::upstream {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// We advertise at most 4096 bytes; one byte more shows an upstream that ignores that (its
// answer is cut off by the kernel, fails to parse, and is ignored).
constexpr std::size_t kReceiveSize = 4097;

}  // namespace

bool answers_query(std::span<const std::uint8_t> message, std::uint16_t id, const dns::Query& query,
                   dns::Response& parsed) {
  if (message.size() < dns::kHeaderSize || dns::read_u16(&message[dns::kOffId]) != id) return false;
  if (dns::parse_response(message, parsed) != dns::ParseStatus::ok) return false;
  return parsed.qtype == query.qtype && parsed.qclass == query.qclass &&
         std::ranges::equal(parsed.wire_name(), query.wire_name());
}

// A query waiting for its answer. It lives in the waiting coroutine's frame; the socket's
// reader finds it by ID, fills it in and wakes it by cancelling its timer.
// `wake` is never armed (it waits for time_point::max()): a timer is the cheapest thing a
// coroutine can wait on that another party can end (cancel). Deadlines are enforced by the
// channel's sweep, so a query costs no timerfd_settime of its own.
struct UdpChannel::Waiter {
  const dns::Query& query;
  UpstreamAnswer& answer;
  std::chrono::steady_clock::time_point deadline;
  asio::steady_timer wake;
  Attempt result = Attempt::timed_out;
  Socket* socket = nullptr;
  std::uint16_t id = 0;
};

struct UdpChannel::Socket {
  explicit Socket(const asio::any_io_executor& executor) : socket(executor) {}
  asio::ip::udp::socket socket;
  std::unordered_map<std::uint16_t, Waiter*> waiting;
  std::uint32_t queries = 0;
  bool retired = false;  // takes no more queries; closes when `waiting` empties

  void forget(Waiter& waiter) {
    auto found = waiting.find(waiter.id);
    if (found != waiting.end() && found->second == &waiter) waiting.erase(found);
  }
  void close_if_done() {
    if (!retired || !waiting.empty()) return;
    boost::system::error_code ignored;
    socket.close(ignored);  // ends its reader
  }
};

UdpChannel::UdpChannel(asio::any_io_executor executor, net::Endpoint server,
                       metrics::WorkerMetrics& metrics, RandomPool& random)
    : executor_(std::move(executor)),
      server_(server),
      metrics_(metrics),
      random_(random),
      sweep_timer_(executor_) {}

UdpChannel::~UdpChannel() {
  boost::system::error_code ignored;
  for (auto& s : open_)
    s->socket.close(ignored);
}

std::shared_ptr<UdpChannel::Socket> UdpChannel::socket_for_next_query(
    std::uint32_t queries_per_socket) {
  std::shared_ptr<Socket> chosen;
  bool share = queries_per_socket > 1 && open_.size() >= kSockets;
  if (share) {
    next_ = (next_ + 1) % open_.size();
    chosen = open_[next_];
  } else {
    chosen = std::make_shared<Socket>(executor_);
    auto peer = net::to_asio_endpoint<asio::ip::udp>(server_);
    boost::system::error_code ec;
    chosen->socket.open(peer.protocol(), ec);
    // connect() makes the kernel pick a random ephemeral port and drop datagrams from anyone
    // but the upstream.
    if (!ec) chosen->socket.connect(peer, ec);
    if (ec) return nullptr;  // the caller fails the attempt
    // A shared socket may have many answers queued at once; a single-use one holds one.
    if (queries_per_socket > 1) net::enlarge_receive_buffer(chosen->socket.native_handle());
    asio::co_spawn(executor_, read_answers(chosen, queries_per_socket, metrics_), asio::detached);
    open_.push_back(chosen);
  }
  if (++chosen->queries >= queries_per_socket) {
    chosen->retired = true;
    std::erase(open_, chosen);
  }
  return chosen;
}

void UdpChannel::deliver(Socket& socket, std::span<const std::uint8_t> message,
                         metrics::WorkerMetrics& metrics) {
  if (message.size() < dns::kHeaderSize) return;
  auto found = socket.waiting.find(dns::read_u16(&message[dns::kOffId]));
  if (found == socket.waiting.end()) {
    metrics.upstream_spoof_rejected.add();
    return;
  }
  Waiter& waiter = *found->second;
  if (!answers_query(message, found->first, waiter.query, waiter.answer.parsed)) {
    metrics.upstream_spoof_rejected.add();
    return;
  }
  waiter.answer.message.assign(message.begin(), message.end());
  waiter.result = waiter.answer.parsed.truncated() ? Attempt::truncated : Attempt::answered;
  socket.waiting.erase(found);
  waiter.wake.cancel();
}

asio::awaitable<void> UdpChannel::read_answers(std::shared_ptr<Socket> socket,
                                               std::uint32_t queries_per_socket,
                                               metrics::WorkerMetrics& metrics) {
  // Under load many answers queue up on a shared socket: read them in batches, one system call
  // each. A single-use socket gets one answer, and one buffer (not 64 KiB to clear per query).
  constexpr std::size_t kMaxBatch = 16;
  const std::size_t batch = std::min<std::size_t>(kMaxBatch, queries_per_socket);
  std::vector<std::uint8_t> buffers(batch * kReceiveSize);
  std::array<iovec, kMaxBatch> iov{};
  std::array<mmsghdr, kMaxBatch> messages{};
  for (std::size_t i = 0; i < batch; ++i) {
    iov[i] = {buffers.data() + i * kReceiveSize, kReceiveSize};
    messages[i].msg_hdr.msg_iov = &iov[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  while (socket->socket.is_open()) {
    auto [error] = co_await socket->socket.async_wait(asio::socket_base::wait_read, kUseTuple);
    if (!socket->socket.is_open() || error) break;
    int received = ::recvmmsg(socket->socket.native_handle(), messages.data(),
                              static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
    if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      // An ICMP error (upstream port closed) cannot be tied to one query: every query waiting
      // on this socket has failed.
      for (auto& [id, waiter] : socket->waiting) {
        waiter->result = Attempt::failed;
        waiter->wake.cancel();
      }
      continue;
    }
    for (int i = 0; i < received; ++i) {
      std::size_t at = static_cast<std::size_t>(i);
      if ((messages[at].msg_hdr.msg_flags & MSG_TRUNC) != 0) continue;
      deliver(*socket, {buffers.data() + at * kReceiveSize, messages[at].msg_len}, metrics);
    }
    // A retired socket with nobody waiting is about to close: waiting again would only re-arm
    // it in epoll (one system call per single-use socket, about 1 us on a virtual machine).
    if (socket->retired && socket->waiting.empty()) break;
  }
}

asio::awaitable<void> UdpChannel::sweep_deadlines() {
  // Runs while queries wait: every kSweepInterval, wakes those past their deadline (their
  // result stays timed_out). A deadline is thus kept to within kSweepInterval.
  sweeping_ = true;
  std::vector<Waiter*> expired;
  while (!waiters_.empty()) {
    sweep_timer_.expires_after(kSweepInterval);
    co_await sweep_timer_.async_wait(kUseTuple);
    auto now = std::chrono::steady_clock::now();
    expired.clear();
    for (Waiter* w : waiters_) {
      if (w->deadline <= now) expired.push_back(w);
    }
    for (Waiter* w : expired) {
      w->socket->forget(*w);  // a late answer is then ignored
      w->wake.cancel();
    }
  }
  sweeping_ = false;
}

asio::awaitable<Attempt> UdpChannel::exchange(std::vector<std::uint8_t>& request,
                                              const dns::Query& query,
                                              std::chrono::steady_clock::time_point deadline,
                                              std::uint32_t queries_per_socket,
                                              UpstreamAnswer& answer) {
  std::shared_ptr<Socket> socket = socket_for_next_query(queries_per_socket);
  if (!socket) co_return Attempt::failed;
  std::uint16_t id = random_.next_u16();
  while (socket->waiting.contains(id))
    id = random_.next_u16();
  dns::write_u16(&request[dns::kOffId], id);

  Waiter waiter{.query = query,
                .answer = answer,
                .deadline = deadline,
                .wake = asio::steady_timer(executor_, std::chrono::steady_clock::time_point::max()),
                .socket = socket.get(),
                .id = id};
  boost::system::error_code ec;
  socket->socket.send(asio::buffer(request), 0, ec);
  if (ec) {
    socket->close_if_done();
    co_return Attempt::failed;
  }
  socket->waiting.emplace(id, &waiter);
  waiters_.insert(&waiter);
  if (!sweeping_) asio::co_spawn(executor_, sweep_deadlines(), asio::detached);
  co_await waiter.wake.async_wait(kUseTuple);
  // Woken by the reader (answered), the sweep (deadline) or an ICMP error (failed).
  waiters_.erase(&waiter);
  socket->forget(waiter);
  socket->close_if_done();
  co_return waiter.result;
}

}  // namespace shelter::proxy::upstream
