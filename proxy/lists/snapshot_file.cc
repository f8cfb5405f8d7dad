#include "proxy/lists/snapshot_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "proxy/fs/atomic_file.h"
#include "proxy/fs/unique_fd.h"

namespace shelter::proxy::lists {
using fs::errno_text;
using Fd = fs::UniqueFd;

bool file_identity(const std::string& path, std::int64_t& modified_unix, std::uint64_t& inode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  modified_unix = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  inode = st.st_ino;
  return true;
}

SnapshotFile read_snapshot_file(const std::string& path) {
  SnapshotFile out;
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    out.error = errno_text("cannot open", path);
    return out;
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    out.error = errno_text("cannot stat", path);
    return out;
  }
  out.modified_unix = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  out.inode = st.st_ino;
  auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    out.error = "snapshot '" + path + "' is empty";
    return out;
  }
  // The file is copied into a private anonymous mapping, then made read-only. Mapping the file
  // itself would share its page-cache pages: an operator who overwrote it in place (`cp` onto
  // it) would change a checked snapshot under running lookups, and truncating it would kill
  // the process with SIGBUS. The copy costs 10-20 ms for 34 MB here.
  void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mapped == MAP_FAILED) {
    out.error = errno_text("cannot allocate memory for", path);
    return out;
  }
  std::shared_ptr<const void> owner(
      mapped, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  auto* bytes = static_cast<std::uint8_t*>(mapped);
  for (std::size_t done = 0; done < size;) {
    ssize_t n = ::pread(file.fd, bytes + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = errno_text("cannot read", path);
      return out;
    }
    if (n == 0) {
      out.error = "snapshot '" + path + "' shrank while it was read";
      return out;
    }
    done += static_cast<std::size_t>(n);
  }
  ::mprotect(mapped, size, PROT_READ);
  std::string error;
  out.snapshot = blocklist::Snapshot::open(std::move(owner),
                                           static_cast<const std::uint8_t*>(mapped), size, error);
  if (!out.snapshot) out.error = "snapshot '" + path + "' rejected: " + error;
  return out;
}

std::string write_snapshot_file(const std::string& path, const std::vector<std::uint8_t>& image) {
  return fs::write_file_atomically(path,
                                   {reinterpret_cast<const char*>(image.data()), image.size()});
}

}  // namespace shelter::proxy::lists
