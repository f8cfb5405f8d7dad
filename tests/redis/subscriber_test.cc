// The Subscriber against a real redis-server: messages, a resubscription after a restart, and
// a connection that stops answering its keepalive PINGs.

#include <boost/asio/io_context.hpp>
#include <thread>
#include <utility>

#include "proxy/redis/subscriber.h"
#include "tests/redis/redis_fixture.h"

using namespace shelter::test;
using namespace shelter::proxy::redis;
namespace asio = boost::asio;

namespace {

struct SubscriberRig {
  SubscriberRig() : port(free_port()), server("pubsub", server_args(port, "pubsub"), port) {}

  Settings settings() const {
    Settings s;
    s.servers = {local(port)};
    s.keepalive_interval = 100ms;
    s.command_timeout = 100ms;
    return s;
  }

  std::uint16_t port;
  RedisServer server;
  asio::io_context io;
  std::vector<std::pair<std::string, std::string>> messages;
  int subscribed_events = 0;
};

}  // namespace

TEST_CASE("Subscriber: messages, and a resubscription after a restart") {
  SubscriberRig rig;
  Subscriber subscriber(rig.io.get_executor(), rig.settings(),
                        {"shelter:invalidate", "shelter:lists"},
                        [&](std::string_view channel, std::string_view message) {
                          rig.messages.emplace_back(channel, message);
                        });
  subscriber.on_subscribed([&] { ++rig.subscribed_events; });
  subscriber.start();
  REQUIRE(run_until(rig.io, [&] { return subscriber.subscribed(); }));
  CHECK(rig.subscribed_events == 1);

  CHECK(admin(rig.port, {"PUBLISH", "shelter:invalidate", "profile:42"}).integer == 1);
  CHECK(admin(rig.port, {"PUBLISH", "shelter:lists", "reload"}).integer == 1);
  REQUIRE(run_until(rig.io, [&] { return rig.messages.size() == 2; }));
  CHECK(rig.messages[0] == std::pair<std::string, std::string>{"shelter:invalidate", "profile:42"});
  CHECK(rig.messages[1] == std::pair<std::string, std::string>{"shelter:lists", "reload"});

  // Several keepalive rounds go by without a timeout.
  run_until(
      rig.io, [] { return false; }, 400ms);
  CHECK(subscriber.counters().timeouts == 0);
  CHECK(subscriber.subscribed());

  rig.server.kill();
  REQUIRE(run_until(rig.io, [&] { return !subscriber.subscribed(); }));
  auto restarted = Clock::now();
  rig.server.start();
  REQUIRE(run_until(
      rig.io, [&] { return rig.subscribed_events == 2; }, 6s));
  std::printf("[timing] subscriber: subscribed again %.0f ms after the restart began\n",
              ms_since(restarted));
  CHECK(admin(rig.port, {"PUBLISH", "shelter:invalidate", "profile:7"}).integer == 1);
  REQUIRE(run_until(rig.io, [&] { return rig.messages.size() == 3; }));
  CHECK(rig.messages[2].second == "profile:7");
  CHECK(subscriber.counters().connects == 2);
  CHECK(subscriber.counters().disconnects == 1);
}

TEST_CASE("Subscriber: a server that stops answering PINGs is left") {
  SubscriberRig rig;
  Subscriber subscriber(rig.io.get_executor(), rig.settings(), {"shelter:invalidate"},
                        [](std::string_view, std::string_view) {});
  subscriber.on_subscribed([&] { ++rig.subscribed_events; });
  subscriber.start();
  REQUIRE(run_until(rig.io, [&] { return subscriber.subscribed(); }));

  // DEBUG SLEEP blocks the whole server, as a hung or unreachable one would look. Long enough
  // for several PING rounds even on a loaded machine; the wait ends as soon as one times out.
  std::thread sleeper([&] { admin(rig.port, {"DEBUG", "SLEEP", "1.5"}); });
  const bool timed_out = run_until(
      rig.io, [&] { return subscriber.counters().timeouts >= 1; }, 10s);
  sleeper.join();  // before any REQUIRE: a joinable thread must not be destroyed
  REQUIRE(timed_out);
  REQUIRE(run_until(
      rig.io, [&] { return rig.subscribed_events == 2; }, 10s));
  CHECK(subscriber.subscribed());
}
