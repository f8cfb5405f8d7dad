// shelterd: the Shelter filtering DNS resolver. The only file not linked into tests.

#include <cstdio>
#include <cstring>
#include <string_view>

#include "proxy/daemon.h"
#include "proxy/version.h"

namespace {

constexpr const char* kUsage = R"(Usage: shelterd [--config FILE] [--check-config]
       shelterd [--config FILE] --accept-list ID [--reason TEXT]

Shelter: a network-level child-protection filter (filtering DNS resolver).

Options:
  --config FILE    read configuration from FILE (YAML); without it the embedded defaults
                   are used: DNS on 127.0.0.1:5300 and [::1]:5300, admin on 127.0.0.1:9300,
                   upstreams from /etc/resolv.conf, and demo lists under shelter.test
  --check-config   load and validate the configuration and every list, then exit
                   (status 0 when valid; errors name the key and line; status 1 when a
                   list would be refused)
  --accept-list ID accept list ID as its file is now, although the checks refuse it (a
                   large shrink, or emptied on purpose): recorded with your name and the time
                   in the state directory, used once by the next reload (docs/list-updates.md)
  --reason TEXT    why, for the audit log (with --accept-list)
  --test-clock     let the admin API move this daemon's clock (integration tests only)
  --version        print the version and exit
  --help           print this help and exit

Signals: SIGHUP reloads configuration and lists (a bad configuration keeps the running one; a
refused list keeps its last good version);
SIGTERM and SIGINT drain queries in flight and stop. Under systemd (NOTIFY_SOCKET) it says
READY=1, RELOADING=1 and STOPPING=1; started as root it switches to the run-as user once its
listeners are bound (docs/operations.md).
)";

}  // namespace

int main(int argc, char** argv) {
  shelter::proxy::DaemonOptions options;
  bool check = false;
  std::string accept;
  std::string reason;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("shelterd %s\n", shelter::kVersion);
      return 0;
    }
    if (arg == "--check-config") {
      check = true;
    } else if (arg == "--test-clock") {
      options.test_clock = true;
    } else if (arg == "--accept-list" && i + 1 < argc) {
      accept = argv[++i];
    } else if (arg == "--reason" && i + 1 < argc) {
      reason = argv[++i];
    } else if (arg == "--config" && i + 1 < argc) {
      options.config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      options.config_path = std::string(arg.substr(std::strlen("--config=")));
    } else {
      std::fprintf(stderr, "shelterd: unknown argument '%s'\n\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (!accept.empty()) return shelter::proxy::accept_list(options, accept, reason);
  return check ? shelter::proxy::check_config(options) : shelter::proxy::run_daemon(options);
}
