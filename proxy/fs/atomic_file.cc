#include "proxy/fs/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "proxy/fs/unique_fd.h"

namespace shelter::proxy::fs {

std::string write_file_atomically(const std::string& path, std::span<const char> bytes,
                                  mode_t mode) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  // Appended piece by piece: GCC 12 at -O3 mistakes `"." + name + "..."` for an overlap.
  std::string hidden = ".";
  hidden += target.filename().string();
  hidden += ".XXXXXX";
  std::string temp = (dir / hidden).string();
  UniqueFd file{::mkstemp(temp.data())};
  if (file.fd < 0) return errno_text("cannot create a temporary file like", temp);
  auto fail = [&](const std::string& what) {
    std::string error = errno_text(what, temp);
    ::unlink(temp.c_str());
    return error;
  };
  for (std::size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(file.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(file.fd, mode) != 0 || ::fsync(file.fd) != 0) return fail("cannot sync");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("cannot rename into place");
  UniqueFd directory{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (directory.fd >= 0) ::fsync(directory.fd);
  return {};
}

}  // namespace shelter::proxy::fs
