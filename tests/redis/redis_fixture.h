#pragma once
// Private redis-server processes for the Redis client tests, on free 127.0.0.1 ports, each with
// its own scratch folder; plus blocking helpers to run the io_context and talk to a server.

#include <sys/types.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "proxy/redis/resp.h"
#include "proxy/redis/settings.h"

namespace shelter::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// This process's scratch folder (removed at exit, unless SHELTER_KEEP_SCRATCH is set).
const std::filesystem::path& scratch_dir();
/// A port that was free on 127.0.0.1 a moment ago.
std::uint16_t free_port();
/// "127.0.0.1:port" as a config endpoint.
proxy::net::Endpoint local(std::uint16_t port);
double ms_since(Clock::time_point t);

/// A redis-server (or sentinel) child process; killed (SIGKILL) when destroyed.
class RedisServer {
 public:
  /// `args` follow the program name. `tls`: the port speaks TLS (readiness is then a TCP connect
  /// rather than a PING).
  RedisServer(std::string name, std::vector<std::string> args, std::uint16_t port,
              bool tls = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void kill();   ///< SIGKILL, as a crash would
  void start();  ///< again: same arguments, same port; waits until it answers
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string name_;
  std::vector<std::string> args_;
  std::uint16_t port_;
  bool tls_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

/// Arguments for a plain, throwaway data server on `port` (no persistence, DEBUG allowed),
/// working in the scratch folder `name` (give the RedisServer the same name).
std::vector<std::string> server_args(std::uint16_t port, const std::string& name,
                                     std::vector<std::string> extra = {});

/// One command over a fresh blocking connection (with AUTH first when `password` is set).
proxy::redis::Reply admin(std::uint16_t port, std::vector<std::string> command,
                          const std::string& password = {});

/// Runs the io_context until `done()` or `limit`; returns done().
template <typename Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::milliseconds limit = 5s) {
  auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) {
    io.restart();
    io.run_one_for(2ms);
  }
  return done();
}

/// Runs one coroutine to completion on `io` and returns its value (fails the test after `limit`).
template <typename T>
T await(boost::asio::io_context& io, boost::asio::awaitable<T> a,
        std::chrono::milliseconds limit = 5s) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T value) {
    error = e;
    out = std::move(value);
  });
  REQUIRE(run_until(
      io, [&] { return out.has_value(); }, limit));
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

/// A CA, a server certificate for 127.0.0.1 and "localhost" signed by it, and an unrelated CA.
struct TestCertificates {
  std::string ca, server_cert, server_key, other_ca;
};
const TestCertificates& test_certificates();

}  // namespace shelter::test
