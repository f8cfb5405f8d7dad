// A household the store has but memory does not: the query stops at Step::fetch with its parse
// and identity, and resumes from the household lookup once the wait is over, with no second
// parse and no second count of the query.
#include <boost/asio/awaitable.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "proxy/config/subscribers.h"
#include "proxy/profiles/directory.h"
#include "tests/unit/proxy/dns_test_util.h"
#include "tests/unit/proxy/pipeline_fixture.h"

namespace config = shelter::proxy::config;
namespace dns = shelter::proxy::dns;
namespace metrics = shelter::proxy::metrics;
namespace policy = shelter::policy;
namespace profiles = shelter::proxy::profiles;
namespace server = shelter::proxy::server;
using metrics::Outcome;
using server::Step;
using server::test::Exchange;
using server::test::Pipeline;

namespace {

constexpr std::string_view kConfig = R"(dns:
  allow-clients: ["192.0.2.0/24"]
blocking:
  mode: nxdomain
)";

// A household paused well past the test's clock: every name it asks for is blocked, so a
// block says its state was used and a forward says the default profile was.
constexpr std::string_view kHouseholds = R"(households:
  h:
    addresses: [192.0.2.7/32]
    paused-until: 2030-01-01T00:00:00Z
)";

// A store that has every household but holds none in memory until it arrives, as the Redis
// store after a start or an invalidation.
class ReadOnDemand final : public profiles::Directory {
 public:
  explicit ReadOnDemand(std::shared_ptr<const profiles::EmbeddedDirectory> store)
      : store_(std::move(store)) {}

  policy::Identity identify(const policy::ClientFacts& facts,
                            const policy::TrustRules& trust) const override {
    return store_->identify(facts, trust);
  }
  profiles::Found find(std::string_view household) const override {
    if (arrived_.count(std::string(household)) == 0)
      return {profiles::Found::Status::pending, nullptr, nullptr};
    return store_->find(household);
  }
  boost::asio::awaitable<void> fetch(shelter::proxy::redis::Client& /*connection*/,
                                     std::string household) const override {
    arrived_.insert(std::move(household));
    co_return;
  }
  void arrive(const std::string& household) { arrived_.insert(household); }

 private:
  std::shared_ptr<const profiles::EmbeddedDirectory> store_;
  mutable std::set<std::string> arrived_;
};

std::shared_ptr<ReadOnDemand> read_on_demand(const Pipeline& p) {
  config::HouseholdsResult parsed = config::parse_households(kHouseholds);
  REQUIRE(parsed.errors.empty());
  std::vector<std::string> errors;
  auto store = profiles::EmbeddedDirectory::build(parsed.households, p.runtime().profiles, errors);
  REQUIRE(store);
  return std::make_shared<ReadOnDemand>(std::move(store));
}

std::uint64_t lookups(const Pipeline& p, std::size_t result) {
  return p.metrics().household_lookups[result].get();
}
constexpr std::size_t kHit = 0, kFetched = 2, kFallback = 3;

std::uint64_t identified(const Pipeline& p) {
  std::uint64_t n = 0;
  for (const metrics::Counter& c : p.metrics().identified_by)
    n += c.get();
  return n;
}

}  // namespace

TEST_CASE("a household read after the query resumes it from the lookup", "[pipeline][profiles]") {
  Pipeline p{kConfig};
  std::shared_ptr<ReadOnDemand> store = read_on_demand(p);
  p.use_directory(store);

  Exchange e = p.ask(dns::test::make_query("fine.test"), "192.0.2.7");
  REQUIRE(e.step == Step::fetch);
  REQUIRE(e.identity.subscriber);
  CHECK(e.identity.subscriber->household == "h");
  CHECK(p.responses(Outcome::blocked) == 0);

  store->arrive("h");
  p.resume(e);
  CHECK(e.step == Step::reply);
  CHECK(p.responses(Outcome::blocked) == 1);
  CHECK(dns::test::header_rcode(e.out) == dns::Rcode::nxdomain);
  CHECK(lookups(p, kFetched) == 1);
  // One query: received, identified and answered once, however long it waited.
  CHECK(p.metrics().queries_udp.get() == 1);
  CHECK(identified(p) == 1);

  // The next query finds the household in memory.
  Exchange next = p.ask(dns::test::make_query("fine.test"), "192.0.2.7");
  CHECK(next.step == Step::reply);
  CHECK(lookups(p, kHit) == 1);
}

TEST_CASE("a household still not read after the wait: the default profile",
          "[pipeline][profiles]") {
  Pipeline p{kConfig};
  p.use_directory(read_on_demand(p));
  Exchange e = p.ask(dns::test::make_query("fine.test"), "192.0.2.7", true);
  REQUIRE(e.step == Step::fetch);
  p.resume(e);
  CHECK(e.step == Step::forward);  // not paused: the default profile lets it through
  CHECK(lookups(p, kFallback) == 1);
  CHECK(p.metrics().queries_tcp.get() == 1);
  CHECK(p.responses(Outcome::blocked) == 0);
}

TEST_CASE("an unidentified query never waits for a household", "[pipeline][profiles]") {
  Pipeline p{kConfig};
  p.use_directory(read_on_demand(p));
  Exchange e = p.ask(dns::test::make_query("fine.test"), "192.0.2.8");
  CHECK(e.step == Step::forward);
  CHECK_FALSE(e.identity.subscriber);
}
