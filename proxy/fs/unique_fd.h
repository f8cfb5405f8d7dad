#pragma once
// A file descriptor closed when it goes out of scope, and the error text of a failed system
// call on a path: the two things every file-handling function here needs.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace shelter::proxy::fs {

struct UniqueFd {
  int fd = -1;
  UniqueFd() = default;
  explicit UniqueFd(int descriptor) : fd(descriptor) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd >= 0) ::close(fd);
  }
};

/// "<what> '<path>': <strerror(errno)>".
inline std::string errno_text(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

}  // namespace shelter::proxy::fs
