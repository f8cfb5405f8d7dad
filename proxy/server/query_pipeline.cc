#include "proxy/server/query_pipeline.h"

#include <array>

#include "policy/decide.h"
#include "proxy/dns/builder.h"

namespace shelter::proxy::server {
namespace {

using dns::Rcode;
using metrics::Outcome;

Step reply_error(dns::Bytes packet, const dns::Query& query, Rcode rcode, Outcome outcome,
                 std::vector<std::uint8_t>& out, QueryContext& context) {
  dns::build_error(packet, query, rcode, context.runtime.config->dns.udp_payload_size, out);
  context.metrics.response(outcome);
  return Step::reply;
}

Rcode block_rcode(config::BlockMode mode) {
  switch (mode) {
    case config::BlockMode::nxdomain:
      return Rcode::nxdomain;
    case config::BlockMode::refused:
      return Rcode::refused;
    case config::BlockMode::block_page:
    case config::BlockMode::nodata:
      break;
  }
  return Rcode::noerror;
}

// Adds our OPT (with `errors`) and truncates to what this client can take over its transport.
void finish_for_client(std::vector<std::uint8_t>& out, const dns::Query& query, bool over_tcp,
                       const config::Config& config,
                       std::span<const dns::ExtendedError> errors = {}) {
  std::uint16_t ours = config.dns.udp_payload_size;
  dns::finish_answer(out, query, ours, errors, dns::max_answer_size(query, over_tcp, ours));
}

void build_block_answer(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                        const policy::Decision& decision, std::uint32_t list_index,
                        std::vector<std::uint8_t>& out, const Runtime& runtime) {
  const config::Config& config = *runtime.config;
  const config::BlockingConfig& blocking = config.blocking;
  dns::begin_answer(packet, query, block_rcode(blocking.mode), out);
  bool forged = false;
  if (blocking.mode == config::BlockMode::block_page && query.qclass == dns::kClassIn) {
    if (query.qtype == dns::qtype::kA) {
      for (const auto& a : runtime.block_page_v4)
        dns::append_address(out, dns::qtype::kA, blocking.ttl, a);
      forged = !runtime.block_page_v4.empty();
    } else if (query.qtype == dns::qtype::kAaaa) {
      for (const auto& a : runtime.block_page_v6)
        dns::append_address(out, dns::qtype::kAaaa, blocking.ttl, a);
      forged = !runtime.block_page_v6.empty();
    }
  }
  std::array<dns::ExtendedError, 2> errors{
      dns::ExtendedError{static_cast<std::uint16_t>(decision.ede),
                         runtime.block_reason[list_index]},
      dns::ExtendedError{dns::kEdeForgedAnswer, {}},
  };
  std::span<const dns::ExtendedError> used(errors.data(), forged ? 2 : 1);
  finish_for_client(out, query, over_tcp, config, used);
}

}  // namespace

bool client_allowed(const std::vector<config::Cidr>& allowed, const config::Address& client) {
  for (const config::Cidr& network : allowed) {
    if (network.contains(client)) return true;
  }
  return false;
}

Step answer_locally(dns::Bytes packet, const config::Address& client, bool over_tcp,
                    dns::Query& query, std::vector<std::uint8_t>& out, QueryContext& context) {
  const Runtime& runtime = context.runtime;
  const config::Config& config = *runtime.config;
  (over_tcp ? context.metrics.queries_tcp : context.metrics.queries_udp).add();

  dns::ParseStatus status = dns::parse_query(packet, query);
  if (status == dns::ParseStatus::drop) {
    context.metrics.response(Outcome::dropped);
    return Step::drop;
  }
  // Refuse strangers before telling them anything else: Shelter is never an open resolver.
  if (!client_allowed(config.dns.allow_clients, client)) {
    return reply_error(packet, query, Rcode::refused, Outcome::refused, out, context);
  }
  if (status == dns::ParseStatus::formerr) {
    return reply_error(packet, query, Rcode::formerr, Outcome::formerr, out, context);
  }
  if (status == dns::ParseStatus::notimp || query.qtype == dns::qtype::kAxfr ||
      query.qtype == dns::qtype::kIxfr) {
    return reply_error(packet, query, Rcode::notimp, Outcome::notimp, out, context);
  }
  if (query.edns.present && query.edns.version != 0) {
    // BADVERS (RFC 6891 6.1.3) needs an extended RCODE; FORMERR is what most servers send to
    // clients that do not speak version 0, and they fall back.
    return reply_error(packet, query, Rcode::formerr, Outcome::formerr, out, context);
  }

  policy::Decision decision = policy::decide({.qname = query.name()}, *runtime.lists->snapshot);
  if (decision.verdict == policy::Verdict::block) {
    auto list_index =
        static_cast<std::uint32_t>(decision.list - runtime.lists->snapshot->lists().data());
    build_block_answer(packet, query, over_tcp, decision, list_index, out, runtime);
    context.metrics.blocks_by_category[runtime.category_slot[list_index]].add();
    context.metrics.response(Outcome::blocked);
    return Step::reply;
  }

  if (context.cache.lookup(packet, query, context.now, out)) {
    context.metrics.cache_hits.add();
    bool failure = (dns::read_u16(&out[dns::kOffFlags]) & dns::kRcodeMask) ==
                   static_cast<std::uint16_t>(Rcode::servfail);
    finish_for_client(out, query, over_tcp, config);
    context.metrics.response(failure ? Outcome::servfail : Outcome::cache_hit);
    return Step::reply;
  }
  context.metrics.cache_misses.add();
  return Step::forward;
}

void answer_from_upstream(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                          const upstream::UpstreamAnswer& upstream, std::vector<std::uint8_t>& out,
                          QueryContext& context) {
  const config::Config& config = *context.runtime.config;
  if (!upstream.ok ||
      !dns::adopt_upstream_answer(packet, query, upstream.message, upstream.parsed, out)) {
    context.cache.insert_failure(query, config.cache.servfail_ttl, context.now);
    reply_error(packet, query, Rcode::servfail, Outcome::servfail, out, context);
    return;
  }
  context.cache.insert(query, out, upstream.parsed, context.now);
  finish_for_client(out, query, over_tcp, config);
  context.metrics.response(Outcome::forwarded);
}

}  // namespace shelter::proxy::server
