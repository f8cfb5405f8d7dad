#include "proxy/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "proxy/json_text.h"
#include "proxy/utf8.h"

namespace shelter::proxy {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::atomic<int> g_format{static_cast<int>(LogFormat::text)};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return "error";
    case LogLevel::warn:
      return "warn";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
  }
  return "?";
}

// syslog(3) priorities: err, warning, info, debug.
char journal_priority(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return '3';
    case LogLevel::warn:
      return '4';
    case LogLevel::info:
      return '6';
    case LogLevel::debug:
      return '7';
  }
  return '6';
}

// `text` as valid UTF-8: each byte that starts no well-formed sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text.substr(i));
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string utc_stamp(std::chrono::system_clock::time_point when, bool millis) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char stamp[40];
  std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  if (millis) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() %
        1000;
    n += static_cast<std::size_t>(
        std::snprintf(stamp + n, sizeof stamp - n, ".%03lld", static_cast<long long>(ms)));
  }
  return std::string(stamp, n) + "Z";
}

bool journal_stderr() {
  static const bool journal = stream_is_journal(STDERR_FILENO);
  return journal;
}

}  // namespace

void set_log_level(LogLevel level) {
  g_level.store(static_cast<int>(level));
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_level.load();
}

void set_log_format(LogFormat format) {
  g_format.store(static_cast<int>(format));
}

std::string format_log_line(LogSink sink, LogLevel level, std::string_view message,
                            std::chrono::system_clock::time_point when) {
  std::string line;
  if (sink.format == LogFormat::json) {
    line = "{\"ts\":\"" + utc_stamp(when, true) + "\",\"level\":\"" + level_name(level) +
           "\",\"msg\":";
    append_json_string(line, valid_utf8(message));
    line += "}\n";
    return line;
  }
  if (sink.journal) {
    line = std::string("<") + journal_priority(level) + ">";
  } else {
    line = utc_stamp(when, false) + " ";
  }
  line += level_name(level);
  line += ' ';
  line += message;
  line += '\n';
  return line;
}

bool stream_is_journal(int fd) {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  const LogSink sink{.format = static_cast<LogFormat>(g_format.load()),
                     .journal = journal_stderr()};
  const std::string line = format_log_line(sink, level, message, std::chrono::system_clock::now());
  // One write(2) per line: stderr is shared by every thread, and a line must stay whole.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void log_exception::operator()(const std::exception_ptr& e) const {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log_error(std::string(what) + ": " + ex.what());
  } catch (...) {
    log_error(std::string(what) + ": unknown exception");
  }
}

}  // namespace shelter::proxy
