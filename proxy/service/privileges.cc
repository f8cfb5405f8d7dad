#include "proxy/service/privileges.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace shelter::proxy::service {
namespace {

namespace stdfs = std::filesystem;

[[noreturn]] void fail(const std::string& call) {
  throw std::system_error(errno, std::generic_category(), "run-as: " + call);
}

// The capabilities the listeners need while they are bound: privileged ports, and IP_TRANSPARENT
// for proxy.tproxy (CAP_NET_ADMIN or CAP_NET_RAW). Only those the process has are raised.
void keep_binding_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) fail("capget");
  const std::uint32_t wanted =
      (1u << CAP_NET_BIND_SERVICE) | (1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW);
  data[0].effective = data[0].permitted & wanted;
  data[1].effective = 0;
  if (::syscall(SYS_capset, &header, data) != 0) fail("capset");
}

std::string text_of(const stdfs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<Account> find_account(const config::RunAsConfig& run_as, std::string& error) {
  errno = 0;
  const passwd* pw = ::getpwnam(run_as.user.c_str());
  if (pw == nullptr) {
    error = "run-as.user: no user '" + run_as.user + "' on this system";
    return std::nullopt;
  }
  Account account{.uid = pw->pw_uid, .gid = pw->pw_gid, .user = run_as.user, .group = ""};
  if (account.uid == 0) {
    error = "run-as.user: '" + run_as.user + "' is root (uid 0); name an unprivileged user";
    return std::nullopt;
  }
  const group* gr =
      run_as.group.empty() ? ::getgrgid(account.gid) : ::getgrnam(run_as.group.c_str());
  if (gr == nullptr) {
    error = run_as.group.empty()
                ? "run-as.user: the primary group (gid " + std::to_string(account.gid) + ") of '" +
                      run_as.user + "' is not in the group database"
                : "run-as.group: no group '" + run_as.group + "' on this system";
    return std::nullopt;
  }
  account.gid = gr->gr_gid;
  account.group = gr->gr_name;
  if (account.gid == 0) {
    error = "run-as.group: '" + account.group + "' is root's group (gid 0); name another";
    return std::nullopt;
  }
  return account;
}

std::vector<std::string> check_access(const std::vector<NeededAccess>& needed) {
  std::vector<std::string> errors;
  for (const NeededAccess& n : needed) {
    stdfs::path path = n.path;
    std::error_code ec;
    std::string note;
    if (n.write) {
      // A directory shelterd creates: its nearest existing parent must take it.
      while (!stdfs::exists(path, ec) && path.has_parent_path() && path != path.parent_path()) {
        path = path.parent_path();
        note = " (it does not exist; " + path.string() + " would have to take it)";
      }
    }
    const int mode = n.write ? (W_OK | X_OK) : R_OK;
    if (::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0) continue;
    errors.push_back(n.what + " " + n.path + ": not " + (n.write ? "writable" : "readable") + note +
                     ": " + std::generic_category().message(errno));
  }
  return errors;
}

void assume_account(const Account& account) {
  // Supplementary groups first: setting them needs CAP_SETGID, gone once the euid is not 0.
  if (::initgroups(account.user.c_str(), account.gid) != 0) fail("initgroups");
  if (::setresgid(-1, account.gid, -1) != 0) fail("setresgid (effective)");
  // The saved uid stays 0, so the permitted set is kept (effective is emptied): the binding
  // capabilities can be raised again on this thread, the thread that binds.
  if (::setresuid(-1, account.uid, -1) != 0) fail("setresuid (effective)");
  keep_binding_capabilities();
}

void drop_to_account(const Account& account) {
  // An unprivileged process may set each id to its current real, effective or saved value:
  // the account's is the effective one, so no capability is needed for this.
  if (::setresgid(account.gid, account.gid, account.gid) != 0) fail("setresgid");
  if (::setresuid(account.uid, account.uid, account.uid) != 0) fail("setresuid");
  forbid_new_privileges();  // this thread's again, in case the caller's start skipped it
  // Verify rather than trust: root must be out of reach and nothing privileged left.
  if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0) {
    throw std::runtime_error("run-as: root could be regained after switching to '" + account.user +
                             "'");
  }
  uid_t r = 0, e = 0, s = 0;
  gid_t gr = 0, ge = 0, gs = 0;
  if (::getresuid(&r, &e, &s) != 0 || ::getresgid(&gr, &ge, &gs) != 0 || r != account.uid ||
      e != account.uid || s != account.uid || gr != account.gid || ge != account.gid ||
      gs != account.gid) {
    throw std::runtime_error("run-as: the user and group ids are not all '" + account.user +
                             "' / '" + account.group + "' after switching");
  }
  const std::optional<std::uint64_t> left = capabilities_left();
  if (!left || *left != 0) {
    throw std::runtime_error("run-as: capabilities are left after switching to '" + account.user +
                             "' (/proc/self/task/*/status CapEff, CapPrm)");
  }
}

void forbid_new_privileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    throw std::system_error(errno, std::generic_category(), "prctl(PR_SET_NO_NEW_PRIVS)");
  }
}

std::optional<std::uint64_t> capability_field(const std::string& status_text,
                                              const std::string& field) {
  std::istringstream lines(status_text);
  std::string line;
  const std::string prefix = field + ":";
  while (std::getline(lines, line)) {
    if (!line.starts_with(prefix)) continue;
    const std::string value = line.substr(prefix.size());
    const std::size_t start = value.find_first_not_of(" \t");
    if (start == std::string::npos) return std::nullopt;
    std::size_t used = 0;
    try {
      const std::uint64_t bits = std::stoull(value.substr(start), &used, 16);
      if (start + used != value.size()) return std::nullopt;
      return bits;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> capabilities_left() {
  std::uint64_t all = 0;
  std::error_code ec;
  std::size_t threads = 0;
  for (const auto& task : stdfs::directory_iterator("/proc/self/task", ec)) {
    const std::string status = text_of(task.path() / "status");
    const auto effective = capability_field(status, "CapEff");
    const auto permitted = capability_field(status, "CapPrm");
    if (!effective || !permitted) return std::nullopt;
    all |= *effective | *permitted;
    ++threads;
  }
  if (ec || threads == 0) return std::nullopt;
  return all;
}

}  // namespace shelter::proxy::service
