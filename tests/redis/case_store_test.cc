// The Redis case store against a real redis-server: appeals and requests, their compare-and-set
// writes, what an answer puts in force on another node (a second store on the same server),
// housekeeping, and Redis going away and coming back.

#include <boost/asio/io_context.hpp>
#include <mutex>
#include <sstream>
#include <thread>

#include "proxy/cases/redis_case_store.h"
#include "proxy/cases/rules.h"
#include "proxy/clock.h"
#include "proxy/config/subscribers.h"
#include "tests/redis/redis_fixture.h"

using namespace shelter::test;
using namespace shelter::proxy::cases;
namespace asio = boost::asio;
using shelter::policy::Overrides;

namespace {

// One "node": a store and the overrides its callback was last given.
struct Node {
  explicit Node(const shelter::proxy::config::RedisConfig& config) : store(config) {
    store.start([this](std::shared_ptr<const Overrides> o) {
      std::lock_guard lock(mutex);
      latest = std::move(o);
      ++calls;
    });
  }

  // The callback uses the members below: no call may come once they are gone.
  ~Node() { store.stop(); }

  std::shared_ptr<const Overrides> overrides() {
    std::lock_guard lock(mutex);
    return latest;
  }
  int call_count() {
    std::lock_guard lock(mutex);
    return calls;
  }
  // Waits (on the test's thread) until `done(overrides)`; false after `limit`.
  template <typename Done>
  bool wait_for(Done done, std::chrono::milliseconds limit = 1s) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
      std::shared_ptr<const Overrides> o = overrides();
      if (o && done(*o)) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
  }

  RedisCaseStore store;
  std::mutex mutex;
  std::shared_ptr<const Overrides> latest;
  int calls = 0;
};

struct CaseRig {
  CaseRig() : port(free_port()), server("cases", server_args(port, "cases"), port) {}

  shelter::proxy::config::RedisConfig config() const {
    shelter::proxy::config::RedisConfig c;
    c.servers = {local(port)};
    c.key_prefix = "t";
    return c;
  }

  // The caller's side: its own io_context on the test's thread.
  template <typename T>
  T run(asio::awaitable<T> a) {
    return await(io, std::move(a));
  }
  void run(asio::awaitable<void> a) { await(io, as_int(std::move(a))); }
  static asio::awaitable<int> as_int(asio::awaitable<void> a) {
    co_await std::move(a);
    co_return 0;
  }

  std::uint16_t port;
  RedisServer server;
  asio::io_context io;
};

// Started, connected and with the overrides read once.
void wait_ready(Node& node) {
  REQUIRE(node.wait_for([](const Overrides&) { return true; }, 5s));
}

Appeal make_appeal(std::string id, std::int64_t created, std::string site) {
  Appeal a;
  a.id = std::move(id);
  a.secret_hash = std::string(64, 'a');
  a.created = created;
  a.site = std::move(site);
  a.url = "https://" + a.site + "/page";
  a.reporter = Reporter::webmaster;
  a.why = "it is a school site";
  a.contact = "someone@example.org";
  a.list = "adult";
  a.category = "adult";
  return a;
}

AccessRequest make_request(std::string id, std::string device, std::string site,
                           std::int64_t created) {
  AccessRequest r;
  r.id = std::move(id);
  r.household = "smith";
  r.device = std::move(device);
  r.site = std::move(site);
  r.created = created;
  return r;
}

AccessRequest allowed(AccessRequest r, std::int64_t now, std::int64_t until) {
  r.status = RequestStatus::allowed;
  r.answer = Answer::hour_1;
  r.answered = now;
  r.until = until;
  r.answered_by = "parent";
  return r;
}

Appeal closed(Appeal a, AppealStatus status, std::int64_t decided) {
  a.status = status;
  a.decided = decided;
  a.decision_reason = "checked";
  a.decided_by = "operator";
  return a;
}

}  // namespace

TEST_CASE("Redis case store: appeals are added, read and listed newest first") {
  CaseRig rig;
  Node node(rig.config());
  wait_ready(node);
  CHECK(node.store.describe() == "redis");

  rig.run(node.store.add_appeal(make_appeal("AAAA0001", 100, "one.example")));
  rig.run(node.store.add_appeal(make_appeal("AAAA0002", 200, "two.example")));
  rig.run(node.store.add_appeal(make_appeal("AAAA0003", 300, "three.example")));
  CHECK_THROWS_AS(rig.run(node.store.add_appeal(make_appeal("AAAA0002", 400, "x.example"))),
                  CaseConflict);

  // The caller resumes on its own thread, whatever the store runs on.
  std::optional<Appeal> got = rig.run(node.store.appeal("AAAA0002"));
  REQUIRE(got);
  CHECK(got->site == "two.example");
  CHECK(got->contact == "someone@example.org");
  CHECK(got->secret_hash == std::string(64, 'a'));
  CHECK_FALSE(rig.run(node.store.appeal("NOSUCHID")));

  // A record that does not read is skipped, not fatal.
  admin(rig.port, {"SET", "t:v1:appeal:BADBAD01", "{not json"});
  admin(rig.port, {"ZADD", "t:v1:appeals:open", "250", "BADBAD01"});
  admin(rig.port, {"ZADD", "t:v1:appeals", "250", "BADBAD01"});

  std::vector<Appeal> open = rig.run(node.store.appeals(AppealQuery{}));
  REQUIRE(open.size() == 3);
  CHECK(open[0].id == "AAAA0003");
  CHECK(open[1].id == "AAAA0002");
  CHECK(open[2].id == "AAAA0001");
  AppealQuery two;
  two.which = AppealQuery::Which::all;
  two.limit = 2;
  std::vector<Appeal> newest = rig.run(node.store.appeals(two));
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].id == "AAAA0003");
}

TEST_CASE("Redis case store: closing an appeal is a compare-and-set") {
  CaseRig rig;
  Node node(rig.config());
  wait_ready(node);
  Appeal a = make_appeal("CLOSE001", 100, "site.example");
  rig.run(node.store.add_appeal(a));

  rig.run(node.store.close_appeal(closed(a, AppealStatus::referred, 150), std::nullopt));
  CHECK_THROWS_AS(
      rig.run(node.store.close_appeal(closed(a, AppealStatus::upheld, 160), std::nullopt)),
      CaseConflict);
  CHECK_THROWS_AS(rig.run(node.store.close_appeal(
                      closed(make_appeal("NOSUCH01", 1, "x.example"), AppealStatus::upheld, 160),
                      std::nullopt)),
                  CaseConflict);
  CHECK(rig.run(node.store.appeal("CLOSE001"))->status == AppealStatus::referred);
  CHECK(rig.run(node.store.appeals(AppealQuery{})).empty());
  AppealQuery closed_ones;
  closed_ones.which = AppealQuery::Which::closed;
  CHECK(rig.run(node.store.appeals(closed_ones)).size() == 1);

  rig.run(node.store.set_referral("CLOSE001", Referral{true, 170, "webhook 202"}));
  std::optional<Appeal> referred = rig.run(node.store.appeal("CLOSE001"));
  REQUIRE(referred->referral);
  CHECK(referred->referral->detail == "webhook 202");
  CHECK(referred->status == AppealStatus::referred);
  CHECK_THROWS_AS(rig.run(node.store.set_referral("NOSUCH01", Referral{})), CaseConflict);
}

TEST_CASE("Redis case store: two nodes closing one appeal at once: one wins") {
  CaseRig rig;
  Node a(rig.config()), b(rig.config());
  wait_ready(a);
  wait_ready(b);
  for (int round = 0; round < 20; ++round) {
    Appeal appeal = make_appeal("RACE" + std::to_string(1000 + round), round, "site.example");
    rig.run(a.store.add_appeal(appeal));
    int done = 0, conflicts = 0;
    auto count = [&](std::exception_ptr e) {
      ++done;
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const CaseConflict&) {
        ++conflicts;
      }
    };
    asio::co_spawn(rig.io,
                   a.store.close_appeal(closed(appeal, AppealStatus::upheld, 10), std::nullopt),
                   count);
    asio::co_spawn(rig.io,
                   b.store.close_appeal(closed(appeal, AppealStatus::overturned, 10),
                                        OperatorAllow{appeal.site, appeal.id, 10}),
                   count);
    REQUIRE(run_until(rig.io, [&] { return done == 2; }));
    CHECK(conflicts == 1);
    // The allow is in force exactly when the overturn won.
    const bool overturned = rig.run(a.store.appeal(appeal.id))->status == AppealStatus::overturned;
    CHECK(admin(rig.port, {"HEXISTS", "t:v1:allows", "site.example"}).integer ==
          (overturned ? 1 : 0));
    admin(rig.port, {"DEL", "t:v1:allows"});
  }
}

TEST_CASE("Redis case store: one waiting request per household, device and site") {
  CaseRig rig;
  Node node(rig.config());
  wait_ready(node);
  const std::string id1(26, '1'), id2(26, '2'), id3(26, '3'), id4(26, '4');

  CHECK(rig.run(node.store.add_request(make_request(id1, "tablet", "game.example", 100))).id ==
        id1);
  // Pressed twice: the first one comes back.
  CHECK(rig.run(node.store.add_request(make_request(id2, "tablet", "game.example", 110))).id ==
        id1);
  CHECK(rig.run(node.store.add_request(make_request(id3, "laptop", "game.example", 120))).id ==
        id3);
  CHECK_FALSE(rig.run(node.store.request(id2)));

  RequestQuery waiting;
  std::vector<AccessRequest> list = rig.run(node.store.requests(waiting));
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == id3);
  waiting.household = "jones";
  CHECK(rig.run(node.store.requests(waiting)).empty());

  // Once answered, asking again makes a new request.
  AccessRequest first = *rig.run(node.store.request(id1));
  AccessRequest no = first;
  no.status = RequestStatus::kept_blocked;
  no.answer = Answer::keep_blocked;
  no.answered = 130;
  rig.run(node.store.answer_request(no, std::nullopt));
  CHECK_THROWS_AS(rig.run(node.store.answer_request(allowed(first, 140, 200), std::nullopt)),
                  CaseConflict);
  CHECK(rig.run(node.store.add_request(make_request(id4, "tablet", "game.example", 150))).id ==
        id4);
  RequestQuery answered;
  answered.which = RequestQuery::Which::answered;
  list = rig.run(node.store.requests(answered));
  REQUIRE(list.size() == 1);
  CHECK(list[0].status == RequestStatus::kept_blocked);

  // An entry whose request is gone does not block a new one.
  admin(rig.port, {"HSET", "t:v1:requests:waiting", "smith/tv video.example", "GONE"});
  const std::string id5(26, '5');
  CHECK(rig.run(node.store.add_request(make_request(id5, "tv", "video.example", 160))).id == id5);
  CHECK(admin(rig.port, {"HGET", "t:v1:requests:waiting", "smith/tv video.example"}).text == id5);
}

TEST_CASE("Redis case store: a grant is in force on another node within a second") {
  CaseRig rig;
  Node a(rig.config()), b(rig.config());
  wait_ready(a);
  wait_ready(b);
  const std::int64_t now = shelter::proxy::clock::now();
  AccessRequest r = rig.run(
      a.store.add_request(make_request(std::string(26, 'G'), "tablet", "game.example", now)));
  AccessRequest yes = allowed(r, now, now + 3600);
  rig.run(a.store.answer_request(yes, grant_of(yes)));

  // In force on the node that wrote it when the write returns...
  auto covers = [now](const Overrides& o) {
    const shelter::policy::GrantSet* g = o.grants_for("smith", "tablet");
    return g != nullptr && g->until_for("www.game.example", now) == now + 3600;
  };
  CHECK(covers(*a.overrides()));
  // ... and on the other one by the message.
  auto sent = Clock::now();
  REQUIRE(b.wait_for(covers, 1s));
  std::printf("[timing] cases: a grant reached the other node in %.1f ms\n", ms_since(sent));
  CHECK(b.overrides()->grants_for("smith", "laptop") == nullptr);

  CHECK_THROWS_AS(rig.run(b.store.answer_request(yes, grant_of(yes))), CaseConflict);
}

TEST_CASE("Redis case store: an overturn allows the site on every node") {
  CaseRig rig;
  Node a(rig.config()), b(rig.config());
  wait_ready(a);
  wait_ready(b);
  Appeal appeal = make_appeal("OVER0001", 100, "school.example");
  rig.run(a.store.add_appeal(appeal));
  OperatorAllow allow{"school.example", "OVER0001", 200};
  rig.run(a.store.close_appeal(closed(appeal, AppealStatus::overturned, 200), allow));

  auto covers = [](const Overrides& o) {
    return o.operator_allow.covers_domain("www.school.example");
  };
  CHECK(covers(*a.overrides()));
  REQUIRE(b.wait_for(covers, 1s));
  CHECK_FALSE(b.overrides()->operator_allow.covers_domain("other.example"));

  // A node that starts later reads it at start.
  Node c(rig.config());
  REQUIRE(c.wait_for(covers, 5s));
}

TEST_CASE("Redis case store: expire ends grants, requests, contacts and old appeals") {
  CaseRig rig;
  Node a(rig.config()), b(rig.config());
  wait_ready(a);
  wait_ready(b);
  const std::int64_t now = shelter::proxy::clock::now();
  constexpr std::int64_t kDay = 86400;

  // A grant ending in a minute, a request nobody answers, an appeal closed long ago.
  AccessRequest r = rig.run(
      a.store.add_request(make_request(std::string(26, 'E'), "tablet", "game.example", now)));
  AccessRequest yes = allowed(r, now, now + 60);
  rig.run(a.store.answer_request(yes, grant_of(yes)));
  AccessRequest unanswered = rig.run(
      a.store.add_request(make_request(std::string(26, 'W'), "tablet", "video.example", now)));
  Appeal old = make_appeal("OLD00001", now - 40 * kDay, "old.example");
  rig.run(a.store.add_appeal(old));
  rig.run(a.store.close_appeal(closed(old, AppealStatus::upheld, now - 31 * kDay), std::nullopt));
  Appeal recent = make_appeal("NEW00001", now - 2 * kDay, "new.example");
  rig.run(a.store.add_appeal(recent));
  rig.run(a.store.close_appeal(closed(recent, AppealStatus::upheld, now - 1 * kDay), std::nullopt));
  REQUIRE(b.wait_for([](const Overrides& o) { return !o.grants.empty(); }));

  // Nothing is due yet.
  Retention retention;
  rig.run(a.store.expire(now, retention));
  CHECK(admin(rig.port, {"HLEN", "t:v1:grants"}).integer == 1);
  CHECK(rig.run(a.store.request(unanswered.id))->status == RequestStatus::waiting);

  // Two minutes on: the grant ended; the contact of the appeal closed 31 days ago goes.
  rig.run(a.store.expire(now + 120, retention));
  CHECK(admin(rig.port, {"HLEN", "t:v1:grants"}).integer == 0);
  CHECK(a.overrides()->grants.empty());
  REQUIRE(b.wait_for([](const Overrides& o) { return o.grants.empty(); }));
  CHECK(rig.run(a.store.appeal("OLD00001"))->contact.empty());
  CHECK(rig.run(a.store.appeal("OLD00001"))->why == old.why);
  CHECK(rig.run(a.store.appeal("NEW00001"))->contact == recent.contact);
  CHECK(rig.run(a.store.request(unanswered.id))->status == RequestStatus::waiting);

  // A day on: the unanswered request expired, and the same question may be asked again.
  rig.run(a.store.expire(now + kDay + 1, retention));
  std::optional<AccessRequest> expired = rig.run(a.store.request(unanswered.id));
  REQUIRE(expired);
  CHECK(expired->status == RequestStatus::expired);
  CHECK(admin(rig.port, {"HLEN", "t:v1:requests:waiting"}).integer == 0);

  // Past every retention: requests and the closed appeals are gone, indexes included.
  rig.run(a.store.expire(now + 400 * kDay, retention));
  CHECK_FALSE(rig.run(a.store.request(unanswered.id)));
  CHECK_FALSE(rig.run(a.store.request(yes.id)));
  CHECK_FALSE(rig.run(a.store.appeal("OLD00001")));
  CHECK_FALSE(rig.run(a.store.appeal("NEW00001")));
  for (const char* index : {"t:v1:requests", "t:v1:appeals", "t:v1:appeals:closed",
                            "t:v1:appeals:contact", "t:v1:appeals:open"}) {
    INFO(index);
    CHECK(admin(rig.port, {"ZCARD", index}).integer == 0);
  }
}

TEST_CASE("Redis case store: bounds on open appeals") {
  CaseRig rig;
  Node node(rig.config());
  wait_ready(node);
  std::vector<std::string> fill = {"ZADD", "t:v1:appeals:open"};
  for (std::size_t i = 0; i < RedisCaseStore::kMaxOpenAppeals; ++i) {
    fill.push_back("1");
    fill.push_back("F" + std::to_string(i));
  }
  admin(rig.port, fill);
  CHECK_THROWS_AS(rig.run(node.store.add_appeal(make_appeal("FULL0001", 5, "x.example"))),
                  StoreFull);
  CHECK_FALSE(rig.run(node.store.appeal("FULL0001")));
}

TEST_CASE("Redis case store: Redis down fails fast, and it works again after a restart") {
  CaseRig rig;
  Node node(rig.config());
  wait_ready(node);
  rig.run(node.store.add_appeal(make_appeal("DOWN0001", 1, "x.example")));

  rig.server.kill();
  // Every operation, reads and writes: StoreUnavailable, well within a second each.
  auto t = Clock::now();
  CHECK_THROWS_AS(rig.run(node.store.appeal("DOWN0001")), StoreUnavailable);
  CHECK_THROWS_AS(rig.run(node.store.add_appeal(make_appeal("DOWN0002", 2, "y.example"))),
                  StoreUnavailable);
  CHECK_THROWS_AS(
      rig.run(node.store.add_request(make_request(std::string(26, 'D'), "tablet", "z.example", 3))),
      StoreUnavailable);
  CHECK_THROWS_AS(rig.run(node.store.expire(10, Retention{})), StoreUnavailable);
  std::printf("[timing] cases: four operations failed in %.1f ms with Redis down\n", ms_since(t));
  CHECK(ms_since(t) < 1000);

  const int calls_before = node.call_count();
  rig.server.start();  // empty: the test server keeps nothing
  auto restarted = Clock::now();
  bool back = false;
  while (!back && Clock::now() - restarted < 8s) {
    try {
      rig.run(node.store.add_appeal(make_appeal("BACK0001", 4, "b.example")));
      back = true;
    } catch (const StoreUnavailable&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  REQUIRE(back);
  std::printf("[timing] cases: writes work again %.0f ms after the restart\n", ms_since(restarted));
  CHECK(rig.run(node.store.appeal("BACK0001")));
  // The overrides were read again on reconnection.
  REQUIRE(node.wait_for([&](const Overrides&) { return node.call_count() > calls_before; }, 5s));
}

TEST_CASE("Redis case store: not started or stopped, it is unavailable") {
  CaseRig rig;
  RedisCaseStore idle(rig.config());
  CHECK_THROWS_AS(rig.run(idle.appeal("X")), StoreUnavailable);

  Node node(rig.config());
  wait_ready(node);
  node.store.stop();
  const int calls = node.call_count();
  CHECK_THROWS_AS(rig.run(node.store.appeal("X")), StoreUnavailable);
  admin(rig.port, {"PUBLISH", "t:v1:changes", "overrides"});
  std::this_thread::sleep_for(50ms);
  CHECK(node.call_count() == calls);
}

TEST_CASE("Redis case store: works as the node's ACL user of docs/redis-schema.md") {
  CaseRig rig;
  // The documented user (docs/redis-schema.md), with the test's key prefix "t".
  const std::string node_acl =
      "ACL SETUSER shelter-node on >secret resetkeys %R~t:* %RW~t:v1:appeal* %RW~t:v1:request* "
      "%RW~t:v1:grants %RW~t:v1:allows &t:* +get +hget +hscan +subscribe +ping +role +select "
      "+eval +mget +hgetall +hvals +zrevrange +zrangebyscore +set +del +exists +zadd +zrem "
      "+zcard +hset +hdel +hlen +publish";
  std::vector<std::string> acl;
  std::istringstream words(node_acl);
  for (std::string word; words >> word;)
    acl.push_back(word);
  REQUIRE(admin(rig.port, acl).is_text("OK"));
  // It writes cases, never households.
  CHECK(admin(rig.port, {"ACL", "DRYRUN", "shelter-node", "SET", "t:v1:appeal:x", "{}"})
            .is_text("OK"));
  CHECK_FALSE(admin(rig.port, {"ACL", "DRYRUN", "shelter-node", "SET", "t:v1:household:x", "{}"})
                  .is_text("OK"));
  shelter::proxy::config::RedisConfig config = rig.config();
  config.user = "shelter-node";
  config.password = "secret";

  Node node(config);
  wait_ready(node);
  const std::int64_t now = shelter::proxy::clock::now();
  Appeal appeal = make_appeal("ACL00001", now, "school.example");
  rig.run(node.store.add_appeal(appeal));
  rig.run(node.store.close_appeal(closed(appeal, AppealStatus::overturned, now),
                                  OperatorAllow{"school.example", "ACL00001", now}));
  rig.run(node.store.set_referral("ACL00001", Referral{false, now, "webhook 500"}));
  AccessRequest r = rig.run(
      node.store.add_request(make_request(std::string(26, 'A'), "tablet", "game.example", now)));
  AccessRequest yes = allowed(r, now, now + 60);
  rig.run(node.store.answer_request(yes, grant_of(yes)));
  CHECK(rig.run(node.store.appeals(AppealQuery{AppealQuery::Which::all, "", 10})).size() == 1);
  CHECK(rig.run(node.store.requests(RequestQuery{RequestQuery::Which::all, "", 10})).size() == 1);
  rig.run(node.store.expire(now + 400 * 86400, Retention{}));
  CHECK_FALSE(rig.run(node.store.appeal("ACL00001")));
  CHECK(node.overrides()->operator_allow.covers_domain("school.example"));
  CHECK(node.overrides()->grants.empty());
}
