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

// RPZ rules carry their own answer; every other rule takes the configured mode.
Rcode block_rcode(const policy::Decision& decision, config::BlockMode mode) {
  switch (decision.rule.answer) {
    case blocklist::DnsAnswer::nxdomain:
      return Rcode::nxdomain;
    case blocklist::DnsAnswer::nodata:
    case blocklist::DnsAnswer::local_data:
      return Rcode::noerror;
    case blocklist::DnsAnswer::configured:
      break;
  }
  return block_rcode(mode);
}

// Appends the A or AAAA records the question asks for; true when there were any.
template <typename V4, typename V6>
bool append_addresses(const dns::Query& query, std::uint32_t ttl, const V4& v4, const V6& v6,
                      std::vector<std::uint8_t>& out) {
  if (query.qclass != dns::kClassIn) return false;
  if (query.qtype == dns::qtype::kA) {
    for (const auto& a : v4)
      dns::append_address(out, dns::qtype::kA, ttl, a);
    return !v4.empty();
  }
  if (query.qtype == dns::qtype::kAaaa) {
    for (const auto& a : v6)
      dns::append_address(out, dns::qtype::kAaaa, ttl, a);
    return !v6.empty();
  }
  return false;
}

// The A and AAAA records of an RPZ rule's local data.
void split_local_data(const std::vector<blocklist::LocalAddress>& local,
                      std::vector<std::array<std::uint8_t, 4>>& v4,
                      std::vector<std::array<std::uint8_t, 16>>& v6) {
  for (const blocklist::LocalAddress& a : local) {
    if (a.size == 4) {
      v4.push_back({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
    } else {
      v6.push_back(a.bytes);
    }
  }
}

void build_block_answer(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                        const policy::Decision& decision, std::vector<std::uint8_t>& out,
                        const Runtime& runtime) {
  const config::Config& config = *runtime.config;
  const config::BlockingConfig& blocking = config.blocking;
  dns::begin_answer(packet, query, block_rcode(decision, blocking.mode), out);
  bool forged = false;
  if (decision.rule.answer == blocklist::DnsAnswer::local_data) {
    std::vector<std::array<std::uint8_t, 4>> v4;
    std::vector<std::array<std::uint8_t, 16>> v6;
    split_local_data(decision.local_data, v4, v6);
    forged = append_addresses(query, blocking.ttl, v4, v6, out);
  } else if (decision.rule.answer == blocklist::DnsAnswer::configured &&
             blocking.mode == config::BlockMode::block_page) {
    forged =
        append_addresses(query, blocking.ttl, runtime.block_page_v4, runtime.block_page_v6, out);
  }
  std::array<dns::ExtendedError, 2> errors{
      dns::ExtendedError{static_cast<std::uint16_t>(decision.ede),
                         runtime.reason_for(decision.rule.list_index, decision.rule.category)},
      dns::ExtendedError{dns::kEdeForgedAnswer, {}},
  };
  std::span<const dns::ExtendedError> used(errors.data(), forged ? 2 : 1);
  finish_for_client(out, query, over_tcp, config, used);
}

// A name with URL-level entries only: the proxy's address, so it can check each URL. Other
// query types resolve normally (the proxy only sees what A/AAAA send to it).
bool build_steer_answer(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                        std::vector<std::uint8_t>& out, const Runtime& runtime) {
  if (query.qclass != dns::kClassIn ||
      (query.qtype != dns::qtype::kA && query.qtype != dns::qtype::kAaaa)) {
    return false;
  }
  dns::begin_answer(packet, query, Rcode::noerror, out);
  append_addresses(query, runtime.config->blocking.ttl, runtime.proxy_v4, runtime.proxy_v6, out);
  finish_for_client(out, query, over_tcp, *runtime.config);
  return true;
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

  policy::Decision decision =
      policy::decide({.qname = query.name()}, *runtime.lists->snapshot,
                     {.proxy = !runtime.proxy_v4.empty() || !runtime.proxy_v6.empty()});
  // Counted, not logged per query: the name would be a browsing log. The exceptions that can
  // do this are announced when the lists load.
  if (decision.legal_override) context.metrics.legal_overrides.add();
  if (decision.verdict == policy::Verdict::block) {
    build_block_answer(packet, query, over_tcp, decision, out, runtime);
    context.metrics.blocks_by_category[runtime.category_slot[decision.rule.category]].add();
    context.metrics.response(Outcome::blocked);
    return Step::reply;
  }
  if (decision.verdict == policy::Verdict::steer &&
      build_steer_answer(packet, query, over_tcp, out, runtime)) {
    context.metrics.response(Outcome::steered);
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
