#pragma once
// Socket buffer sizing for UDP sockets that see bursts (a resolver's listeners, its upstream
// sockets). The kernel's default receive buffer (about 200 KiB) holds only a few hundred small
// datagrams, because each costs a full buffer's truesize; a burst beyond that is dropped
// silently. SO_RCVBUFFORCE goes past net.core.rmem_max when we have CAP_NET_ADMIN; otherwise
// SO_RCVBUF gets as close as the system allows.

#include <sys/socket.h>

namespace shelter::proxy::net {

inline constexpr int kUdpReceiveBuffer = 8 * 1024 * 1024;

inline void enlarge_receive_buffer(int fd, int bytes = kUdpReceiveBuffer) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

}  // namespace shelter::proxy::net
