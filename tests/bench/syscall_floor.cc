// What the kernel alone charges for the system calls behind a DNS query, on this machine: the
// floor under the per-query figures of scripts/bench-dns.sh (docs/BENCHMARKS.md, section 19).
// - a bare system call (getppid), and the epoll calls Asio makes per wait (epoll_ctl re-arm,
//   epoll_wait with nothing ready);
// - the life of a single-use upstream socket, as shelterd's default (a fresh source port per
//   query) spends it: socket, connect, register with epoll, send one query, close.
// Each figure is this thread's CPU time divided by the iterations; median of RUNS (default 3)
// with min-max.
//
// Usage: syscall_floor [UDP_PORT] [RUNS]   (the port on 127.0.0.1 the queries go to, e.g. the
// benchmark's nsd; without one, a socket of our own that is never read: once its buffer is
// full the kernel drops what arrives, which is a little cheaper than a real delivery).
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <vector>

namespace {

double thread_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Median [min-max] of `runs` timings of `iterations` calls of `step`, in ns per call.
void report(const char* what, int runs, int iterations, const std::function<void()>& step) {
  std::vector<double> per_call;
  for (int r = 0; r < runs; ++r) {
    double start = thread_ns();
    for (int i = 0; i < iterations; ++i)
      step();
    per_call.push_back((thread_ns() - start) / iterations);
  }
  std::sort(per_call.begin(), per_call.end());
  std::printf("| %s | %.0f [%.0f-%.0f] |\n", what, per_call[per_call.size() / 2], per_call.front(),
              per_call.back());
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  sockaddr_in upstream{};
  upstream.sin_family = AF_INET;
  upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof upstream;
  int sink = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (argc > 1) {
    upstream.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
  } else if (::bind(sink, reinterpret_cast<const sockaddr*>(&upstream), length) != 0 ||
             ::getsockname(sink, reinterpret_cast<sockaddr*>(&upstream), &length) != 0) {
    std::perror("syscall_floor: sink socket");
    return 1;
  }
  const auto* peer = reinterpret_cast<const sockaddr*>(&upstream);

  int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  int listener = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  epoll_event armed{};
  armed.events = EPOLLIN | EPOLLET;
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &armed);
  epoll_event ready[8];
  const char query[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01x\x00\x00\x01\x00\x01";

  std::printf("| system calls | ns per call, median [min-max] of %d |\n|---|---|\n", runs);
  report("getppid (a bare system call)", runs, 200'000, [] { ::syscall(SYS_getppid); });
  report("epoll_ctl MOD (Asio's re-arm per async_wait)", runs, 200'000,
         [&] { ::epoll_ctl(epoll, EPOLL_CTL_MOD, listener, &armed); });
  report("epoll_wait, nothing ready", runs, 200'000, [&] { ::epoll_wait(epoll, ready, 8, 0); });
  report("single-use upstream socket: socket, connect, epoll add, send, close", runs, 20'000, [&] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ::connect(fd, peer, sizeof upstream);
    epoll_event e{};
    e.events = EPOLLIN | EPOLLET;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
    ::send(fd, query, sizeof query - 1, MSG_DONTWAIT);
    ::close(fd);
  });
  int shared = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ::connect(shared, peer, sizeof upstream);
  report("shared upstream socket: send", runs, 20'000,
         [&] { ::send(shared, query, sizeof query - 1, MSG_DONTWAIT); });
  ::close(shared);
  ::close(listener);
  ::close(sink);
  ::close(epoll);
  return 0;
}
