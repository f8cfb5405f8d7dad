#include "proxy/querylog/log_pump.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "proxy/clock.h"
#include "proxy/log.h"

namespace shelter::proxy::querylog {
namespace {

// Four times a second: a worker's buffer (buffer-kb, 4 MiB by default, about 50 bytes a
// record) then holds some 300,000 queries a second before it drops.
constexpr std::chrono::milliseconds kFlushEvery{250};

Settings settings_of(const config::QueryLogConfig& config) {
  return {.directory = config.directory,
          .rotation_seconds = config.key_rotation.count() / 1000,
          .retention_seconds = config.retention.count() / 1000};
}

}  // namespace

LogPump::LogPump(const config::QueryLogConfig& config, std::vector<Buffer*> buffers,
                 const metrics::BlockSlots& slots, boost::asio::any_io_executor executor)
    : settings_(settings_of(config)),
      buffers_(std::move(buffers)),
      slots_(slots),
      writer_(settings_),
      timer_(std::move(executor)) {}

void LogPump::start() {
  std::error_code ec;
  if (std::filesystem::create_directories(settings_.directory, ec)) {
    ::chmod(settings_.directory.c_str(), 0750);
  }
  if (ec) throw std::system_error(ec, "logging.query-log.directory " + settings_.directory);
  const std::vector<std::string> deleted = writer_.prune(clock::now());
  log_info("query log: on, in " + settings_.directory + ", one key and file per " +
           std::to_string(settings_.rotation_seconds) + " s, kept " +
           std::to_string(settings_.retention_seconds) + " s after; " +
           std::to_string(deleted.size()) + " file(s) past the retention deleted");
  keep_flushing();
}

void LogPump::flush() {
  std::vector<Source> sources;
  for (metrics::BlockSource& s : slots_.sources())
    sources.push_back({std::move(s.list), std::move(s.category)});
  const std::int64_t now = clock::now();
  for (Buffer* buffer : buffers_) {
    if (!writer_.write(buffer->take(), sources, now)) {
      log_warn("query log: cannot write to " + settings_.directory + "; lines lost");
    }
  }
}

void LogPump::stop() {
  timer_.cancel();
}

void LogPump::keep_flushing() {
  timer_.expires_after(kFlushEvery);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    flush();
    keep_flushing();
  });
}

std::string LogPump::render_metrics() const {
  std::uint64_t dropped = 0;
  for (const Buffer* buffer : buffers_)
    dropped += buffer->dropped();
  return "# HELP shelter_query_log_lines_total Query log lines written.\n"
         "# TYPE shelter_query_log_lines_total counter\n"
         "shelter_query_log_lines_total " +
         std::to_string(writer_.lines()) +
         "\n# HELP shelter_query_log_dropped_total Query log records dropped because a worker's "
         "buffer was full (queries are never held up for the log).\n"
         "# TYPE shelter_query_log_dropped_total counter\n"
         "shelter_query_log_dropped_total " +
         std::to_string(dropped) +
         "\n# HELP shelter_query_log_write_errors_total Flushes whose lines could not be written "
         "to the query log's directory.\n"
         "# TYPE shelter_query_log_write_errors_total counter\n"
         "shelter_query_log_write_errors_total " +
         std::to_string(writer_.write_errors()) + "\n";
}

}  // namespace shelter::proxy::querylog
