#pragma once
// Telling the service manager how shelterd is doing (sd_notify(3), libsystemd): ready, reloading,
// stopping, the status line `systemctl status` shows, and the watchdog's keep-alive. Every call
// is a no-op when NOTIFY_SOCKET is unset (not started by systemd with Type=notify).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::proxy::service {

/// READY=1 with STATUS=<status>: shelterd serves (after start, and after each SIGHUP reload).
void notify_ready(std::string_view status);
/// RELOADING=1 with MONOTONIC_USEC=<now>: a SIGHUP reload starts. systemd 253's
/// Type=notify-reload needs the time stamp; systemd 252's Type=notify takes the same message.
void notify_reloading();
/// STOPPING=1 with STATUS=<status>: draining has started.
void notify_stopping(std::string_view status);
/// STATUS=<status> alone (lists swapped in without a reload).
void notify_status(std::string_view status);
/// WATCHDOG=1.
void notify_watchdog();
/// How often to send WATCHDOG=1 (half of WatchdogSec=), or none when no watchdog is asked for.
std::optional<std::chrono::microseconds> watchdog_period();

/// The messages themselves (pure: the tests call them). A status is one line: control
/// characters become spaces.
std::string ready_message(std::string_view status);
std::string reloading_message(std::uint64_t monotonic_usec);
std::string stopping_message(std::string_view status);
std::string status_message(std::string_view status);

}  // namespace shelter::proxy::service
