#include "proxy/service/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

namespace shelter::proxy::service {
namespace {

std::string one_line(std::string_view status) {
  std::string out(status);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

void send(const std::string& message) {
  // The environment is kept (unset_environment 0): every later message goes to the same socket.
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;
  ::sd_notify(0, message.c_str());
}

std::uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000;
}

}  // namespace

std::string ready_message(std::string_view status) {
  return "READY=1\nSTATUS=" + one_line(status);
}

std::string reloading_message(std::uint64_t usec) {
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

std::string stopping_message(std::string_view status) {
  return "STOPPING=1\nSTATUS=" + one_line(status);
}

std::string status_message(std::string_view status) {
  return "STATUS=" + one_line(status);
}

void notify_ready(std::string_view status) {
  send(ready_message(status));
}

void notify_reloading() {
  send(reloading_message(monotonic_usec()));
}

void notify_stopping(std::string_view status) {
  send(stopping_message(status));
}

void notify_status(std::string_view status) {
  send(status_message(status));
}

void notify_watchdog() {
  send("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> watchdog_period() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace shelter::proxy::service
