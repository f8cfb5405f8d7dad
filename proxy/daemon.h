#pragma once
// shelterd's life: load and validate everything, start workers and the admin listener, reload
// on SIGHUP, drain and stop on SIGTERM/SIGINT.

#include <optional>
#include <string>

namespace shelter::proxy {

struct DaemonOptions {
  std::optional<std::string> config_path;  ///< none: the embedded defaults
};

/// Loads configuration and lists and reports what it found; starts nothing. Exit status.
int check_config(const DaemonOptions& options);

/// Runs shelterd in the foreground until SIGTERM or SIGINT. Exit status.
int run_daemon(const DaemonOptions& options);

}  // namespace shelter::proxy
