#pragma once
// This process's name in a fleet: "<host name>/<pid>", so two shelterd on one host are told
// apart (the nodes hash in Redis, self-test reports).

#include <unistd.h>

#include <array>
#include <string>

namespace shelter::proxy {

inline std::string node_name() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + "/" + std::to_string(::getpid());
}

}  // namespace shelter::proxy
