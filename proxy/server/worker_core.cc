#include "proxy/server/worker_core.h"

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
  upstream::UpstreamAnswer upstream =
      co_await forwarder.forward(plan.rewrite ? *plan.rewrite : query, settings);
  --in_flight;
  QueryContext context{*runtime, cache, metrics, dns::CacheClock::now(), unix_seconds()};
  std::vector<std::uint8_t> answer;
  answer_from_upstream(packet, query, over_tcp, upstream, plan, answer, context);
  co_return answer;
}

}  // namespace shelter::proxy::server
