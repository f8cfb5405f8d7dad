#pragma once
// What happens to one DNS query, without any socket: parse, check the client, decide, answer
// from the lists or the cache, or say that it must go upstream. Listeners (UDP, TCP) own the
// I/O and call these two functions; the same code answers both transports.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "policy/identify.h"
#include "proxy/dns/cache.h"
#include "proxy/dns/message.h"
#include "proxy/metrics/metrics.h"
#include "proxy/net/endpoint.h"
#include "proxy/querylog/buffer.h"
#include "proxy/server/runtime.h"
#include "proxy/upstream/upstream_answer.h"

namespace shelter::proxy::profiles {
class ActivityAccumulator;
}  // namespace shelter::proxy::profiles

namespace shelter::proxy::server {

/// What answering a query reads and counts besides the query itself: one worker's runtime
/// snapshot, cache, counters and clocks. Built per batch (UDP) or per query (TCP, after a wait).
struct QueryContext {
  const Runtime& runtime;
  dns::SharedResponseCache& cache;
  metrics::WorkerMetrics& metrics;
  dns::CacheClock::time_point now;
  std::int64_t unix_now = 0;  ///< wall-clock UTC seconds, for schedules and pauses
  /// Where a household's blocks and new private MACs are counted (null: nowhere).
  profiles::ActivityAccumulator* activity = nullptr;
  /// The worker's query-log buffer; null (the log is off) unless an operator turned it on.
  querylog::Buffer* query_log = nullptr;

  /// What the query log needs of the query being answered, noted as it is answered (plain
  /// stores; read only when the log is on).
  struct Note {
    std::uint16_t slot = querylog::kNoSlot;
    bool withheld = false;  ///< a legal list decided: its name is never logged
    metrics::Outcome outcome = metrics::Outcome::dropped;
  };
  Note note{};
};

/// One query as a listener received it.
struct Request {
  dns::Bytes packet{};
  net::Address client{};
  bool over_tcp = false;
};

/// What answer_locally decided for a query that must go upstream.
struct ForwardPlan {
  /// The answer must not be cached by the client past this many seconds: a schedule edge or
  /// the end of a pause is that near.
  static constexpr std::uint32_t kNoCap = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t max_ttl = kNoCap;
  /// Safe search: the question to ask upstream instead (the engine's safe endpoint); the
  /// client gets a CNAME to it and its records.
  std::optional<dns::Query> rewrite;
  /// A steered name (A, AAAA, SVCB, HTTPS): the real answer is rewritten before it leaves
  /// (dns/steering.h), from the cache or from upstream.
  bool steer = false;
  /// With the query log on: who asked (querylog::SubjectKind and bytes) and whether the name
  /// must be withheld, for the line written when the answer comes.
  std::string log_subject;
  bool log_withheld = false;
};

enum class Step : std::uint8_t {
  reply,    ///< `out` holds the complete answer
  forward,  ///< ask upstream, then call answer_from_upstream
  drop,     ///< send nothing
  fetch,    ///< wait for the household to be read (Directory::fetch), then resume_after_fetch
};

/// How far a query got without waiting, and what the listener needs to carry on.
struct LocalAnswer {
  Step step = Step::drop;
  /// Step::forward: what to ask upstream and how to treat its answer.
  ForwardPlan plan{};
  /// Who asked (the query log's subject). Step::fetch: the household to wait for is
  /// identity.subscriber->household; kept by value, so it survives the wait and a reload.
  policy::Identity identity{};
};

/// Handles a query as far as it can be handled without waiting. `query` (the parse) and `out`
/// (the answer) are the caller's buffers, reused across queries; the rest is returned.
LocalAnswer answer_locally(const Request& request, dns::Query& query,
                           std::vector<std::uint8_t>& out, QueryContext& context);

/// Resumes a query that answer_locally left at Step::fetch, from the household lookup on, with
/// its parse and identity: after the wait the household is in memory (counted "fetched") or
/// the default profile applies ("fallback"). Never Step::fetch again.
LocalAnswer resume_after_fetch(const Request& request, const dns::Query& query,
                               const policy::Identity& identity, std::vector<std::uint8_t>& out,
                               QueryContext& context);

/// Completes a forwarded query: relays (and caches) the upstream answer, or SERVFAIL.
void answer_from_upstream(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                          const upstream::UpstreamAnswer& upstream, const ForwardPlan& plan,
                          std::vector<std::uint8_t>& out, QueryContext& context);

/// Wall-clock UTC seconds, for QueryContext::unix_now.
std::int64_t unix_seconds();

/// True when `client` is inside one of the allowed networks.
bool client_allowed(const std::vector<net::Cidr>& allowed, const net::Address& client);

}  // namespace shelter::proxy::server
