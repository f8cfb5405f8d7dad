#include "proxy/config/time_zone_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "blocklist/parse_util.h"

namespace shelter::proxy::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '_' || c == '-' || c == '+';
}

// Why `name` is not an acceptable zone name; empty when it is. The character set alone already
// excludes "." and "..", but a specific message helps whoever typed "../".
std::string name_problem(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.size() > kMaxTimeZoneNameBytes) return "name too long";
  if (name.find("..") != std::string_view::npos) return "'..' is not allowed";
  for (const char c : name) {
    if (!is_name_char(c)) return "bad character in name (letters, digits, '/', '_', '-', '+')";
  }
  if (name.front() == '/' || name.back() == '/') return "name must not start or end with '/'";
  if (name.find("//") != std::string_view::npos) return "empty component in name";
  return {};
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The whole file, at most kMaxTimeZoneFileBytes; the reason on failure.
std::string read_zone_file(const std::string& path, std::vector<std::uint8_t>& out) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return errno == ENOENT ? "not found" : std::strerror(errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a time zone file";
  // Read one byte more than allowed, so that a file that grew since fstat is still caught.
  out.resize(kMaxTimeZoneFileBytes + 1);
  std::size_t size = 0;
  while (size < out.size()) {
    const ssize_t n = ::read(f.fd, out.data() + size, out.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::strerror(errno);
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size > kMaxTimeZoneFileBytes) {
    return "larger than " + std::to_string(kMaxTimeZoneFileBytes) + " bytes";
  }
  out.resize(size);
  return {};
}

}  // namespace

std::optional<policy::TimeZone> load_time_zone(std::string_view name, std::string& error,
                                               std::string_view zoneinfo_dir) {
  const std::string label = "time zone " + blocklist::parse::quote(name) + ": ";
  if (const std::string problem = name_problem(name); !problem.empty()) {
    error = label + problem;
    return std::nullopt;
  }
  if (name == "UTC" || name == "Etc/UTC") return policy::TimeZone::utc();

  const std::string dir(zoneinfo_dir);
  std::vector<std::uint8_t> bytes;
  if (std::string why = read_zone_file(dir + "/" + std::string(name), bytes); !why.empty()) {
    error = label + why + (why == "not found" ? " in " + dir : "");
    return std::nullopt;
  }
  std::string why;
  auto zone = policy::TimeZone::from_tzif(bytes, why);
  if (!zone) error = label + why;
  return zone;
}

}  // namespace shelter::proxy::config
