// The floor of the DNS benchmark (scripts/bench-dns.sh): a UDP responder that does nothing but
// the kernel's part of answering. It reads datagrams in batches with recvmmsg, sets the QR bit
// (so dnsperf counts each as an answer to its query) and sends them back with sendmmsg. No
// parsing, no cache, no lookup: whatever a DNS server spends per query above this is its own.
//
// Usage: udp_echo_floor PORT [BATCH]   (listens on 127.0.0.1; BATCH defaults to 64, 1 = one
// receive per datagram as unbound and dnsdist do). On SIGTERM/SIGINT it prints to stderr how
// many datagrams it answered and in how many receive calls.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

std::atomic<bool> stopping{false};

void on_signal(int) {
  stopping.store(true);
}

constexpr std::size_t kMaxDatagram = 4096;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [BATCH]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const unsigned batch = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 64U;
  if (port <= 0 || port > 65535 || batch == 0 || batch > 1024) {
    std::fprintf(stderr, "bad PORT or BATCH\n");
    return 2;
  }

  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(static_cast<std::uint16_t>(port));
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    std::perror("bind");
    return 1;
  }
  // No SA_RESTART: a signal interrupts the blocking recvmmsg so the loop sees `stopping`.
  struct sigaction action {};
  action.sa_handler = on_signal;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);

  std::vector<std::array<unsigned char, kMaxDatagram>> buffers(batch);
  std::vector<sockaddr_in> peers(batch);
  std::vector<iovec> iovecs(batch);
  std::vector<mmsghdr> messages(batch);
  unsigned long long answered = 0;
  unsigned long long receives = 0;
  while (!stopping.load()) {
    for (unsigned i = 0; i < batch; ++i) {
      iovecs[i] = {buffers[i].data(), buffers[i].size()};
      messages[i].msg_hdr = {};
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof peers[i];
      messages[i].msg_hdr.msg_iov = &iovecs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    // MSG_WAITFORONE: block for the first datagram, then take whatever else is already queued,
    // as a DNS server's batched receive does.
    const int received = ::recvmmsg(fd, messages.data(), batch, MSG_WAITFORONE, nullptr);
    if (received <= 0) continue;
    ++receives;
    for (int i = 0; i < received; ++i) {
      iovecs[i].iov_len = messages[i].msg_len;
      if (messages[i].msg_len > 2) buffers[i][2] |= 0x80;  // QR: this is a response
    }
    int sent = 0;
    while (sent < received) {
      const int n =
          ::sendmmsg(fd, messages.data() + sent, static_cast<unsigned>(received - sent), 0);
      if (n <= 0) break;
      sent += n;
    }
    answered += static_cast<unsigned long long>(received);
  }
  std::fprintf(stderr, "udp_echo_floor: %llu datagrams answered in %llu receive calls\n", answered,
               receives);
  ::close(fd);
  return 0;
}
