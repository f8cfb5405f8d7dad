// The Client against a real redis-server: commands, pipelining, a crash and a restart, command
// timeouts, AUTH (password and ACL user), and stopping with commands in flight.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <memory>

#include "proxy/redis/client.h"
#include "tests/redis/redis_fixture.h"

using namespace shelter::test;
using namespace shelter::proxy::redis;
namespace asio = boost::asio;

namespace {

Settings settings_for(std::uint16_t port) {
  Settings s;
  s.servers = {local(port)};
  return s;
}

struct Rig {
  explicit Rig(const char* name, std::vector<std::string> extra = {})
      : port(free_port()), server(name, server_args(port, name, extra), port) {}
  std::uint16_t port;
  RedisServer server;
  asio::io_context io;
};

}  // namespace

TEST_CASE("commands and replies and a pipeline of 1000 in order") {
  Rig rig("commands");
  Client client(rig.io.get_executor(), settings_for(rig.port));
  Result early = await(rig.io, client.command({"PING"}));
  CHECK(early.error().kind == ErrorKind::not_connected);  // not started: fails at once
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.connected(); }));

  CHECK(await(rig.io, client.command({"SET", "shelter:k", "v"})).reply().is_text("OK"));
  CHECK(await(rig.io, client.command({"GET", "shelter:k"})).reply().is_text("v"));
  CHECK(await(rig.io, client.command({"GET", "shelter:none"})).reply().type == ReplyType::nil);
  Result wrong = await(rig.io, client.command({"HGET", "shelter:k", "f"}));
  REQUIRE(wrong.ok());  // a Redis error is a reply
  CHECK(wrong.reply().is_error());

  // RPUSH answers with the list's length: the n-th command must get n, and they complete in order.
  constexpr int kCount = 1000;
  std::vector<std::int64_t> lengths;
  int failures = 0;
  auto started = Clock::now();
  for (int i = 0; i < kCount; ++i) {
    asio::co_spawn(
        rig.io,
        [&, i]() -> asio::awaitable<void> {
          Result r = co_await client.command("RPUSH", "shelter:list", std::to_string(i));
          if (!r.ok())
            ++failures;
          else
            lengths.push_back(r.reply().integer);
        },
        asio::detached);
  }
  REQUIRE(run_until(rig.io, [&] { return lengths.size() + failures == kCount; }));
  std::printf("[timing] %d pipelined commands: %.1f ms\n", kCount, ms_since(started));
  CHECK(failures == 0);
  for (int i = 0; i < kCount; ++i)
    REQUIRE(lengths[i] == i + 1);
  Result range = await(rig.io, client.command({"LRANGE", "shelter:list", "997", "-1"}));
  CHECK(range.reply().elements.size() == 3);
  CHECK(range.reply().elements[2].is_text("999"));
  CHECK(client.counters().connects == 1);
  CHECK(client.counters().errors == 0);
}

TEST_CASE("a crash fails commands at once and the restart is found and announced") {
  Rig rig("crash");
  Settings settings = settings_for(rig.port);
  Client client(rig.io.get_executor(), settings);
  int connected_events = 0;
  client.on_connected([&] { ++connected_events; });
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.connected(); }));
  CHECK(connected_events == 1);

  // A command in flight when Redis dies fails (io); the next ones fail at once (not_connected).
  // Timed inside a coroutine, so the test loop's own pace does not count.
  auto killed = Clock::now();
  rig.server.kill();
  double fail_after_ms = -1;
  double one_failure_us = -1;
  asio::co_spawn(
      rig.io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          Result r = co_await client.command("PING");
          if (!r.ok() && r.error().kind == ErrorKind::not_connected) break;
        }
        fail_after_ms = ms_since(killed);
        auto t = Clock::now();
        Result again = co_await client.command("PING");
        one_failure_us = ms_since(t) * 1000;
        CHECK(again.error().kind == ErrorKind::not_connected);
      },
      asio::detached);
  REQUIRE(run_until(
      rig.io, [&] { return one_failure_us >= 0; }, 2s));
  std::printf("[timing] after the kill: not_connected after %.2f ms; a failing command: %.1f us\n",
              fail_after_ms, one_failure_us);
  CHECK(fail_after_ms < 100);  // generous: CI machines are busy
  CHECK(one_failure_us < 1000);

  // Down for a while (back-off grows), then back on the same port.
  run_until(
      rig.io, [] { return false; }, 700ms);
  CHECK(client.counters().errors >= 2);  // failed attempts while down
  auto restarted = Clock::now();
  rig.server.start();
  double started_ms = ms_since(restarted);
  REQUIRE(run_until(
      rig.io, [&] { return client.connected(); }, 6s));
  std::printf("[timing] reconnected %.0f ms after the restart began (server up in %.0f ms)\n",
              ms_since(restarted), started_ms);
  CHECK(connected_events == 2);
  CHECK(client.counters().connects == 2);
  CHECK(client.counters().disconnects == 1);
  CHECK(await(rig.io, client.command({"PING"})).reply().is_text("PONG"));
}

TEST_CASE("a command timeout drops the connection, which comes back") {
  Rig rig("timeout");
  Settings settings = settings_for(rig.port);
  settings.command_timeout = 100ms;
  Client client(rig.io.get_executor(), settings);
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.connected(); }));

  auto t = Clock::now();
  Result r = await(rig.io, client.command({"DEBUG", "SLEEP", "1"}));
  double timed_out_ms = ms_since(t);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::timeout);
  CHECK(timed_out_ms >= 99);
  CHECK(timed_out_ms < 250);  // generous: CI machines are busy
  CHECK(client.counters().timeouts == 1);
  CHECK_FALSE(client.connected());

  // Redis sleeps for a second: attempts meanwhile time out, then the client is back.
  REQUIRE(run_until(
      rig.io, [&] { return client.connected(); }, 5s));
  std::printf("[timing] timeout after %.0f ms, connected again after %.0f ms\n", timed_out_ms,
              ms_since(t));
  CHECK(await(rig.io, client.command({"PING"})).reply().is_text("PONG"));
  CHECK(client.counters().disconnects == 1);
}

TEST_CASE("AUTH with requirepass and SELECT and a wrong password") {
  Rig rig("requirepass", {"--requirepass", "s3cret"});
  admin(rig.port, {"SET", "shelter:db", "zero"}, "s3cret");
  Settings settings = settings_for(rig.port);
  settings.password = "s3cret";
  settings.database = 3;
  Client client(rig.io.get_executor(), settings);
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.connected(); }));
  CHECK(await(rig.io, client.command({"GET", "shelter:db"})).reply().type == ReplyType::nil);
  CHECK(await(rig.io, client.command({"CLIENT", "INFO"})).reply().text.find("db=3") !=
        std::string::npos);

  settings.password = "wrong";
  Client denied(rig.io.get_executor(), settings);
  denied.start();
  REQUIRE(run_until(rig.io, [&] { return denied.counters().errors >= 2; }));
  CHECK_FALSE(denied.connected());
  CHECK(denied.counters().connects == 0);
  CHECK(await(rig.io, denied.command({"PING"})).error().kind == ErrorKind::not_connected);
}

TEST_CASE("an ACL user gets exactly its rights") {
  Rig rig("acl");
  Reply set =
      admin(rig.port, {"ACL", "SETUSER", "shelter", "on", ">pw", "~shelter:*", "&*", "+get",
                       "+hget", "+hgetall", "+hscan", "+ping", "+subscribe", "+select", "+role"});
  REQUIRE(set.is_text("OK"));
  admin(rig.port, {"HSET", "shelter:profile:1", "categories", "adult,gambling"});
  Settings settings = settings_for(rig.port);
  settings.user = "shelter";
  settings.password = "pw";
  Client client(rig.io.get_executor(), settings);
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.connected(); }));
  CHECK(await(rig.io, client.command({"HGET", "shelter:profile:1", "categories"}))
            .reply()
            .is_text("adult,gambling"));
  Result denied = await(rig.io, client.command({"SET", "shelter:x", "1"}));
  CHECK(denied.reply().is_error());
  CHECK(denied.reply().text.starts_with("NOPERM"));
  CHECK(await(rig.io, client.command({"GET", "other:x"})).reply().is_error());  // key pattern

  settings.password = "not-pw";
  Client wrong(rig.io.get_executor(), settings);
  wrong.start();
  REQUIRE(run_until(rig.io, [&] { return wrong.counters().errors >= 1; }));
  CHECK_FALSE(wrong.connected());
}

TEST_CASE("destroying a Client with commands in flight completes them all") {
  Rig rig("destroy");
  auto client = std::make_unique<Client>(rig.io.get_executor(), settings_for(rig.port));
  client->start();
  REQUIRE(run_until(rig.io, [&] { return client->connected(); }));
  std::vector<ErrorKind> kinds;
  for (int i = 0; i < 50; ++i) {
    asio::co_spawn(
        rig.io,
        [&, c = client.get(), i]() -> asio::awaitable<void> {
          // Not `co_await (i == 0 ? a : b)`: GCC 12 destroys that temporary twice.
          Result r;
          if (i == 0) {
            r = co_await c->command("DEBUG", "SLEEP", "0.2");
          } else {
            r = co_await c->command("PING");
          }
          kinds.push_back(r.ok() ? ErrorKind::cancelled : r.error().kind);
        },
        asio::detached);
  }
  rig.io.restart();
  rig.io.run_for(20ms);  // all written, none answered (Redis sleeps)
  client.reset();
  REQUIRE(run_until(
      rig.io, [&] { return kinds.size() == 50; }, 1s));
  CHECK(std::count(kinds.begin(), kinds.end(), ErrorKind::not_connected) == 50);

  // And the io_context itself may go away with a Client mid-flight.
  {
    asio::io_context io;
    Client orphan(io.get_executor(), settings_for(rig.port));
    orphan.start();
    run_until(io, [&] { return orphan.connected(); });
    asio::co_spawn(io, orphan.command({"DEBUG", "SLEEP", "0.2"}), asio::detached);
    io.restart();
    io.run_for(10ms);
  }
}
