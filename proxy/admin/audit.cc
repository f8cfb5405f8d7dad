#include "proxy/admin/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "proxy/fs/unique_fd.h"
#include "proxy/log.h"

namespace shelter::proxy::admin {
namespace {

namespace json = boost::json;

constexpr off_t kRotateBytes = 16 << 20;

std::optional<AuditEntry> from_json(std::string_view line) {
  json::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  auto text = [&o](std::string_view key) {
    const json::value* f = o.if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  AuditEntry e;
  const json::value* at = o.if_contains("at");
  if (at == nullptr || !at->is_int64()) return std::nullopt;
  e.at = at->as_int64();
  e.who = text("who");
  e.action = text("action");
  e.target = text("target");
  e.detail = text("detail");
  return e;
}

// Appends one line per entry with O_APPEND (one write(2) each, so lines never interleave), and
// rotates the file once past kRotateBytes: at most two files, ~32 MiB, are kept.
class FileAuditTrail final : public AuditTrail {
 public:
  explicit FileAuditTrail(std::string path) : path_(std::move(path)) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  }

  boost::asio::awaitable<void> record(AuditEntry entry) override {
    const std::string line = to_json(entry) + "\n";
    std::lock_guard lock(mutex_);
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && st.st_size > kRotateBytes) {
      const std::string old = path_ + ".1";
      if (std::rename(path_.c_str(), old.c_str()) != 0) {
        log_warn("audit: cannot rotate " + path_ + ": " + std::strerror(errno));
      }
    }
    fs::UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (fd.fd < 0 ||
        ::write(fd.fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      log_error("audit: cannot write " + path_ + " (" + std::strerror(errno) + "): " + line);
    }
    co_return;
  }

  boost::asio::awaitable<std::vector<AuditEntry>> recent(std::size_t limit) override {
    limit = std::min(limit, kMaxRead);
    std::deque<AuditEntry> newest;
    std::lock_guard lock(mutex_);
    for (const std::string& file : {path_ + ".1", path_}) {
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        if (std::optional<AuditEntry> e = from_json(line)) {
          newest.push_back(std::move(*e));
          if (newest.size() > limit) newest.pop_front();
        }
      }
    }
    co_return std::vector<AuditEntry>(std::make_move_iterator(newest.rbegin()),
                                      std::make_move_iterator(newest.rend()));
  }

 private:
  std::string path_;
  std::mutex mutex_;
};

}  // namespace

std::string to_json(const AuditEntry& entry) {
  json::object o;
  o["at"] = entry.at;
  o["who"] = entry.who;
  o["action"] = entry.action;
  o["target"] = entry.target;
  if (!entry.detail.empty()) o["detail"] = entry.detail;
  return json::serialize(o);
}

std::shared_ptr<AuditTrail> make_file_audit_trail(std::string path) {
  return std::make_shared<FileAuditTrail>(std::move(path));
}

}  // namespace shelter::proxy::admin
