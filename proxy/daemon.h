#pragma once
// shelterd's life: load and validate everything, start workers and the admin listener, reload
// on SIGHUP, drain and stop on SIGTERM/SIGINT.

#include <optional>
#include <string>

namespace shelter::proxy {

struct DaemonOptions {
  std::optional<std::string> config_path;  ///< none: the embedded defaults
  /// The admin API may move the daemon's clock (POST /v1/test/clock): for tests only.
  bool test_clock = false;
};

/// Loads configuration and lists and reports what it found; starts nothing. Exit status.
int check_config(const DaemonOptions& options);

/// Records the operator's acceptance of list `id` as its file is now (a shrink or an emptied
/// list the checks refuse), for the running shelterd's next reload. Exit status.
int accept_list(const DaemonOptions& options, const std::string& id, const std::string& reason);

/// Runs shelterd in the foreground until SIGTERM or SIGINT. Exit status.
int run_daemon(const DaemonOptions& options);

}  // namespace shelter::proxy
