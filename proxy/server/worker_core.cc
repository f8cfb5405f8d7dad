#include "proxy/server/worker_core.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/profiles/directory.h"

namespace shelter::proxy::server {

boost::asio::awaitable<std::vector<std::uint8_t>> WorkerCore::forward(
    std::vector<std::uint8_t> packet, dns::Query query, bool over_tcp, ForwardPlan plan) {
  std::shared_ptr<const Runtime> runtime = view.get();  // kept alive across the wait
  const config::Config& config = *runtime->config;
  upstream::ForwardSettings settings{.servers = runtime->upstreams,
                                     .timeout = config.upstream.timeout,
                                     .attempts = config.upstream.attempts,
                                     .udp_payload_size = config.dns.udp_payload_size,
                                     .queries_per_socket = config.upstream.queries_per_socket};
  ++in_flight;
  // Safe search asks for the engine's safe endpoint instead of the client's name.
  const dns::Query& asked = plan.rewrite ? *plan.rewrite : query;
  upstream::UpstreamAnswer upstream = co_await forwarder.forward(asked, settings);
  --in_flight;
  QueryContext answering = context(*runtime);
  std::vector<std::uint8_t> answer;
  answer_from_upstream(packet, query, over_tcp, upstream, plan, answer, answering);
  co_return answer;
}

QueryContext WorkerCore::context(const Runtime& runtime) {
  return {.runtime = runtime,
          .cache = cache,
          .metrics = metrics,
          .now = dns::CacheClock::now(),
          .unix_now = unix_seconds(),
          .activity = &activity,
          .query_log = query_log.get()};
}

namespace {

namespace asio = boost::asio;

// One read of a household from Redis; the map entry goes when it is done, whether or not the
// queries waiting for it have given up.
asio::awaitable<void> read_household(std::shared_ptr<const profiles::Directory> store,
                                     redis::Client& client, std::string household,
                                     std::shared_ptr<asio::steady_timer> done,
                                     WorkerCore::Fetches& fetches) {
  co_await store->fetch(client, household);
  fetches.erase(household);
  done->cancel();
}

}  // namespace

// Reads the household with the worker's connection, waiting at most `wait`: a slow Redis
// costs a query the default profile, never a late answer. The read goes on after the wait and
// fills the cache for the next query. Queries for a household already being read wait for
// that read instead of sending another (a household's devices ask at once after a change).
asio::awaitable<void> WorkerCore::fetch_with_deadline(
    std::shared_ptr<const profiles::Directory> store, std::string household,
    std::chrono::milliseconds wait) {
  std::shared_ptr<asio::steady_timer> done;
  if (auto it = fetches.find(household); it != fetches.end()) {
    done = it->second;
  } else {
    done = std::make_shared<asio::steady_timer>(io, wait);
    fetches.emplace(household, done);
    asio::co_spawn(io,
                   read_household(std::move(store), *redis, std::move(household), done, fetches),
                   asio::detached);
  }
  co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<std::optional<std::vector<std::uint8_t>>> WorkerCore::answer_after_fetch(
    std::vector<std::uint8_t> packet, net::Address client, bool over_tcp, dns::Query query,
    policy::Identity identity) {
  std::shared_ptr<const Runtime> runtime = view.get();
  if (redis) {  // the worker's own connection to the store; none: nothing to wait for
    std::shared_ptr<const profiles::Directory> store = runtime->subscribers;
    std::string household = identity.subscriber->household;
    ++in_flight;
    co_await fetch_with_deadline(store, std::move(household),
                                 runtime->config->redis.lookup_timeout);
    --in_flight;
  }
  runtime = view.get();  // a reload may have come during the wait
  QueryContext answering = context(*runtime);
  std::vector<std::uint8_t> answer;
  const Request request{.packet = packet, .client = client, .over_tcp = over_tcp};
  LocalAnswer resumed = resume_after_fetch(request, query, identity, answer, answering);
  if (resumed.step == Step::reply) co_return answer;
  if (resumed.step != Step::forward) co_return std::nullopt;
  co_return co_await forward(std::move(packet), query, over_tcp, std::move(resumed.plan));
}

}  // namespace shelter::proxy::server
