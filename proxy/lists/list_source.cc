#include "proxy/lists/list_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "proxy/fs/unique_fd.h"
#include "proxy/lists/sha256.h"

namespace shelter::proxy::lists {
namespace {

namespace stdfs = std::filesystem;

// The files a SquidGuard folder may hold; whichever exist are read.
constexpr std::pair<const char*, blocklist::ListFormat> kSquidGuardFiles[] = {
    {"domains", blocklist::ListFormat::domains},
    {"urls", blocklist::ListFormat::urls},
};

FileIdentity identity_of(const std::string& path) {
  FileIdentity id{.path = path};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.modified_ns = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
  id.inode = st.st_ino;
  id.size = st.st_size;
  return id;
}

}  // namespace

bool read_whole_file(const std::string& path, std::string& text, std::int64_t& modified_unix,
                     std::string& error) {
  // Plain POSIX calls: an iostream reports neither a directory nor a read error part-way
  // through, and either would pass for an empty or a shorter list.
  fs::UniqueFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) {
    error = fs::errno_text("cannot open", path);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "'" + path + "' is not a regular file";
    return false;
  }
  text.clear();
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = fs::errno_text("cannot read", path);
      return false;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  modified_unix = st.st_mtime;
  return true;
}

std::string fingerprint_of(const std::vector<SourcePart>& parts) {
  Sha256 digest;
  for (const SourcePart& part : parts) {
    // Length-prefixed, so that moving bytes from one part to the next changes the digest.
    for (const std::string* field : {&part.name, &part.text}) {
      const std::uint64_t size = field->size();
      digest.add(std::string_view(reinterpret_cast<const char*>(&size), sizeof size)).add(*field);
    }
  }
  return digest.hex();
}

ListSource read_list_source(const config::ListConfig& list) {
  ListSource source;
  auto add_file = [&](const std::string& path, blocklist::ListFormat format,
                      const std::string& category, bool url_prefixes) {
    SourcePart part{
        .name = path, .format = format, .category = category, .url_prefixes = url_prefixes};
    if (!read_whole_file(path, part.text, part.modified_unix, source.error)) return false;
    source.modified_unix = std::max(source.modified_unix, part.modified_unix);
    source.parts.push_back(std::move(part));
    return true;
  };
  if (list.format == "squidguard") {
    for (const auto& [folder, category] : list.categories) {
      const stdfs::path dir = stdfs::path(list.path) / folder;
      bool any = false;
      for (auto [file, format] : kSquidGuardFiles) {
        const std::string path = (dir / file).string();
        std::error_code ec;
        if (!stdfs::exists(path, ec)) continue;
        any = true;
        if (!add_file(path, format, category, true)) break;
      }
      if (source.error.empty() && !any) {
        source.error = "folder '" + dir.string() + "' has neither a domains nor a urls file";
      }
      if (!source.error.empty()) break;
    }
  } else if (auto format = blocklist::parse_list_format(list.format); !format) {
    source.error = "unknown format '" + list.format + "'";
  } else if (!list.path.empty()) {
    add_file(list.path, *format, {}, false);
  } else {
    SourcePart part{.name = "entries of list '" + list.id + "'", .format = *format};
    for (const std::string& entry : list.entries)
      part.text += entry + '\n';
    source.parts.push_back(std::move(part));
    source.inline_entries = true;
  }
  if (!source.error.empty()) {
    source.parts.clear();
    return source;
  }
  source.fingerprint = fingerprint_of(source.parts);
  return source;
}

std::vector<FileIdentity> list_file_identities(const std::vector<config::ListConfig>& lists) {
  std::vector<FileIdentity> out;
  for (const config::ListConfig& list : lists) {
    if (list.path.empty()) continue;
    if (list.format != "squidguard") {
      out.push_back(identity_of(list.path));
      continue;
    }
    for (const auto& [folder, category] : list.categories) {
      for (auto [file, format] : kSquidGuardFiles)
        out.push_back(identity_of((stdfs::path(list.path) / folder / file).string()));
    }
  }
  return out;
}

}  // namespace shelter::proxy::lists
