#pragma once
// Logging to stderr: one line per event with its level, written with a single write(2) so that
// lines of different threads never interleave. Text lines ("<time> <level> <message>") or JSON
// lines ({"ts","level","msg"}). No per-query logging goes through here.

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

namespace shelter::proxy {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };
enum class LogFormat { text, json };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
/// Thread-safe; takes effect for the next line.
void set_log_format(LogFormat format);
void log(LogLevel level, std::string_view message);

/// Where the lines go, as far as their shape is concerned: the journal (systemd's
/// JOURNAL_STREAM names stderr) keeps its own time stamps and reads a "<N>" syslog priority.
struct LogSink {
  LogFormat format = LogFormat::text;
  bool journal = false;
};

/// One line, newline included (pure: the tests call it). Text: "<time> <level> <message>", or
/// "<N><level> <message>" for the journal. JSON: {"ts":"...Z","level":"...","msg":"..."} with
/// control characters (newlines too) escaped and invalid UTF-8 replaced by U+FFFD, so every
/// line parses and one event is one line. Text keeps the message as it is (a failed reload's
/// reasons follow on indented lines).
std::string format_log_line(LogSink sink, LogLevel level, std::string_view message,
                            std::chrono::system_clock::time_point when);

/// True when JOURNAL_STREAM ("device:inode") names the file descriptor `fd` (sd_journal_stream).
bool stream_is_journal(int fd);

inline void log_error(std::string_view m) {
  log(LogLevel::error, m);
}
inline void log_warn(std::string_view m) {
  log(LogLevel::warn, m);
}
inline void log_info(std::string_view m) {
  log(LogLevel::info, m);
}

/// Completion handler for co_spawn: the one catch-all at a coroutine's boundary. An exception
/// that escaped a query's handling is logged (with `what`) and the process carries on.
struct log_exception {
  std::string_view what;
  void operator()(const std::exception_ptr& e) const;
};

}  // namespace shelter::proxy
