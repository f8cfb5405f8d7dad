// Operating shelterd: log lines (text, journal, JSON), the service manager's messages, the
// /proc capability fields, and the run-as and logging configuration keys.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "proxy/config/loader.h"
#include "proxy/log.h"
#include "proxy/service/notify.h"
#include "proxy/service/privileges.h"

namespace {

using shelter::proxy::format_log_line;
using shelter::proxy::LogFormat;
using shelter::proxy::LogLevel;
using shelter::proxy::LogSink;
namespace service = shelter::proxy::service;
namespace cfg = shelter::proxy::config;

// 2026-12-07T19:44:15.123Z
const auto kWhen = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796672655123));

std::string json(std::string_view message, LogLevel level = LogLevel::info) {
  return format_log_line({.format = LogFormat::json, .journal = false}, level, message, kWhen);
}

}  // namespace

TEST_CASE("JSON log lines: fields, escaping, one line each") {
  struct Case {
    std::string message;
    std::string msg_json;
  };
  const Case cases[] = {
      {"shelterd: ready", R"("shelterd: ready")"},
      {R"(say "hi" \ bye)", R"("say \"hi\" \\ bye")"},
      {"reload: failed:\n  dns.lisen: unknown key",
       R"("reload: failed:\u000a  dns.lisen: unknown key")"},
      {std::string("tab\there\rnul") + '\0' + "del\x7f",
       R"("tab\u0009here\u000dnul\u0000del\u007f")"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82\""},
      // Invalid UTF-8 (a lone continuation byte, a cut sequence, an overlong '/', a surrogate)
      // becomes U+FFFD, so a strict parser takes the line.
      {"a\x80z", "\"a\xef\xbf\xbdz\""},
      {"cut\xe2\x82", "\"cut\xef\xbf\xbd\xef\xbf\xbd\""},
      {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
      {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
  };
  for (const Case& c : cases) {
    INFO(c.message);
    CHECK(json(c.message) ==
          R"({"ts":"2026-12-07T19:44:15.123Z","level":"info","msg":)" + c.msg_json + "}\n");
  }
  CHECK(json("x", LogLevel::error).find(R"("level":"error")") != std::string::npos);
  CHECK(json("x", LogLevel::warn).find(R"("level":"warn")") != std::string::npos);
}

TEST_CASE("text log lines: a time stamp, or a syslog priority for the journal") {
  const LogSink text{.format = LogFormat::text, .journal = false};
  const LogSink journal{.format = LogFormat::text, .journal = true};
  CHECK(format_log_line(text, LogLevel::info, "shelterd: ready", kWhen) ==
        "2026-12-07T19:44:15Z info shelterd: ready\n");
  CHECK(format_log_line(journal, LogLevel::error, "bad", kWhen) == "<3>error bad\n");
  CHECK(format_log_line(journal, LogLevel::warn, "w", kWhen) == "<4>warn w\n");
  CHECK(format_log_line(journal, LogLevel::info, "i", kWhen) == "<6>info i\n");
  CHECK(format_log_line(journal, LogLevel::debug, "d", kWhen) == "<7>debug d\n");
  // JSON keeps its time stamp under the journal: its readers want it in the object.
  const LogSink json_journal{.format = LogFormat::json, .journal = true};
  CHECK(format_log_line(json_journal, LogLevel::info, "m", kWhen).starts_with("{\"ts\":\"2026"));
}

TEST_CASE("the journal is recognised by JOURNAL_STREAM naming the descriptor") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  const int fd = ::fileno(file);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(shelter::proxy::stream_is_journal(fd));
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  CHECK(shelter::proxy::stream_is_journal(fd));
  // Inherited by a child whose stderr went elsewhere: not the journal.
  std::FILE* other = std::tmpfile();
  REQUIRE(other != nullptr);
  CHECK_FALSE(shelter::proxy::stream_is_journal(::fileno(other)));
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  CHECK_FALSE(shelter::proxy::stream_is_journal(fd));
  ::unsetenv("JOURNAL_STREAM");
  std::fclose(other);
  std::fclose(file);
}

TEST_CASE("the service manager's messages") {
  CHECK(service::ready_message("serving: dns on 127.0.0.1:53") ==
        "READY=1\nSTATUS=serving: dns on 127.0.0.1:53");
  CHECK(service::reloading_message(123456789) == "RELOADING=1\nMONOTONIC_USEC=123456789");
  CHECK(service::stopping_message("stopping") == "STOPPING=1\nSTATUS=stopping");
  // A status is one line: a newline in it cannot add a second assignment (READY=1, MAINPID=).
  CHECK(service::status_message("a\nMAINPID=1") == "STATUS=a MAINPID=1");
}

TEST_CASE("capability fields of /proc/PID/status") {
  const std::string status =
      "Name:\tshelterd\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000400\n"
      "CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n";
  CHECK(service::capability_field(status, "CapEff") == 0u);
  CHECK(service::capability_field(status, "CapPrm") == 0x400u);
  CHECK(service::capability_field(status, "CapBnd") == 0x1ffffffffffu);
  CHECK_FALSE(service::capability_field(status, "CapAmb"));
  CHECK_FALSE(service::capability_field("CapEff:\tzz\n", "CapEff"));
  CHECK_FALSE(service::capability_field("CapEff:\t00ff junk\n", "CapEff"));
}

TEST_CASE("run-as and logging.format keys") {
  auto parse = [](const std::string& yaml) { return cfg::parse_config(yaml, "t.yaml"); };
  auto errors = [&](const std::string& yaml) {
    std::string all;
    for (const std::string& e : parse(yaml).errors)
      all += e + "\n";
    return all;
  };
  const auto ok =
      parse("run-as:\n  user: shelter\n  group: shelter-readers\nlogging:\n  format: json\n");
  REQUIRE(ok.config);
  CHECK(ok.config->run_as.user == "shelter");
  CHECK(ok.config->run_as.group == "shelter-readers");
  CHECK(ok.config->logging.format == "json");
  const auto none = parse("threads: 1\n");
  REQUIRE(none.config);
  CHECK(none.config->run_as.user.empty());
  CHECK(none.config->logging.format == "text");

  CHECK(errors("logging:\n  format: xml\n").find("logging.format") != std::string::npos);
  CHECK(errors("threads: 1\nrun-as:\n  user: 'a:b'\n")
            .find("run-as.user: 'a:b' is not a user name (line 3)") != std::string::npos);
  CHECK(errors("run-as:\n  user: -rf\n").find("run-as.user") != std::string::npos);
  CHECK(errors("run-as:\n  user: x\n  group: 'g/h'\n")
            .find("run-as.group: 'g/h' is not a group name (line 3)") != std::string::npos);
  CHECK(errors("run-as:\n  group: nogroup\n").find("run-as: has a group but no user") !=
        std::string::npos);
  CHECK(errors("run-as:\n  usr: x\n").find("did you mean 'user'?") != std::string::npos);
}

TEST_CASE("run-as accounts are looked up; root is refused") {
  std::string error;
  CHECK_FALSE(service::find_account({.user = "no-such-user-shelter", .group = ""}, error));
  CHECK(error == "run-as.user: no user 'no-such-user-shelter' on this system");
  CHECK_FALSE(service::find_account({.user = "root", .group = ""}, error));
  CHECK(error.starts_with("run-as.user: 'root' is root"));
  CHECK_FALSE(service::find_account({.user = "nobody", .group = "no-such-group-shelter"}, error));
  CHECK(error == "run-as.group: no group 'no-such-group-shelter' on this system");
  CHECK_FALSE(service::find_account({.user = "nobody", .group = "root"}, error));
  CHECK(error.starts_with("run-as.group: 'root' is root's group"));
}
