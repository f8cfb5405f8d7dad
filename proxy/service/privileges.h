#pragma once
// Running as an unprivileged user when started as root (`run-as:`, docs/operations.md), in two
// steps around the binding of the listeners:
//
//   assume_account()  as root, before any file is written: the account's groups and effective
//                     ids, so that every file made from here on belongs to it and every check is
//                     made as it; the capabilities binding needs stay effective on this thread.
//   drop_to_account() once every listener is bound, before serving: real, effective and saved
//                     ids become the account's, which empties every capability set; then root
//                     must be out of reach and no capability left, or shelterd does not start.
//
// Under systemd (deploy/systemd/shelterd.service) shelterd starts unprivileged with
// CAP_NET_BIND_SERVICE as an ambient capability and none of this runs.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config.h"

namespace shelter::proxy::service {

struct Account {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::string group;
};

/// run-as looked up in the user and group databases (NSS). Null, with `error` naming the key,
/// when the user or group is unknown, or is root.
std::optional<Account> find_account(const config::RunAsConfig& run_as, std::string& error);

/// A path shelterd writes or reads after start, and what it is (for the message).
struct NeededAccess {
  std::string path;
  std::string what;
  bool write = false;  ///< a directory shelterd creates files in (else: a file it reads again)
};

/// Checks each path with the effective ids in force (faccessat with AT_EACCESS, so ACLs and
/// read-only mounts count). A directory that does not exist yet needs its nearest existing
/// parent writable (shelterd creates it). One message per path that fails, naming it.
std::vector<std::string> check_access(const std::vector<NeededAccess>& needed);

/// Step 1 (see above). Throws std::system_error naming the call that failed.
void assume_account(const Account& account);

/// Step 2 (see above). Throws std::runtime_error when a call fails or a check finds a way back.
void drop_to_account(const Account& account);

/// no_new_privs (prctl) for this thread and the threads it starts later: execve never grants
/// privileges again. Per thread, so called before the first thread. Throws std::system_error.
void forbid_new_privileges();

/// Every thread's effective and permitted capabilities ORed together (/proc/self/task/*/status);
/// 0 when none is left. Null when /proc cannot be read.
std::optional<std::uint64_t> capabilities_left();

/// The CapEff or CapPrm value of a /proc status text (pure: the tests call it).
std::optional<std::uint64_t> capability_field(const std::string& status_text,
                                              const std::string& field);

}  // namespace shelter::proxy::service
