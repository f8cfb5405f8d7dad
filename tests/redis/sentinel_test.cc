// The Client with Redis Sentinel: a primary, a replica and one sentinel, all private. Finding
// the primary, reading from the replica, refusing a "primary" that is not one, and following a
// failover.

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "proxy/redis/client.h"
#include "proxy/redis/sentinel.h"
#include "proxy/redis/sentinel_watch.h"
#include "proxy/redis/subscriber.h"
#include "tests/redis/redis_fixture.h"

using namespace shelter::test;
using namespace shelter::proxy::redis;
namespace asio = boost::asio;

namespace {

std::vector<std::string> sentinel_args(std::uint16_t port, std::uint16_t primary,
                                       std::uint16_t replica) {
  std::filesystem::path dir = scratch_dir() / "sentinel";
  std::filesystem::create_directories(dir);
  std::filesystem::path conf = dir / "sentinel.conf";
  std::ofstream out(conf);
  out << "port " << port << "\nbind 127.0.0.1\ndir " << dir.string() << "\n"
      << "sentinel monitor shelter 127.0.0.1 " << primary << " 1\n"
      << "sentinel down-after-milliseconds shelter 500\n"
      << "sentinel failover-timeout shelter 2000\n"
      // A "master" that is really a replica: what a stale answer looks like.
      << "sentinel monitor stale 127.0.0.1 " << replica << " 1\n";
  return {conf.string(), "--sentinel"};
}

bool replication_up(std::uint16_t replica) {
  return admin(replica, {"INFO", "replication"}).text.find("master_link_status:up") !=
         std::string::npos;
}

bool sentinel_sees_replica(std::uint16_t sentinel) {
  return !parse_healthy_replicas(admin(sentinel, {"SENTINEL", "replicas", "shelter"})).empty();
}

// Polls a blocking check without running any io_context.
template <typename Check>
bool wait_for(Check check, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (!check()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

struct SentinelRig {
  SentinelRig()
      : p(free_port()),
        r(free_port()),
        s(free_port()),
        primary("primary", server_args(p, "primary"), p),
        replica("replica",
                server_args(r, "replica", {"--replicaof", "127.0.0.1", std::to_string(p)}), r),
        sentinel_ready(wait_for([&] { return replication_up(r); }, 5s)),
        sentinel("sentinel", sentinel_args(s, p, r), s) {
    REQUIRE(sentinel_ready);
    REQUIRE(wait_for([&] { return sentinel_sees_replica(s); }, 5s));
  }

  Settings settings(std::string master_name = "shelter") const {
    Settings out;
    out.sentinel.sentinels = {local(s)};
    out.sentinel.master_name = std::move(master_name);
    return out;
  }

  std::uint16_t p, r, s;
  RedisServer primary, replica;
  bool sentinel_ready;
  RedisServer sentinel;
  asio::io_context io;
};

std::string role(asio::io_context& io, Client& client) {
  Result r = await(io, client.command({"ROLE"}));
  return r.ok() && !r.reply().elements.empty() ? r.reply().elements[0].text : "?";
}

}  // namespace

TEST_CASE("Sentinel: the primary is found and followed through a failover") {
  SentinelRig rig;
  std::printf("[sentinel] primary %u, replica %u, sentinel %u\n", unsigned{rig.p}, unsigned{rig.r},
              unsigned{rig.s});
  Client client(rig.io.get_executor(), rig.settings());
  int connected_events = 0;
  client.on_connected([&] { ++connected_events; });
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.connected(); }));
  CHECK(client.server() == local(rig.p));
  CHECK(role(rig.io, client) == "master");

  Settings reads = rig.settings();
  reads.prefer_replica = true;
  Client reader(rig.io.get_executor(), reads);
  reader.start();
  REQUIRE(run_until(rig.io, [&] { return reader.connected(); }));
  CHECK(reader.server() == local(rig.r));
  CHECK(role(rig.io, reader) == "slave");

  auto started = Clock::now();
  REQUIRE(admin(rig.s, {"SENTINEL", "FAILOVER", "shelter"}).is_text("OK"));
  REQUIRE(run_until(
      rig.io, [&] { return client.server() == local(rig.r); }, 10s));
  double switched_ms = ms_since(started);
  CHECK(role(rig.io, client) == "master");
  CHECK(connected_events == 2);
  std::printf("[timing] failover: the client is on the new primary after %.0f ms\n", switched_ms);
  CHECK(await(rig.io, client.command({"SET", "shelter:after", "failover"})).reply().is_text("OK"));
}

TEST_CASE("Sentinel: a named primary that says ROLE slave is refused") {
  SentinelRig rig;
  Client client(rig.io.get_executor(), rig.settings("stale"));
  client.start();
  REQUIRE(run_until(rig.io, [&] { return client.counters().errors >= 2; }));
  CHECK_FALSE(client.connected());

  Client unknown(rig.io.get_executor(), rig.settings("nobody"));
  unknown.start();
  REQUIRE(run_until(rig.io, [&] { return unknown.counters().errors >= 1; }));
  CHECK_FALSE(unknown.connected());
}

namespace {

// Connections on the sentinel in SUBSCRIBE mode (CLIENT LIST's `sub=` field above 0).
int sentinel_subscriptions(std::uint16_t sentinel) {
  const std::string list = admin(sentinel, {"CLIENT", "LIST"}).text;
  int n = 0;
  for (std::size_t at = list.find(" sub="); at != std::string::npos;
       at = list.find(" sub=", at + 1)) {
    if (list.compare(at, 7, " sub=0 ") != 0) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("Sentinel: one watch per process serves every client and subscriber") {
  SentinelRig rig;
  // The watch on a thread of its own, as the daemon's control thread; the connections on
  // another, as the workers': announcements cross to their executor.
  asio::io_context control;
  auto guard = asio::make_work_guard(control);
  std::shared_ptr<SentinelWatch> watch =
      SentinelWatch::start(control.get_executor(), rig.settings());
  std::thread control_thread([&] { control.run(); });
  REQUIRE(wait_for([&] { return sentinel_subscriptions(rig.s) == 1; }, 5s));
  CHECK(SentinelWatch::find(rig.settings()) == watch);
  CHECK(SentinelWatch::find(rig.settings("other")) == nullptr);

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(rig.io.get_executor(), rig.settings()));
    clients.back()->start();
  }
  int messages = 0;
  Subscriber subscriber(rig.io.get_executor(), rig.settings(), {"news"},
                        [&](std::string_view, std::string_view) { ++messages; });
  subscriber.start();
  // The subscriber has no server() to ask: its connection count shows it moved.
  const auto all_on = [&](std::uint16_t port, std::uint64_t subscriber_connects) {
    for (const auto& c : clients)
      if (c->server() != local(port)) return false;
    return subscriber.subscribed() && subscriber.counters().connects == subscriber_connects;
  };
  REQUIRE(run_until(rig.io, [&] { return all_on(rig.p, 1); }));
  CHECK(watch->listeners() == 5);
  // Five connections, one +switch-master subscription on the sentinel (five without the watch).
  CHECK(sentinel_subscriptions(rig.s) == 1);

  REQUIRE(admin(rig.s, {"SENTINEL", "FAILOVER", "shelter"}).is_text("OK"));
  REQUIRE(run_until(
      rig.io, [&] { return all_on(rig.r, 2); }, 10s));
  for (const auto& c : clients)
    CHECK(role(rig.io, *c) == "master");
  CHECK(sentinel_subscriptions(rig.s) == 1);

  // A stopped client hears nothing more; the others still listen.
  clients.back()->stop();
  clients.pop_back();
  CHECK(watch->listeners() == 4);
  watch->stop();
  guard.reset();
  control_thread.join();
  CHECK(SentinelWatch::find(rig.settings()) == watch);  // registered until destroyed
  watch.reset();
  CHECK(SentinelWatch::find(rig.settings()) == nullptr);
}

TEST_CASE("Sentinel: without a watch each connection subscribes on its own") {
  SentinelRig rig;
  Client a(rig.io.get_executor(), rig.settings());
  Client b(rig.io.get_executor(), rig.settings());
  a.start();
  b.start();
  REQUIRE(run_until(rig.io, [&] { return a.connected() && b.connected(); }));
  REQUIRE(run_until(rig.io, [&] { return sentinel_subscriptions(rig.s) == 2; }));
  REQUIRE(admin(rig.s, {"SENTINEL", "FAILOVER", "shelter"}).is_text("OK"));
  REQUIRE(run_until(
      rig.io, [&] { return a.server() == local(rig.r) && b.server() == local(rig.r); }, 10s));
}
