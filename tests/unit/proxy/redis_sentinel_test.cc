#include <catch2/catch.hpp>

#include "proxy/redis/backoff.h"
#include "proxy/redis/sentinel.h"
#include "tests/unit/proxy/redis_test_util.h"

using namespace shelter::proxy::redis;
using namespace shelter::proxy::redis::test;
using shelter::proxy::net::Endpoint;
using std::chrono::milliseconds;

namespace {

Reply replica(std::string ip, std::string port, std::string flags, std::string link) {
  return array({str("name"), str(ip + ":" + port), str("ip"), str(ip), str("port"), str(port),
                str("flags"), str(flags), str("master-link-status"), str(link)});
}

Endpoint endpoint(const char* text) {
  return *Endpoint::parse(text, 0);
}

}  // namespace

TEST_CASE("get-master-addr-by-name") {
  CHECK(parse_master_address(array({str("127.0.0.1"), str("6380")})) == endpoint("127.0.0.1:6380"));
  CHECK(parse_master_address(array({str("::1"), str("6380")})) == endpoint("[::1]:6380"));
  CHECK_FALSE(parse_master_address(Reply{}));  // an unknown master is nil
  CHECK_FALSE(parse_master_address(array({str("redis.example"), str("6380")})));
  CHECK_FALSE(parse_master_address(array({str("127.0.0.1"), str("0")})));
  CHECK_FALSE(parse_master_address(array({str("127.0.0.1"), str("65536")})));
  CHECK_FALSE(parse_master_address(array({str("127.0.0.1")})));
}

TEST_CASE("SENTINEL replicas: only the healthy ones") {
  Reply reply = array({
      replica("127.0.0.1", "7001", "slave", "ok"),
      replica("127.0.0.1", "7002", "s_down,slave", "ok"),
      replica("127.0.0.1", "7003", "slave,disconnected", "ok"),
      replica("127.0.0.1", "7004", "o_down,slave", "ok"),
      replica("127.0.0.1", "7005", "slave", "err"),
      replica("127.0.0.1", "7006", "slave", "ok"),
  });
  CHECK(parse_healthy_replicas(reply) ==
        std::vector<Endpoint>{endpoint("127.0.0.1:7001"), endpoint("127.0.0.1:7006")});
  CHECK(parse_healthy_replicas(Reply{}).empty());
}

TEST_CASE("+switch-master announcements") {
  auto sw = parse_switch_master("shelter 127.0.0.1 6379 127.0.0.1 6380");
  REQUIRE(sw);
  CHECK(sw->master_name == "shelter");
  CHECK(sw->from == endpoint("127.0.0.1:6379"));
  CHECK(sw->to == endpoint("127.0.0.1:6380"));
  CHECK_FALSE(parse_switch_master("shelter 127.0.0.1 6379 127.0.0.1"));
  CHECK_FALSE(parse_switch_master("shelter 127.0.0.1 6379 127.0.0.1 6380 extra"));
  CHECK_FALSE(parse_switch_master("shelter 127.0.0.1 x 127.0.0.1 6380"));
}

TEST_CASE("ROLE") {
  CHECK(role_is(array({str("master"), Reply{}}), "master"));
  CHECK_FALSE(role_is(array({str("slave")}), "master"));
  CHECK_FALSE(role_is(str("master"), "master"));
}

TEST_CASE("back-off doubles from min to max, jittered within bounds") {
  Backoff backoff(milliseconds(100), milliseconds(5000), 42);
  std::vector<milliseconds> waits;
  for (int i = 0; i < 12; ++i)
    waits.push_back(backoff.next());
  const std::int64_t bases[] = {100, 200, 400, 800, 1600, 3200, 5000};
  for (std::size_t i = 0; i < waits.size(); ++i) {
    std::int64_t base = bases[std::min<std::size_t>(i, 6)];
    INFO(i);
    CHECK(waits[i].count() >= std::max<std::int64_t>(100, base / 2));
    CHECK(waits[i].count() <= std::min<std::int64_t>(5000, base * 3 / 2));
  }
  backoff.reset();
  CHECK(backoff.next() <= milliseconds(150));

  Backoff degenerate(milliseconds(0), milliseconds(0), 1);
  for (int i = 0; i < 100; ++i)
    CHECK(degenerate.next() == milliseconds(1));
}
