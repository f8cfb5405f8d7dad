#include "proxy/cases/referral.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "proxy/json_text.h"

extern char** environ;

namespace shelter::proxy::cases {
namespace {

constexpr auto kDeliveryTimeout = std::chrono::seconds(10);

std::string iso8601(std::int64_t t) {
  std::time_t time = t;
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string run_command(const std::vector<std::string>& argv, const std::string& input) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "cannot make a pipe";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, argv.front().c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[0]);
  if (spawned != 0) {
    ::close(pipe_fds[1]);
    return "cannot run " + argv.front() + ": " + std::strerror(spawned);
  }
  // The record is small (well under a pipe's buffer), so this write does not block.
  const ssize_t written = ::write(pipe_fds[1], input.data(), input.size());
  ::close(pipe_fds[1]);
  (void)written;
  const auto deadline = std::chrono::steady_clock::now() + kDeliveryTimeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) return "lost the command";
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return "the command took longer than 10 s and was stopped";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return "the command " + (WIFEXITED(status) ? "exited " + std::to_string(WEXITSTATUS(status))
                                             : std::string("was killed"));
}

std::string post_webhook(const std::string& url, const std::string& body) {
  // http://host[:port]/path
  std::string_view rest = std::string_view(url).substr(7);
  const std::size_t slash = rest.find('/');
  std::string authority(rest.substr(0, slash));
  const std::string target =
      slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string host = authority;
  std::string port = "80";
  if (const std::size_t colon = authority.rfind(':');
      colon != std::string::npos && authority.find(']') == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(kDeliveryTimeout);
    stream.connect(resolver.resolve(host, port));
    beast::http::request<beast::http::string_body> request{beast::http::verb::post, target, 11};
    request.set(beast::http::field::host, authority);
    request.set(beast::http::field::content_type, "application/json");
    request.set(beast::http::field::user_agent, "shelterd");
    request.body() = body;
    request.prepare_payload();
    beast::http::write(stream, request);
    beast::flat_buffer buffer;
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(64 * 1024);
    beast::http::read(stream, buffer, parser);
    const unsigned status = parser.get().result_int();
    if (status >= 200 && status < 300) return {};
    return "the webhook answered " + std::to_string(status);
  } catch (const std::exception& e) {
    return std::string("the webhook failed: ") + e.what();
  }
}

}  // namespace

std::string referral_json(const Appeal& appeal, std::string_view organisation) {
  std::string out = "{\"case\":" + json_string(appeal.id);
  out += ",\"url\":" + json_string(appeal.url.empty() ? appeal.site : appeal.url);
  out += ",\"list\":" + json_string(appeal.list);
  out += ",\"operator\":" + json_string(organisation);
  out += ",\"received\":" + json_string(iso8601(appeal.created));
  out += ",\"reporter\":" + json_string(reporter_name(appeal.reporter));
  out += ",\"reason\":" + json_string(appeal.why);
  if (!appeal.contact.empty()) out += ",\"contact\":" + json_string(appeal.contact);
  return out + "}";
}

Referral deliver_referral(const Appeal& appeal, const config::CasesConfig& config,
                          std::string_view organisation, std::int64_t now) {
  Referral result{.delivered = false, .at = now, .detail = {}};
  const std::string record = referral_json(appeal, organisation);
  std::vector<std::string> outcomes;
  bool failed = false;
  if (!config.referral_command.empty()) {
    const std::string error = run_command(config.referral_command, record + "\n");
    failed |= !error.empty();
    outcomes.push_back(error.empty() ? "command ok" : error);
  }
  if (!config.referral_webhook.empty()) {
    const std::string error = post_webhook(config.referral_webhook, record);
    failed |= !error.empty();
    outcomes.push_back(error.empty() ? "webhook ok" : error);
  }
  if (outcomes.empty()) {
    result.detail = "not delivered: no cases.referral-command or referral-webhook configured";
    return result;
  }
  result.delivered = !failed;
  for (const std::string& o : outcomes)
    result.detail += (result.detail.empty() ? "" : "; ") + o;
  return result;
}

}  // namespace shelter::proxy::cases
