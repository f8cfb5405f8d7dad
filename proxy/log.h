#pragma once
// Minimal logging to stderr: one line per event, with a timestamp and a level. No per-query
// logging goes through here unless the operator turned query logging on.

#include <exception>
#include <string_view>

namespace shelter::proxy {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

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
