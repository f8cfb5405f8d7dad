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

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

// An anonymous, private, writable mapping of `size` bytes, backed by transparent huge pages
// where the kernel allows them (THP "madvise" or "always"), with every page in place before
// the caller writes it: filling 34 MB with 4 KiB pages costs one fault or one populate step per
// page, 45-90 ms on a virtual machine where each fault is a world switch; in 2 MiB pages it is
// 10 ms (docs/BENCHMARKS.md, section 19). Lookups may take fewer TLB misses too (not measured
// yet). The start is aligned to 2 MiB (older kernels do not align large mappings themselves)
// by mapping 2 MiB more and unmapping the slack. Returns nullptr when the memory cannot be had.
std::shared_ptr<std::uint8_t> map_image_memory(std::size_t size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t length = (size + page - 1) / page * page;  // munmap wants page boundaries
  const std::size_t padded = length + kHugePage;
  void* raw = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  const std::size_t head = aligned - start;
  const std::size_t tail = padded - head - length;
  if (head > 0) ::munmap(raw, head);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + length), tail);
  auto* image = reinterpret_cast<std::uint8_t*>(aligned);
  // Both are advice: without THP the pages are 4 KiB, and a kernel before 5.14 (no
  // MADV_POPULATE_WRITE) faults them in as the file is read.
  ::madvise(image, length, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  ::madvise(image, length, MADV_POPULATE_WRITE);
#endif
  return {image, [length](std::uint8_t* p) { ::munmap(p, length); }};
}

}  // namespace

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
  // the process with SIGBUS.
  std::shared_ptr<std::uint8_t> memory = map_image_memory(size);
  if (!memory) {
    out.error = errno_text("cannot allocate memory for", path);
    return out;
  }
  std::uint8_t* bytes = memory.get();
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
  ::mprotect(bytes, size, PROT_READ);
  std::string error;
  out.snapshot =
      blocklist::Snapshot::open(std::shared_ptr<const void>(std::move(memory)), bytes, size, error);
  if (!out.snapshot) out.error = "snapshot '" + path + "' rejected: " + error;
  return out;
}

std::string write_snapshot_file(const std::string& path, const std::vector<std::uint8_t>& image) {
  return fs::write_file_atomically(path,
                                   {reinterpret_cast<const char*>(image.data()), image.size()});
}

}  // namespace shelter::proxy::lists
