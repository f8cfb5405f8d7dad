// Macro-benchmark: CPU per forwarded query of Shelter's Asio forwarder against c-ares 1.18, all
// talking to the same in-process UDP upstream on 127.0.0.1 (a thread that answers every query
// at once). Run by hand, not by ctest; the numbers and the conclusion are in docs/BENCHMARKS.md.
//
//   forwarder_bench [names=200000] [runs=3] [variants=ASBC] [window, default both 100 and 1]
//
//   A  shelter::proxy::upstream::Forwarder on an io_context, W coroutines, with shelterd's
//      default upstream.queries-per-socket 1 (a fresh socket and source port per query)
//   S  the same with queries-per-socket 256 (up to 4 shared sockets, as c-ares' one socket)
//   B  c-ares ares_send (raw messages) driven by a bare poll() loop, W outstanding: the least
//      c-ares can cost
//   C  c-ares inside Asio as the conventions would wrap it: async_initiate, the sockets watched
//      by the io_context (sock_state_cb), W coroutines: what c-ares would cost in shelterd
//
// Each run forwards `names` unique A queries (q<i>.bench.test) with W of them outstanding at a
// time, after a warm-up of names/20 other names on the same client, and measures the
// forwarding thread's own CPU time (CLOCK_THREAD_CPUTIME_ID) and the wall clock. Every variant
// does the same work per query around the library: make a client packet, parse it, build the
// upstream query (dns::build_upstream_query, random ID), and end with its own copy of the
// answer, parsed (dns::parse_response). Runs are interleaved A, B, C, A, B, C, ... so that load
// from other processes spreads over all variants; the report gives medians and minimums.

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/dns/builder.h"
#include "proxy/dns/message.h"
#include "proxy/metrics/metrics.h"
#include "proxy/upstream/forwarder.h"
#include "proxy/upstream/random_pool.h"

namespace {

namespace asio = boost::asio;
namespace dns = shelter::proxy::dns;
namespace net = shelter::proxy::net;
namespace upstream = shelter::proxy::upstream;
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = std::chrono::milliseconds(1000);
constexpr std::uint16_t kPayloadSize = 1232;
constexpr int kReceiveBuffer = 8 * 1024 * 1024;

// ---- The upstream: answers every query at once with 192.0.2.1, in batches. ----

// Writes the answer to the query `in` into `out`; returns its length, 0 for no answer.
std::size_t answer_query(const std::uint8_t* in, std::size_t length, std::uint8_t* out,
                         std::size_t capacity) {
  static constexpr std::array<std::uint8_t, 16> kRecord = {0xC0, 0x0C, 0, 1, 0,   1, 0, 0,
                                                           0x01, 0x2C, 0, 4, 192, 0, 2, 1};
  if (length < dns::kHeaderSize || (in[dns::kOffFlags] & 0x80) != 0) return 0;
  std::size_t at = dns::kHeaderSize;
  while (at < length && in[at] != 0) {
    if ((in[at] & 0xC0) != 0) return 0;
    at += in[at] + 1u;
  }
  at += 1 + 4;  // root label, QTYPE, QCLASS
  if (at > length || at + kRecord.size() > capacity) return 0;
  std::memcpy(out, in, at);
  dns::write_u16(out + dns::kOffFlags,
                 static_cast<std::uint16_t>((dns::read_u16(in + dns::kOffFlags) &
                                             (dns::kOpcodeMask | dns::kFlagRd | dns::kFlagCd)) |
                                            dns::kFlagQr | dns::kFlagRa));
  dns::write_u16(out + dns::kOffQdcount, 1);
  dns::write_u16(out + dns::kOffAncount, 1);
  std::memset(out + dns::kOffAncount + 2, 0, 4);  // NSCOUNT, ARCOUNT
  std::memcpy(out + at, kRecord.data(), kRecord.size());
  return at + kRecord.size();
}

class Upstream {
 public:
  Upstream() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      throw std::runtime_error("bind failed");
    port_ = ntohs(address.sin_port);
    timeval poll_stop{.tv_sec = 0, .tv_usec = 50'000};  // how often to look at the stop flag
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &poll_stop, sizeof poll_stop);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
    thread_ = std::thread([this] { serve(); });
  }
  ~Upstream() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    ::pthread_setname_np(::pthread_self(), "bench-upstream");  // tells it apart in perf and top
    constexpr std::size_t kBatch = 64;
    constexpr std::size_t kSize = 512;
    std::vector<std::uint8_t> in(kBatch * kSize), out(kBatch * kSize);
    std::array<sockaddr_in, kBatch> peers{};
    std::array<iovec, kBatch> in_iov{}, out_iov{};
    std::array<mmsghdr, kBatch> received{}, answers{};
    for (std::size_t i = 0; i < kBatch; ++i)
      in_iov[i] = {in.data() + i * kSize, kSize};
    while (!stop_) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        received[i].msg_hdr = {};
        received[i].msg_hdr.msg_name = &peers[i];
        received[i].msg_hdr.msg_namelen = sizeof peers[i];
        received[i].msg_hdr.msg_iov = &in_iov[i];
        received[i].msg_hdr.msg_iovlen = 1;
      }
      int count = ::recvmmsg(fd_, received.data(), kBatch, MSG_WAITFORONE, nullptr);
      std::size_t replies = 0;
      for (int i = 0; i < count; ++i) {
        std::size_t at = static_cast<std::size_t>(i);
        const std::uint8_t* query = in.data() + at * kSize;
        std::size_t length =
            answer_query(query, received[at].msg_len, out.data() + replies * kSize, kSize);
        if (length == 0) continue;
        out_iov[replies] = {out.data() + replies * kSize, length};
        answers[replies].msg_hdr = {};
        answers[replies].msg_hdr.msg_name = &peers[at];
        answers[replies].msg_hdr.msg_namelen = received[at].msg_hdr.msg_namelen;
        answers[replies].msg_hdr.msg_iov = &out_iov[replies];
        answers[replies].msg_hdr.msg_iovlen = 1;
        ++replies;
      }
      if (replies > 0) ::sendmmsg(fd_, answers.data(), static_cast<unsigned>(replies), 0);
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---- What all variants share. ----

// A client's query for <prefix><i>.bench.test A, RD set, no EDNS.
void make_client_query(char prefix, std::uint32_t i, std::vector<std::uint8_t>& out) {
  out.assign(dns::kHeaderSize, 0);
  dns::write_u16(&out[dns::kOffId], static_cast<std::uint16_t>(i));
  dns::write_u16(&out[dns::kOffFlags], dns::kFlagRd);
  dns::write_u16(&out[dns::kOffQdcount], 1);
  std::string label = prefix + std::to_string(i);
  out.push_back(static_cast<std::uint8_t>(label.size()));
  out.insert(out.end(), label.begin(), label.end());
  for (std::string_view rest : {"bench", "test"}) {
    out.push_back(static_cast<std::uint8_t>(rest.size()));
    out.insert(out.end(), rest.begin(), rest.end());
  }
  out.push_back(0);
  dns::append_u16(out, dns::qtype::kA);
  dns::append_u16(out, dns::kClassIn);
}

// Queries handed out, and how they ended, in one phase of a run.
struct Tally {
  char prefix = 'q';
  std::uint32_t total = 0;
  std::uint32_t next = 0;
  std::uint32_t answered = 0;
  std::uint32_t lost = 0;
  std::uint32_t active = 0;  // coroutine workers (A, C) still looping
  bool finished() const { return answered + lost == total; }
};

// Takes the next query of the phase: a client packet, parsed. False when none are left.
bool next_query(Tally& tally, std::vector<std::uint8_t>& packet, dns::Query& query) {
  while (tally.next < tally.total) {
    make_client_query(tally.prefix, tally.next++, packet);
    if (dns::parse_query(packet, query) == dns::ParseStatus::ok) return true;
    ++tally.lost;
  }
  return false;
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

struct Sample {
  double cpu_us_per_query = 0;
  double qps = 0;
  std::uint32_t lost = 0;
};

// Runs `phase` (which forwards the tally's queries) and measures it.
template <typename Phase>
Sample measure(Tally& tally, Phase&& phase) {
  double cpu_start = thread_cpu_seconds();
  auto wall_start = Clock::now();
  phase(tally);
  double wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
  double cpu = thread_cpu_seconds() - cpu_start;
  return {
      .cpu_us_per_query = cpu * 1e6 / tally.total, .qps = tally.total / wall, .lost = tally.lost};
}

// ---- Coroutine workers, shared by variants A and C. ----

// One of W coroutines: forwards queries with `forward` (Query -> awaitable<UpstreamAnswer>)
// until the phase has none left. The library's socket readers keep the io_context busy, so
// the last worker stops it.
template <typename Forward>
asio::awaitable<void> worker(Forward& forward, Tally& tally, asio::io_context& io) {
  std::vector<std::uint8_t> packet;
  dns::Query query;
  while (next_query(tally, packet, query)) {
    upstream::UpstreamAnswer answer = co_await forward(query);
    ++(answer.ok ? tally.answered : tally.lost);
  }
  if (--tally.active == 0) io.stop();
}

// Runs a warm-up phase and a measured phase of W workers on `io`.
template <typename Forward>
Sample run_workers(asio::io_context& io, Forward& forward, std::uint32_t window,
                   std::uint32_t names) {
  auto phase = [&](Tally& tally) {
    tally.active = std::min(window, tally.total);
    for (std::uint32_t w = 0; w < tally.active; ++w) {
      asio::co_spawn(io, worker(forward, tally, io), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
    }
    io.restart();
    io.run();
  };
  Tally warmup{.prefix = 'w', .total = names / 20};
  phase(warmup);
  Tally tally{.prefix = 'q', .total = names};
  return measure(tally, phase);
}

// ---- Variant A: Shelter's Forwarder. ----

Sample run_shelter(const net::Endpoint& server, std::uint32_t window, std::uint32_t names,
                   std::uint32_t queries_per_socket) {
  asio::io_context io{1};
  shelter::proxy::metrics::WorkerMetrics metrics;
  upstream::Forwarder forwarder(io.get_executor(), metrics);
  std::array<net::Endpoint, 1> servers{server};
  upstream::ForwardSettings settings{.servers = servers,
                                     .timeout = kTimeout,
                                     .attempts = 1,
                                     .queries_per_socket = queries_per_socket};
  auto forward = [&](const dns::Query& query) { return forwarder.forward(query, settings); };
  return run_workers(io, forward, window, names);
}

// ---- c-ares, shared by variants B and C. ----

ares_channel make_channel(std::uint16_t port, ares_sock_state_cb on_state, void* state) {
  ares_options options{};
  options.flags = ARES_FLAG_STAYOPEN;  // a daemon keeps its sockets; NOCHECKRESP stays off
  options.timeout = static_cast<int>(kTimeout.count());
  options.tries = 1;
  options.socket_receive_buffer_size = kReceiveBuffer;
  options.sock_state_cb = on_state;
  options.sock_state_cb_data = state;
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_RCVBUF |
             ARES_OPT_SOCK_STATE_CB;
  ares_channel channel = nullptr;
  if (ares_init_options(&channel, &options, mask) != ARES_SUCCESS)
    throw std::runtime_error("ares_init_options failed");
  std::string server = "127.0.0.1:" + std::to_string(port);
  if (ares_set_servers_ports_csv(channel, server.c_str()) != ARES_SUCCESS)
    throw std::runtime_error("ares_set_servers_ports_csv failed");
  return channel;
}

// The upstream query bytes for `query`. c-ares 1.18's ares_send sends the ID it is given (only
// ares_query draws one), so the caller draws a random ID as Shelter's forwarder does.
void build_request(const dns::Query& query, upstream::RandomPool& random,
                   std::vector<std::uint8_t>& out) {
  dns::build_upstream_query(query, random.next_u16(), kPayloadSize, out);
}

// c-ares has matched ID and question; a forwarder still needs the answer in a buffer of its own
// and parsed (rcode, TTLs for the cache), as Shelter's forwarder returns it.
upstream::UpstreamAnswer to_answer(int status, const unsigned char* abuf, int alen) {
  upstream::UpstreamAnswer answer;
  if (status != ARES_SUCCESS) return answer;
  answer.message.assign(abuf, abuf + alen);
  answer.ok = dns::parse_response(answer.message, answer.parsed) == dns::ParseStatus::ok &&
              answer.parsed.rcode == dns::Rcode::noerror;
  return answer;
}

// ---- Variant B: c-ares with ares_send and a poll loop on its sockets, no Asio. ----

struct AresClient {
  ares_channel channel = nullptr;
  std::vector<pollfd> fds;  // kept by the socket-state callback
  Tally* tally = nullptr;
  upstream::RandomPool random;
  std::vector<std::uint8_t> packet;
  std::vector<std::uint8_t> request;
  dns::Query query;
};

void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto& client = *static_cast<AresClient*>(data);
  auto found = std::ranges::find(client.fds, fd, &pollfd::fd);
  if (!readable && !writable) {
    if (found != client.fds.end()) client.fds.erase(found);
    return;
  }
  if (found == client.fds.end())
    found = client.fds.insert(client.fds.end(), pollfd{.fd = fd, .events = 0, .revents = 0});
  found->events = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
}

void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);

void send_next(AresClient& client) {
  if (!next_query(*client.tally, client.packet, client.query)) return;
  build_request(client.query, client.random, client.request);
  ares_send(client.channel, client.request.data(), static_cast<int>(client.request.size()),
            on_answer, &client);
}

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto& client = *static_cast<AresClient*>(arg);
  if (status == ARES_EDESTRUCTION) return;
  upstream::UpstreamAnswer answer = to_answer(status, abuf, alen);
  ++(answer.ok ? client.tally->answered : client.tally->lost);
  send_next(client);
}

void drive_ares(AresClient& client) {
  while (!client.tally->finished()) {
    // Every ares_process_fd call also runs c-ares' timeouts, so a fixed poll cap is enough:
    // no ares_timeout() (which walks all outstanding queries) per round.
    int ready = ::poll(client.fds.data(), client.fds.size(), 100);
    if (ready <= 0) {
      ares_process_fd(client.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    // Callbacks may change client.fds: work on a copy.
    std::array<pollfd, ARES_GETSOCK_MAXNUM> now{};
    std::size_t count = std::min(client.fds.size(), now.size());
    std::copy_n(client.fds.begin(), count, now.begin());
    for (std::size_t i = 0; i < count; ++i) {
      if (now[i].revents == 0) continue;
      bool readable = (now[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      bool writable = (now[i].revents & POLLOUT) != 0;
      ares_process_fd(client.channel, readable ? now[i].fd : ARES_SOCKET_BAD,
                      writable ? now[i].fd : ARES_SOCKET_BAD);
    }
  }
}

Sample run_cares(std::uint16_t port, std::uint32_t window, std::uint32_t names) {
  AresClient client;
  client.channel = make_channel(port, on_socket_state, &client);
  auto phase = [&](Tally& tally) {
    client.tally = &tally;
    for (std::uint32_t w = 0; w < window; ++w)
      send_next(client);
    drive_ares(client);
  };
  Tally warmup{.prefix = 'w', .total = names / 20};
  phase(warmup);
  Tally tally{.prefix = 'q', .total = names};
  Sample sample = measure(tally, phase);
  ares_destroy(client.channel);
  return sample;
}

// ---- Variant C: c-ares inside Asio, as Shelter would wrap it (async_initiate, coroutines). ----

class AresAsio {
 public:
  AresAsio(asio::io_context& io, std::uint16_t port)
      : io_(io), channel_(make_channel(port, on_state, this)), tick_(io) {
    tick();
  }
  ~AresAsio() { ares_destroy(channel_); }  // releases every watched descriptor first
  AresAsio(const AresAsio&) = delete;
  AresAsio& operator=(const AresAsio&) = delete;

  /// Sends `request`; completes with the answer (ok == false on failure or timeout).
  template <typename Token>
  auto async_send(std::span<const std::uint8_t> request, Token&& token) {
    return asio::async_initiate<Token, void(upstream::UpstreamAnswer)>(
        [this](auto handler, std::span<const std::uint8_t> bytes) {
          using Op = SendOp<std::decay_t<decltype(handler)>>;
          ares_send(channel_, bytes.data(), static_cast<int>(bytes.size()), &Op::done,
                    new Op{std::move(handler)});
        },
        token, request);
  }

 private:
  template <typename Handler>
  struct SendOp {
    Handler handler;
    static void done(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
      std::unique_ptr<SendOp> op(static_cast<SendOp*>(arg));
      if (status == ARES_EDESTRUCTION) return;
      auto executor = asio::get_associated_executor(op->handler);
      asio::dispatch(executor, [handler = std::move(op->handler),
                                answer = to_answer(status, abuf, alen)]() mutable {
        std::move(handler)(std::move(answer));
      });
    }
  };

  // A socket of c-ares', watched (not owned) by the reactor.
  struct Watch {
    Watch(asio::io_context& io, int fd) : descriptor(io, fd) {}
    asio::posix::stream_descriptor descriptor;
    std::array<bool, 2> wanted{};   // read, write
    std::array<bool, 2> waiting{};  // read, write
    bool closed = false;
  };

  static void on_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto& self = *static_cast<AresAsio*>(data);
    auto found = self.watches_.find(fd);
    if (!readable && !writable) {
      if (found == self.watches_.end()) return;
      found->second->closed = true;
      found->second->descriptor.release();  // c-ares closes it
      self.watches_.erase(found);
      return;
    }
    if (found == self.watches_.end())
      found = self.watches_.emplace(fd, std::make_shared<Watch>(self.io_, fd)).first;
    std::shared_ptr<Watch> watch = found->second;
    watch->wanted = {readable != 0, writable != 0};
    for (std::size_t way = 0; way < 2; ++way) {
      if (watch->wanted[way] && !watch->waiting[way]) self.wait(watch, way);
    }
  }

  void wait(const std::shared_ptr<Watch>& watch, std::size_t way) {
    watch->waiting[way] = true;
    auto type = way == 0 ? asio::posix::descriptor_base::wait_read
                         : asio::posix::descriptor_base::wait_write;
    watch->descriptor.async_wait(type, [this, watch, way](boost::system::error_code error) {
      watch->waiting[way] = false;
      if (error || watch->closed) return;
      int fd = watch->descriptor.native_handle();
      ares_process_fd(channel_, way == 0 ? fd : ARES_SOCKET_BAD, way == 1 ? fd : ARES_SOCKET_BAD);
      if (!watch->closed && watch->wanted[way] && !watch->waiting[way]) wait(watch, way);
    });
  }

  // Runs c-ares' timeouts; every ares_process_fd call does too, this covers idle times.
  void tick() {
    tick_.expires_after(std::chrono::milliseconds(100));
    tick_.async_wait([this](boost::system::error_code error) {
      if (error) return;
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      tick();
    });
  }

  asio::io_context& io_;
  ares_channel channel_;
  asio::steady_timer tick_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
};

Sample run_cares_asio(std::uint16_t port, std::uint32_t window, std::uint32_t names) {
  asio::io_context io{1};
  AresAsio ares(io, port);
  upstream::RandomPool random;
  auto forward = [&](const dns::Query& query) -> asio::awaitable<upstream::UpstreamAnswer> {
    std::vector<std::uint8_t> request;
    build_request(query, random, request);
    co_return co_await ares.async_send(request, asio::use_awaitable);
  };
  return run_workers(io, forward, window, names);
}

// ---- Report. ----

struct Summary {
  Sample median;
  double min_cpu_us_per_query = 0;
};

Summary summarize(const std::vector<Sample>& samples) {
  auto middle = [&](auto member) {
    std::vector<double> values;
    for (const Sample& s : samples)
      values.push_back(s.*member);
    std::ranges::nth_element(values, values.begin() + values.size() / 2);
    return values[values.size() / 2];
  };
  Summary summary{.median = {.cpu_us_per_query = middle(&Sample::cpu_us_per_query),
                             .qps = middle(&Sample::qps)},
                  .min_cpu_us_per_query = samples.front().cpu_us_per_query};
  for (const Sample& s : samples) {
    summary.median.lost += s.lost;
    summary.min_cpu_us_per_query = std::min(summary.min_cpu_us_per_query, s.cpu_us_per_query);
  }
  return summary;
}

struct Variant {
  char key;
  const char* name;
  Sample (*run)(const net::Endpoint&, std::uint32_t window, std::uint32_t names);
};

const std::array<Variant, 4> kVariants = {{
    {'A', "A shelter",
     [](const net::Endpoint& s, std::uint32_t w, std::uint32_t n) {
       return run_shelter(s, w, n, 1);
     }},
    {'S', "S shelter/256",
     [](const net::Endpoint& s, std::uint32_t w, std::uint32_t n) {
       return run_shelter(s, w, n, 256);
     }},
    {'B', "B c-ares",
     [](const net::Endpoint& s, std::uint32_t w, std::uint32_t n) {
       return run_cares(s.port, w, n);
     }},
    {'C', "C c-ares+asio",
     [](const net::Endpoint& s, std::uint32_t w, std::uint32_t n) {
       return run_cares_asio(s.port, w, n);
     }},
}};

std::uint32_t argument(int argc, char** argv, int index, std::uint32_t fallback) {
  return argc > index ? static_cast<std::uint32_t>(std::strtoul(argv[index], nullptr, 10))
                      : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t names = argument(argc, argv, 1, 200'000);
  std::uint32_t runs = std::max(argument(argc, argv, 2, 3), 1u);
  std::string_view keys = argc > 3 ? argv[3] : "ASBC";
  std::vector<std::uint32_t> windows = {100, 1};
  if (argc > 4) windows = {argument(argc, argv, 4, 100)};
  std::vector<const Variant*> chosen;
  for (const Variant& v : kVariants) {
    if (keys.find(v.key) != std::string_view::npos) chosen.push_back(&v);
  }
  if (names < 20 || chosen.empty() || windows[0] == 0) {
    std::fprintf(stderr, "usage: forwarder_bench [names>=20] [runs] [variants ASBC] [window]\n");
    return 2;
  }
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return 1;
  Upstream upstream;
  net::Endpoint server{.address = *net::Address::parse("127.0.0.1"), .port = upstream.port()};
  std::printf("forwarder_bench: %u names per run (+%u warm-up), %u runs, c-ares %s\n\n", names,
              names / 20, runs, ares_version(nullptr));

  std::printf("%-14s %5s %4s %10s %10s %6s\n", "variant", "W", "run", "CPU us/q", "qps", "lost");
  std::vector<std::vector<Summary>> summaries;  // [window][variant]
  for (std::uint32_t window : windows) {
    std::vector<std::vector<Sample>> samples(chosen.size());
    for (std::uint32_t run = 0; run < runs; ++run) {  // interleaved, so load drift hits all
      for (std::size_t v = 0; v < chosen.size(); ++v) {
        Sample s = chosen[v]->run(server, window, names);
        samples[v].push_back(s);
        std::printf("%-14s %5u %4u %10.2f %10.0f %6u\n", chosen[v]->name, window, run + 1,
                    s.cpu_us_per_query, s.qps, s.lost);
        std::fflush(stdout);
      }
    }
    summaries.emplace_back();
    for (const auto& of_variant : samples)
      summaries.back().push_back(summarize(of_variant));
  }

  std::printf("\nmedian of %u runs (CPU: thread CPU time of the forwarding thread per query)\n",
              runs);
  std::printf("%-14s %5s %10s %10s %10s %10s %10s %6s\n", "variant", "W", "CPU us/q", "min us/q",
              "qps", "CPU/first", "qps/first", "lost");
  std::uint32_t lost = 0;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const Sample& first = summaries[w][0].median;
    for (std::size_t v = 0; v < chosen.size(); ++v) {
      const Summary& s = summaries[w][v];
      std::printf("%-14s %5u %10.2f %10.2f %10.0f %10.2f %10.2f %6u\n", chosen[v]->name, windows[w],
                  s.median.cpu_us_per_query, s.min_cpu_us_per_query, s.median.qps,
                  s.median.cpu_us_per_query / first.cpu_us_per_query, s.median.qps / first.qps,
                  s.median.lost);
      lost += s.median.lost;
    }
  }
  ares_library_cleanup();
  if (lost > 0)
    std::printf("LOST %u queries (not answered within %lld ms)\n", lost,
                static_cast<long long>(kTimeout.count()));
  return lost == 0 ? 0 : 1;
}
