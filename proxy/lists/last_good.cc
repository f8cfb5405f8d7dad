#include "proxy/lists/last_good.h"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "proxy/fs/atomic_file.h"

namespace shelter::proxy::lists {
namespace {

namespace stdfs = std::filesystem;
constexpr std::string_view kMetaMagic = "shelter-last-good 1";
constexpr std::string_view kAcceptMagic = "shelter-accept 1";

// One "key value" line per field; a value's backslashes, newlines and CRs are escaped, so
// that it reads back exactly (a part's name is in its fingerprint).
std::string field(std::string_view key, std::string_view value) {
  std::string line(key);
  line += ' ';
  for (char c : value) {
    if (c == '\\')
      line += "\\\\";
    else if (c == '\n')
      line += "\\n";
    else if (c == '\r')
      line += "\\r";
    else
      line += c;
  }
  return line + '\n';
}

std::string unescape(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    const char next = value[++i];
    out += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
  }
  return out;
}

std::string field(std::string_view key, std::int64_t value) {
  return field(key, std::to_string(value));
}

// The lines of a small state file as (key, value) pairs, in order; empty when the first line
// is not `magic`.
std::vector<std::pair<std::string, std::string>> read_fields(const std::string& path,
                                                             std::string_view magic) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string text;
  std::int64_t ignored = 0;
  std::string error;
  if (!read_whole_file(path, text, ignored, error)) return out;
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty()) {
    std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (first) {
      if (line != magic) return out;
      first = false;
      continue;
    }
    std::size_t space = std::min(line.find(' '), line.size());
    out.emplace_back(std::string(line.substr(0, space)),
                     unescape(line.substr(std::min(space + 1, line.size()))));
  }
  return out;
}

template <typename T>
bool to_number(const std::string& text, T& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string iso_time(std::int64_t unix_time) {
  if (unix_time == 0) return "an unknown time";
  std::time_t t = unix_time;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

namespace {

std::string ensure_directory(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) return "cannot create '" + dir.string() + "': " + ec.message();
  return {};
}

struct StoredPart {
  SourcePart part;
  std::size_t bytes = 0;
};

}  // namespace

LastGoodStore::LastGoodStore(std::string directory) : directory_(std::move(directory)) {}

std::optional<LastGoodMeta> LastGoodStore::meta(const std::string& id) const {
  if (!persistent()) {
    auto it = memory_.find(id);
    if (it == memory_.end()) return std::nullopt;
    return it->second.first;
  }
  LastGoodMeta meta;
  bool entries = false;
  for (const auto& [key, value] : read_fields(directory_ + "/lists/" + id + ".meta", kMetaMagic)) {
    if (key == "entries") entries = to_number(value, meta.entries);
    if (key == "accepted") to_number(value, meta.accepted_unix);
    if (key == "modified") to_number(value, meta.modified_unix);
    if (key == "fingerprint") meta.fingerprint = value;
  }
  if (!entries || meta.fingerprint.empty()) return std::nullopt;
  return meta;
}

std::optional<ListSource> LastGoodStore::load(const std::string& id, std::string& error) const {
  if (!persistent()) {
    auto it = memory_.find(id);
    if (it == memory_.end() || !it->second.second) {
      error = "no last good version (kept in memory only: list-updates.state-directory is not set)";
      return std::nullopt;
    }
    return *it->second.second;
  }
  const std::string meta_path = directory_ + "/lists/" + id + ".meta";
  std::optional<LastGoodMeta> meta = this->meta(id);
  if (!meta) {
    error = "no last good version in " + directory_;
    return std::nullopt;
  }
  std::vector<StoredPart> parts;
  for (const auto& [key, value] : read_fields(meta_path, kMetaMagic)) {
    if (key == "part") {
      // format, url prefixes, bytes, modified
      StoredPart p;
      std::istringstream words(value);
      std::string format;
      int prefixes = 0;
      words >> format >> prefixes >> p.bytes >> p.part.modified_unix;
      auto parsed = blocklist::parse_list_format(format);
      if (!words || !parsed) {
        error = "the last good copy's description " + meta_path + " is damaged";
        return std::nullopt;
      }
      p.part.format = *parsed;
      p.part.url_prefixes = prefixes != 0;
      parts.push_back(std::move(p));
    } else if (key == "category" && !parts.empty()) {
      parts.back().part.category = value;
    } else if (key == "name" && !parts.empty()) {
      parts.back().part.name = value;
    }
  }
  const std::string data_path =
      directory_ + "/lists/" + id + "." + meta->fingerprint.substr(0, 16) + ".data";
  std::string data;
  std::int64_t ignored = 0;
  if (!read_whole_file(data_path, data, ignored, error)) return std::nullopt;
  ListSource source;
  std::size_t at = 0;
  for (StoredPart& p : parts) {
    if (data.size() - at < p.bytes) break;
    p.part.text = data.substr(at, p.bytes);
    at += p.bytes;
    source.modified_unix = std::max(source.modified_unix, p.part.modified_unix);
    source.parts.push_back(std::move(p.part));
  }
  source.fingerprint = fingerprint_of(source.parts);
  if (at != data.size() || source.fingerprint != meta->fingerprint) {
    error = "the last good copy " + data_path + " is damaged (its fingerprint does not match)";
    return std::nullopt;
  }
  return source;
}

std::string LastGoodStore::save(const std::string& id, std::shared_ptr<const ListSource> kept,
                                const LastGoodMeta& meta) {
  if (!persistent()) {
    // Shared with the load that took it: a copy would be a second list text at the reload.
    memory_[id] = {meta, std::move(kept)};
    return {};
  }
  const ListSource& source = *kept;
  const stdfs::path dir = stdfs::path(directory_) / "lists";
  if (std::string e = ensure_directory(dir); !e.empty()) return e;
  // The bytes first, under a name of their own version, then the description that points at
  // them: a crash between the two leaves the previous version whole.
  const std::string data_name = id + "." + meta.fingerprint.substr(0, 16) + ".data";
  std::string joined;  // only when there are several parts: one part is written as it is
  std::string description = std::string(kMetaMagic) + "\n" + field("entries", meta.entries) +
                            field("accepted", meta.accepted_unix) +
                            field("modified", meta.modified_unix) +
                            field("fingerprint", meta.fingerprint);
  for (const SourcePart& part : source.parts) {
    if (source.parts.size() > 1) joined += part.text;
    description +=
        field("part", std::string(blocklist::format_name(part.format)) + " " +
                          (part.url_prefixes ? "1" : "0") + " " + std::to_string(part.text.size()) +
                          " " + std::to_string(part.modified_unix));
    description += field("category", part.category) + field("name", part.name);
  }
  const std::string& data = source.parts.size() == 1 ? source.parts.front().text : joined;
  if (std::string e = fs::write_file_atomically((dir / data_name).string(), data, 0640);
      !e.empty()) {
    return e;
  }
  if (std::string e = fs::write_file_atomically((dir / (id + ".meta")).string(), description, 0640);
      !e.empty()) {
    return e;
  }
  // Older versions of this list are no longer pointed at.
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(id + ".") && name.ends_with(".data") && name != data_name &&
        name.size() == data_name.size()) {
      stdfs::remove(entry.path(), ec);
    }
  }
  return {};
}

std::string LastGoodStore::snapshot_path() const {
  return persistent() ? directory_ + "/snapshot.last-good" : std::string();
}

std::string LastGoodStore::save_snapshot(const std::string& image_path) {
  if (!persistent()) return {};
  std::string image;
  std::int64_t ignored = 0;
  std::string error;
  if (!read_whole_file(image_path, image, ignored, error)) return error;
  if (std::string e = ensure_directory(directory_); !e.empty()) return e;
  return fs::write_file_atomically(snapshot_path(), image, 0640);
}

void LastGoodStore::set_baseline(const std::string& id, const LastGoodMeta& meta) {
  if (!persistent()) memory_[id] = {meta, nullptr};
}

std::optional<Acceptance> LastGoodStore::acceptance(const std::string& id) const {
  if (!persistent()) {
    auto it = memory_acceptances_.find(id);
    if (it == memory_acceptances_.end()) return std::nullopt;
    return it->second;
  }
  Acceptance a;
  for (const auto& [key, value] : read_fields(directory_ + "/accept/" + id, kAcceptMagic)) {
    if (key == "list") a.list = value;
    if (key == "fingerprint") a.fingerprint = value;
    if (key == "entries") to_number(value, a.entries);
    if (key == "previous") to_number(value, a.previous_entries);
    if (key == "by") a.by = value;
    if (key == "at") to_number(value, a.at_unix);
    if (key == "reason") a.reason = value;
  }
  if (a.list != id || a.fingerprint.empty()) return std::nullopt;
  return a;
}

std::string LastGoodStore::give_acceptance(const Acceptance& a) {
  if (!persistent()) {
    memory_acceptances_[a.list] = a;
    return {};
  }
  const stdfs::path dir = stdfs::path(directory_) / "accept";
  if (std::string e = ensure_directory(dir); !e.empty()) return e;
  std::string text = std::string(kAcceptMagic) + "\n" + field("list", a.list) +
                     field("fingerprint", a.fingerprint) +
                     field("entries", static_cast<std::int64_t>(a.entries)) +
                     field("previous", static_cast<std::int64_t>(a.previous_entries)) +
                     field("by", a.by) + field("at", a.at_unix) + field("reason", a.reason);
  return fs::write_file_atomically((dir / a.list).string(), text, 0640);
}

std::string LastGoodStore::use_acceptance(const Acceptance& a, std::int64_t now_unix) {
  if (!persistent()) return {};
  std::error_code ec;
  stdfs::remove(stdfs::path(directory_) / "accept" / a.list, ec);
  std::ofstream audit(directory_ + "/audit.log", std::ios::app);
  audit << iso_time(now_unix) << " list '" << a.list << "' version " << a.fingerprint.substr(0, 16)
        << " taken: " << a.entries << " entries (was " << a.previous_entries << "); accepted by "
        << a.by << " at " << iso_time(a.at_unix)
        << (a.reason.empty() ? "" : "; reason: " + a.reason) << "\n";
  audit.flush();
  if (!audit) return "cannot append to " + directory_ + "/audit.log";
  return ec ? "cannot remove the used acceptance: " + ec.message() : std::string();
}

std::string state_directory_of(const config::Config& config) {
  if (!config.list_updates.state_directory.empty()) return config.list_updates.state_directory;
  const char* systemd = std::getenv("STATE_DIRECTORY");
  if (systemd == nullptr || *systemd == '\0') return {};
  std::string_view dirs = systemd;
  return std::string(dirs.substr(0, dirs.find(':')));
}

std::string current_user() {
  const uid_t uid = ::getuid();
  const passwd* pw = ::getpwuid(uid);
  std::string name = (pw != nullptr ? std::string(pw->pw_name) + " " : std::string()) + "(uid " +
                     std::to_string(uid);
  if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') {
    name += std::string(", sudo from ") + sudo;
  }
  return name + ")";
}

}  // namespace shelter::proxy::lists
