#include "tests/redis/redis_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdlib>
#include <thread>

namespace shelter::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct ScratchDir {
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "shelter-redis-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~ScratchDir() {
    if (std::getenv("SHELTER_KEEP_SCRATCH") != nullptr) {
      std::fprintf(stderr, "scratch folder kept: %s\n", path.c_str());
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

tcp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::make_address_v4("127.0.0.1"), port};
}

// Up when it accepts a connection and (plain ports) answers a PING, with anything.
bool answers(std::uint16_t port, bool tls) {
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(loopback(port));
    if (tls) return true;
    asio::write(s, asio::buffer(std::string("PING\r\n")));
    char c = 0;
    return s.read_some(asio::buffer(&c, 1)) == 1;
  } catch (const std::exception&) {
    return false;
  }
}

void run_quiet(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("failed: " + command);
}

}  // namespace

const std::filesystem::path& scratch_dir() {
  static ScratchDir dir;
  return dir.path;
}

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, loopback(0));
  return acceptor.local_endpoint().port();
}

proxy::net::Endpoint local(std::uint16_t port) {
  return *proxy::net::Endpoint::parse("127.0.0.1", port);
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

RedisServer::RedisServer(std::string name, std::vector<std::string> args, std::uint16_t port,
                         bool tls)
    : name_(std::move(name)), args_(std::move(args)), port_(port), tls_(tls) {
  dir_ = scratch_dir() / name_;
  std::filesystem::create_directories(dir_);
  start();
}

RedisServer::~RedisServer() {
  kill();
}

void RedisServer::start() {
  std::string log = (dir_ / "server.log").string();
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    // The child dies with the test, even when the test crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (chdir(dir_.c_str()) != 0) _exit(126);
    std::vector<char*> argv = {const_cast<char*>(SHELTER_REDIS_SERVER)};
    for (std::string& a : args_)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(SHELTER_REDIS_SERVER, argv.data());
    _exit(127);
  }
  auto deadline = Clock::now() + 5s;
  while (!answers(port_, tls_)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) FAIL(name_ << " exited; see " << log);
    REQUIRE(Clock::now() < deadline);
    std::this_thread::sleep_for(5ms);
  }
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::vector<std::string> server_args(std::uint16_t port, const std::string& name,
                                     std::vector<std::string> extra) {
  std::filesystem::path dir = scratch_dir() / name;
  std::filesystem::create_directories(dir);
  std::vector<std::string> args = {"--port", std::to_string(port), "--bind", "127.0.0.1", "--save",
                                   "", "--appendonly", "no", "--dir", dir.string(),
                                   "--enable-debug-command", "local",
                                   // a replica gets its first copy at once, not after 5 s
                                   "--repl-diskless-sync-delay", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

proxy::redis::Reply admin(std::uint16_t port, std::vector<std::string> command,
                          const std::string& password) {
  using proxy::redis::encode_command;
  asio::io_context io;
  tcp::socket s(io);
  s.connect(loopback(port));
  std::string out;
  std::size_t expected = 1;
  if (!password.empty()) {
    out += encode_command(std::vector<std::string>{"AUTH", password});
    ++expected;
  }
  out += encode_command(command);
  asio::write(s, asio::buffer(out));
  proxy::redis::ReplyReader reader;
  std::vector<proxy::redis::Reply> replies;
  char buffer[4096];
  while (replies.size() < expected) {
    if (auto r = reader.next()) {
      replies.push_back(std::move(*r));
      continue;
    }
    REQUIRE_FALSE(reader.failed());
    reader.feed({buffer, s.read_some(asio::buffer(buffer))});
  }
  return replies.back();
}

const TestCertificates& test_certificates() {
  static const TestCertificates certs = [] {
    std::filesystem::path d = scratch_dir() / "tls";
    std::filesystem::create_directories(d);
    auto p = [&](const char* f) { return (d / f).string(); };
    const std::string openssl = SHELTER_OPENSSL;
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    run_quiet(openssl + " req -x509" + key + " -keyout " + p("ca.key") + " -out " + p("ca.crt") +
              " -days 2 -subj /CN=Shelter-test-CA");
    run_quiet(openssl + " req -x509" + key + " -keyout " + p("other.key") + " -out " +
              p("other.crt") + " -days 2 -subj /CN=Shelter-other-CA");
    run_quiet(openssl + " req" + key + " -keyout " + p("server.key") + " -out " + p("server.csr") +
              " -subj /CN=localhost");
    std::FILE* ext = std::fopen(p("ext.cnf").c_str(), "w");
    std::fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n", ext);
    std::fclose(ext);
    run_quiet(openssl + " x509 -req -in " + p("server.csr") + " -CA " + p("ca.crt") + " -CAkey " +
              p("ca.key") + " -CAcreateserial -days 2 -extfile " + p("ext.cnf") + " -out " +
              p("server.crt"));
    return TestCertificates{p("ca.crt"), p("server.crt"), p("server.key"), p("other.crt")};
  }();
  return certs;
}

}  // namespace shelter::test
