#include "proxy/server/query_pipeline.h"

#include "proxy/clock.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "policy/decide.h"
#include "proxy/dns/builder.h"
#include "proxy/dns/edns_options.h"
#include "proxy/dns/steering.h"
#include "proxy/dns/structured_error.h"
#include "proxy/profiles/household_activity.h"

namespace shelter::proxy::server {
namespace {

using dns::Rcode;
using metrics::Outcome;

// How a query ended: counted, and noted for the query log.
void respond(QueryContext& context, Outcome outcome) {
  context.metrics.response(outcome);
  context.note.outcome = outcome;
}

Step reply_error(dns::Bytes packet, const dns::Query& query, Rcode rcode, Outcome outcome,
                 std::vector<std::uint8_t>& out, QueryContext& context) {
  dns::build_error(packet, query, rcode, context.runtime.config->dns.udp_payload_size, out);
  respond(context, outcome);
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

// The EDE EXTRA-TEXT of a block: the list and its appeal route, or which of the household's
// own settings blocked.
// A client that asked for structured errors gets them as I-JSON when a contact is configured
// (the "c" is mandatory), else the text.
std::string_view block_reason(const policy::Decision& decision, const Runtime& runtime,
                              bool structured) {
  switch (decision.reason) {
    case policy::Reason::paused:
    case policy::Reason::schedule:
    case policy::Reason::profile_deny:
    case policy::Reason::bypass: {
      const auto at = static_cast<std::size_t>(decision.reason);
      const std::string& json = runtime.reason_json[at];
      return structured && !json.empty() ? json : runtime.reason_text[at];
    }
    default: {
      const std::string& json =
          runtime.json_reason_for(decision.rule.list_index, decision.rule.category);
      return structured && !json.empty()
                 ? json
                 : runtime.reason_for(decision.rule.list_index, decision.rule.category);
    }
  }
}

// Seconds a client may keep an answer: the configured or given TTL, but never past the moment
// the decision may change (a bedtime that starts, a pause that ends).
std::uint32_t ttl_until(std::uint32_t ttl, std::int64_t valid_until, std::int64_t now) {
  if (valid_until == policy::kNever) return ttl;
  std::int64_t left = std::max<std::int64_t>(0, valid_until - now);
  return static_cast<std::uint32_t>(std::min<std::int64_t>(ttl, left));
}

void build_block_answer(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                        const policy::Decision& decision, std::vector<std::uint8_t>& out,
                        const Runtime& runtime, std::int64_t now) {
  const config::Config& config = *runtime.config;
  const config::BlockingConfig& blocking = config.blocking;
  const std::uint32_t ttl = ttl_until(blocking.ttl, decision.valid_until, now);
  dns::begin_answer(packet, query, block_rcode(decision, blocking.mode), out);
  bool forged = false;
  if (decision.rule.answer == blocklist::DnsAnswer::local_data) {
    std::vector<std::array<std::uint8_t, 4>> v4;
    std::vector<std::array<std::uint8_t, 16>> v6;
    split_local_data(decision.local_data, v4, v6);
    forged = append_addresses(query, ttl, v4, v6, out);
  } else if (decision.rule.answer == blocklist::DnsAnswer::configured &&
             blocking.mode == config::BlockMode::block_page) {
    forged = append_addresses(query, ttl, runtime.block_page_v4, runtime.block_page_v6, out);
  }
  // A client that reads structured errors is told the why, never "Forged Answer" (the draft's
  // MUST NOT: it would keep the drawbacks the structured error is there to end).
  const bool structured =
      query.edns.options_length != 0 && dns::requests_structured_errors(packet.subspan(
                                            query.edns.options_offset, query.edns.options_length));
  std::array<dns::ExtendedError, 2> errors{
      dns::ExtendedError{static_cast<std::uint16_t>(decision.ede),
                         block_reason(decision, runtime, structured)},
      dns::ExtendedError{dns::kEdeForgedAnswer, {}},
  };
  std::span<const dns::ExtendedError> used(errors.data(), forged && !structured ? 2 : 1);
  finish_for_client(out, query, over_tcp, config, used);
}

// Whether a steered name's answer to this question is rewritten: its addresses become the
// proxy's, its HTTPS/SVCB records lose ECH and address hints. Other types resolve as they are
// (the proxy only sees connections that A/AAAA send to it).
bool steers(const dns::Query& query) {
  return query.qclass == dns::kClassIn &&
         (query.qtype == dns::qtype::kA || query.qtype == dns::qtype::kAaaa ||
          query.qtype == dns::qtype::kSvcb || query.qtype == dns::qtype::kHttps);
}

// A steered name's real answer (cached or from upstream) made the answer the client gets, in
// place. False when it does not parse: then it must not be relayed either.
bool apply_steering(std::vector<std::uint8_t>& message, const Runtime& runtime) {
  std::vector<std::uint8_t> rewritten;
  dns::RewriteStatus status = dns::rewrite_for_steering(
      message, {.v4 = runtime.proxy_v4, .v6 = runtime.proxy_v6}, rewritten);
  if (status == dns::RewriteStatus::rewritten) message.swap(rewritten);
  return status != dns::RewriteStatus::bad;
}

// What the query says about its sender: the source address, and the EDNS claims (MAC,
// CPE-ID, Client Subnet) when some are trusted from somewhere. A malformed option voids every
// claim of the query: half-trusting a garbled packet is how one household poses as another.
policy::ClientFacts gather_facts(dns::Bytes packet, const net::Address& client,
                                 const dns::Query& query, const Runtime& runtime,
                                 metrics::WorkerMetrics& metrics) {
  policy::ClientFacts facts;
  facts.source = client;
  if (!runtime.reads_client_options || query.edns.options_length == 0) return facts;
  dns::ClientOptions options = dns::read_client_options(
      packet.subspan(query.edns.options_offset, query.edns.options_length));
  if (options.malformed) {
    metrics.client_options_malformed.add();
    return facts;
  }
  facts.mac = options.mac;
  facts.cpe_id = std::move(options.cpe_id);
  if (options.subnet) {
    policy::Address network;
    network.v6 = options.subnet->family == 2;
    network.bytes = options.subnet->address;
    facts.client_subnet = policy::Cidr{network, options.subnet->source_prefix};
  }
  return facts;
}

enum class Lookup : std::uint8_t { hit, absent, fetched, fallback };

void count_lookup(Lookup lookup, QueryContext& context) {
  context.metrics.household_lookups[static_cast<std::size_t>(lookup)].add();
}

// A believed private MAC that no device is bound to, from a household something else
// identified: perhaps a child's phone that made up a new address ("New devices" on the portal).
void note_new_device(const policy::ClientFacts& facts, const policy::Identity& identity,
                     QueryContext& context) {
  const policy::MacAddress* mac =
      policy::believed_mac(facts, context.runtime.config->subscribers.trust);
  if (mac == nullptr || !policy::is_private_mac(*mac)) return;
  context.activity->new_device(identity.subscriber->household, *mac, context.unix_now);
}

// Which household and device the query is from, counted by what identified it.
policy::Identity identify(const policy::ClientFacts& facts, QueryContext& context) {
  const Runtime& runtime = context.runtime;
  policy::Identity identity =
      runtime.subscribers->identify(facts, runtime.config->subscribers.trust);
  context.metrics.identified_by[static_cast<std::size_t>(identity.by)].add();
  // The one test most queries pay: no MAC option, or one that identified its device.
  if (identity.subscriber && facts.mac && identity.by != policy::IdentifiedBy::mac &&
      context.activity != nullptr) {
    note_new_device(facts, identity, context);
  }
  return identity;
}

// Whose settings decide: the household's for its device (`found`, as the directory has it),
// with the parent's grants; the operator's default profile when nobody was identified or the
// household is not known.
policy::Subject subject_of(const policy::Identity& identity, const profiles::Found& found,
                           const Runtime& runtime) {
  policy::Subject subject{.profile = &runtime.profiles->default_profile(),
                          .zone = runtime.profiles->default_zone().get()};
  if (!identity.subscriber) return subject;
  if (found.household) subject = found.household->subject(identity.subscriber->device);
  subject.grants =
      runtime.overrides->grants_for(identity.subscriber->household, identity.subscriber->device);
  return subject;
}

// Safe search: the client's question answered with a CNAME to the engine's safe endpoint and
// that endpoint's records, as `target_answer` (a cached or upstream answer for it) has them.
Step build_rewrite_answer(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                          const ForwardPlan& plan, dns::Bytes target_answer,
                          std::vector<std::uint8_t>& out, QueryContext& context) {
  const config::Config& config = *context.runtime.config;
  auto rcode = static_cast<Rcode>(dns::read_u16(&target_answer[dns::kOffFlags]) & dns::kRcodeMask);
  dns::begin_answer(packet, query, rcode, out);
  if (!dns::append_cname_chain(out, *plan.rewrite, target_answer, config.blocking.ttl)) {
    return reply_error(packet, query, Rcode::servfail, Outcome::servfail, out, context);
  }
  if (plan.max_ttl != ForwardPlan::kNoCap) dns::cap_ttls(out, plan.max_ttl);
  finish_for_client(out, query, over_tcp, config);
  respond(context, Outcome::rewritten);
  return Step::reply;
}

// A CHAOS-class query (version.bind and its kind), answered here and never forwarded: the
// configured string for the names that ask for a version or a server's identity, REFUSED for
// the rest and when nothing is configured.
Step answer_chaos(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                  std::vector<std::uint8_t>& out, QueryContext& context) {
  const config::DnsConfig& dns = context.runtime.config->dns;
  const std::string_view name = query.name();
  const std::string* text = nullptr;
  if (name == "version.bind" || name == "version.server") text = &dns.chaos_version;
  if (name == "id.server" || name == "hostname.bind") text = &dns.chaos_id;
  if (text == nullptr || text->empty()) {
    return reply_error(packet, query, Rcode::refused, Outcome::refused, out, context);
  }
  dns::begin_answer(packet, query, Rcode::noerror, out);
  if (query.qtype == dns::qtype::kTxt || query.qtype == dns::qtype::kAny) {
    dns::append_chaos_txt(out, *text);
  }
  finish_for_client(out, query, over_tcp, *context.runtime.config);
  respond(context, Outcome::cache_hit);  // answered here without the upstream, as from the cache
  return Step::reply;
}

// The question of a retargeted query as a packet: what the cache and the answer checks read.
std::vector<std::uint8_t> question_packet(const dns::Query& query, const Runtime& runtime) {
  std::vector<std::uint8_t> packet;
  dns::build_upstream_query(query, query.id, runtime.config->dns.udp_payload_size, packet);
  return packet;
}

}  // namespace

std::int64_t unix_seconds() {
  return clock::now();
}

bool client_allowed(const std::vector<net::Cidr>& allowed, const net::Address& client) {
  for (const net::Cidr& network : allowed) {
    if (network.contains(client)) return true;
  }
  return false;
}

namespace {

// The checks every query passes before anyone asks who sent it; a step when the query ends
// here (dropped, refused, malformed, not implemented, CHAOS).
std::optional<Step> screen(const Request& request, dns::Query& query,
                           std::vector<std::uint8_t>& out, QueryContext& context) {
  const dns::Bytes packet = request.packet;
  const config::Config& config = *context.runtime.config;
  dns::ParseStatus status = dns::parse_query(packet, query);
  if (status == dns::ParseStatus::drop) {
    respond(context, Outcome::dropped);
    return Step::drop;
  }
  // Refuse strangers before telling them anything else: Shelter is never an open resolver.
  if (!client_allowed(config.dns.allow_clients, request.client)) {
    return reply_error(packet, query, Rcode::refused, Outcome::refused, out, context);
  }
  if (status == dns::ParseStatus::formerr) {
    return reply_error(packet, query, Rcode::formerr, Outcome::formerr, out, context);
  }
  if (status == dns::ParseStatus::notimp || query.qtype == dns::qtype::kAxfr ||
      query.qtype == dns::qtype::kIxfr) {
    return reply_error(packet, query, Rcode::notimp, Outcome::notimp, out, context);
  }
  if (query.edns.present && query.edns.version != 0) [[unlikely]] {
    // RFC 6891 6.1.3: BADVERS, with our OPT at the version we speak (0).
    dns::build_badvers(packet, query, config.dns.udp_payload_size, out);
    respond(context, Outcome::formerr);
    return Step::reply;
  }
  if (query.qclass == dns::kClassCh) [[unlikely]]
    return answer_chaos(packet, query, request.over_tcp, out, context);
  return std::nullopt;
}

Step answer_block(const Request& request, const dns::Query& query, const policy::Decision& decision,
                  const profiles::Household* household, std::vector<std::uint8_t>& out,
                  QueryContext& context) {
  const Runtime& runtime = context.runtime;
  build_block_answer(request.packet, query, request.over_tcp, decision, out, runtime,
                     context.unix_now);
  const std::size_t slot = runtime.block_slot(decision);
  context.note.slot = static_cast<std::uint16_t>(slot);
  context.metrics.blocks[slot].add();
  // The household's weekly count: its id and the category, never the name or the device.
  if (household != nullptr && context.activity != nullptr)
    context.activity->blocked(household->id, slot);
  respond(context, Outcome::blocked);
  return Step::reply;
}

// Safe search: the engine's safe endpoint answered from the cache, or asked upstream. Nothing
// when the name cannot be retargeted: then the query goes on as any other.
std::optional<Step> answer_rewrite(const Request& request, const dns::Query& query,
                                   std::string_view rewrite_to, std::vector<std::uint8_t>& out,
                                   QueryContext& context, ForwardPlan& plan) {
  plan.rewrite.emplace();
  if (!dns::retarget(query, rewrite_to, *plan.rewrite)) {
    plan.rewrite.reset();
    return std::nullopt;
  }
  std::vector<std::uint8_t> cached;
  if (context.cache.lookup(question_packet(*plan.rewrite, context.runtime), *plan.rewrite,
                           context.now, cached)) {
    context.metrics.cache_hits.add();
    return build_rewrite_answer(request.packet, query, request.over_tcp, plan, cached, out,
                                context);
  }
  context.metrics.cache_misses.add();
  return Step::forward;
}

// The answer from the cache (steered and capped as the plan says), or the plan for upstream.
Step answer_from_cache(const Request& request, const dns::Query& query,
                       std::vector<std::uint8_t>& out, QueryContext& context,
                       const ForwardPlan& plan) {
  const dns::Bytes packet = request.packet;
  if (!context.cache.lookup(packet, query, context.now, out)) {
    context.metrics.cache_misses.add();
    return Step::forward;
  }
  context.metrics.cache_hits.add();
  bool failure = (dns::read_u16(&out[dns::kOffFlags]) & dns::kRcodeMask) ==
                 static_cast<std::uint16_t>(Rcode::servfail);
  if (plan.steer && !apply_steering(out, context.runtime)) {
    return reply_error(packet, query, Rcode::servfail, Outcome::servfail, out, context);
  }
  if (plan.max_ttl != ForwardPlan::kNoCap) dns::cap_ttls(out, plan.max_ttl);
  finish_for_client(out, query, request.over_tcp, *context.runtime.config);
  respond(context, failure      ? Outcome::servfail
                   : plan.steer ? Outcome::steered
                                : Outcome::cache_hit);
  return Step::reply;
}

// Everything after the household lookup: decide for the subject, then act on the verdict.
Step decide_and_answer(const Request& request, const dns::Query& query,
                       const policy::Identity& identity, const profiles::Found& found,
                       std::vector<std::uint8_t>& out, QueryContext& context, ForwardPlan& plan) {
  const Runtime& runtime = context.runtime;
  policy::Decision decision =
      policy::decide({.qname = query.name(), .now = context.unix_now},
                     subject_of(identity, found, runtime), runtime.environment());
  // Counted, not logged per query: the name would be a browsing log. The exceptions that can
  // do this are announced when the lists load.
  if (decision.legal_override) context.metrics.legal_overrides.add();
  // Names a legal list decides (blocked, or steered for its URL entries) never reach the log.
  context.note.withheld =
      decision.steer_legal || (decision.list != nullptr && decision.list->legal);
  if (decision.verdict == policy::Verdict::block)
    return answer_block(request, query, decision, found.household, out, context);
  plan.max_ttl = ttl_until(plan.max_ttl, decision.valid_until, context.unix_now);
  // A steered answer is the real one with the proxy's addresses: the same rcode, CNAME chain
  // and TTL as any other name's, so it does not stand out (docs/lists.md, "Steering").
  plan.steer = decision.verdict == policy::Verdict::steer && steers(query);
  if (decision.verdict == policy::Verdict::rewrite) {
    if (std::optional<Step> step =
            answer_rewrite(request, query, decision.rewrite_to, out, context, plan))
      return *step;
  }
  return answer_from_cache(request, query, out, context, plan);
}

// The first pass of a query: as far as memory goes. It stops at Step::fetch when the
// household is in the store but not in memory, with `identity` to resume from.
LocalAnswer answer_here(const Request& request, dns::Query& query, std::vector<std::uint8_t>& out,
                        QueryContext& context) {
  (request.over_tcp ? context.metrics.queries_tcp : context.metrics.queries_udp).add();
  LocalAnswer answer;
  if (std::optional<Step> step = screen(request, query, out, context)) {
    answer.step = *step;
    return answer;
  }
  const Runtime& runtime = context.runtime;
  answer.identity = identify(
      gather_facts(request.packet, request.client, query, runtime, context.metrics), context);
  profiles::Found found;
  if (answer.identity.subscriber) {
    found = runtime.subscribers->find(answer.identity.subscriber->household);
    if (found.status == profiles::Found::Status::pending) {
      answer.step = Step::fetch;
      return answer;
    }
    count_lookup(found.status == profiles::Found::Status::hit ? Lookup::hit : Lookup::absent,
                 context);
  }
  answer.step =
      decide_and_answer(request, query, answer.identity, found, out, context, answer.plan);
  return answer;
}

void relay_upstream(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                    const upstream::UpstreamAnswer& upstream, const ForwardPlan& plan,
                    std::vector<std::uint8_t>& out, QueryContext& context) {
  const config::Config& config = *context.runtime.config;
  if (plan.rewrite) {
    const dns::Query& target = *plan.rewrite;
    std::vector<std::uint8_t> target_packet = question_packet(target, context.runtime);
    std::vector<std::uint8_t> adopted;
    if (!upstream.ok || !dns::adopt_upstream_answer(target_packet, target, upstream.message,
                                                    upstream.parsed, adopted)) {
      context.cache.insert_failure(target, config.cache.servfail_ttl, context.now);
      reply_error(packet, query, Rcode::servfail, Outcome::servfail, out, context);
      return;
    }
    context.cache.insert(target, adopted, upstream.parsed, context.now);
    build_rewrite_answer(packet, query, over_tcp, plan, adopted, out, context);
    return;
  }
  if (!upstream.ok ||
      !dns::adopt_upstream_answer(packet, query, upstream.message, upstream.parsed, out)) {
    context.cache.insert_failure(query, config.cache.servfail_ttl, context.now);
    reply_error(packet, query, Rcode::servfail, Outcome::servfail, out, context);
    return;
  }
  context.cache.insert(query, out, upstream.parsed, context.now);
  if (plan.steer && !apply_steering(out, context.runtime)) {
    reply_error(packet, query, Rcode::servfail, Outcome::servfail, out, context);
    return;
  }
  if (plan.max_ttl != ForwardPlan::kNoCap) dns::cap_ttls(out, plan.max_ttl);
  finish_for_client(out, query, over_tcp, config);
  respond(context, plan.steer ? Outcome::steered : Outcome::forwarded);
}

// The log's verdict of each Outcome, in its order (dropped queries are not logged).
querylog::Verdict log_verdict(Outcome outcome) {
  using V = querylog::Verdict;
  static constexpr std::array<V, static_cast<std::size_t>(Outcome::kCount)> kVerdicts = {
      V::answered, V::answered, V::blocked, V::steered, V::rewritten,
      V::refused,  V::servfail, V::formerr, V::notimp,  V::answered};
  static_assert(static_cast<int>(Outcome::blocked) == 2 && static_cast<int>(Outcome::notimp) == 8 &&
                static_cast<int>(Outcome::dropped) == 9);
  return kVerdicts[static_cast<std::size_t>(outcome)];
}

// Who asked, as the log's writer will hash it: the household when one was identified, else
// the client's address.
std::string_view log_subject(const policy::Identity& identity, const net::Address& client,
                             std::array<char, querylog::Buffer::kMaxSubject>& scratch) {
  if (identity.subscriber) {
    const std::string_view household = identity.subscriber->household;
    scratch[0] = static_cast<char>(querylog::SubjectKind::household);
    const std::size_t n = std::min(household.size(), scratch.size() - 1);
    std::memcpy(scratch.data() + 1, household.data(), n);
    return {scratch.data(), n + 1};
  }
  const std::size_t n = client.v6 ? 16 : 4;
  scratch[0] = static_cast<char>(client.v6 ? querylog::SubjectKind::v6 : querylog::SubjectKind::v4);
  std::memcpy(scratch.data() + 1, client.bytes.data(), n);
  return {scratch.data(), n + 1};
}

void log_answer(const dns::Query& query, const std::vector<std::uint8_t>& out,
                std::string_view subject, bool withheld, const QueryContext& context) {
  querylog::RecordHead head{
      .time = context.unix_now,
      .qtype = query.qtype,
      .slot = context.note.outcome == Outcome::blocked ? context.note.slot : querylog::kNoSlot,
      .rcode = static_cast<std::uint8_t>(
          out.size() > dns::kOffFlags + 1 ? out[dns::kOffFlags + 1] & dns::kRcodeMask : 0),
      .verdict = log_verdict(context.note.outcome),
      .withheld = withheld};
  context.query_log->push(head, subject, query.name());
}

// The query log's part of a local answer: a line for an answer given now, or who asked for
// the line that the upstream's answer will bring.
void note_local(const Request& request, const dns::Query& query,
                const std::vector<std::uint8_t>& out, const QueryContext& context,
                LocalAnswer& answer) {
  std::array<char, querylog::Buffer::kMaxSubject> scratch;
  if (answer.step == Step::reply && context.note.outcome != Outcome::dropped) {
    log_answer(query, out, log_subject(answer.identity, request.client, scratch),
               context.note.withheld, context);
  } else if (answer.step == Step::forward) {
    answer.plan.log_subject = log_subject(answer.identity, request.client, scratch);
    answer.plan.log_withheld = context.note.withheld;
  }
}

}  // namespace

LocalAnswer answer_locally(const Request& request, dns::Query& query,
                           std::vector<std::uint8_t>& out, QueryContext& context) {
  context.note = {};
  LocalAnswer answer = answer_here(request, query, out, context);
  // The query log is off unless an operator turned it on: then this is the one test.
  if (context.query_log != nullptr) [[unlikely]]
    note_local(request, query, out, context, answer);
  return answer;
}

LocalAnswer resume_after_fetch(const Request& request, const dns::Query& query,
                               const policy::Identity& identity, std::vector<std::uint8_t>& out,
                               QueryContext& context) {
  context.note = {};
  LocalAnswer answer;
  answer.identity = identity;
  profiles::Found found;
  if (identity.subscriber) {
    found = context.runtime.subscribers->find(identity.subscriber->household);
    using Status = profiles::Found::Status;
    count_lookup(found.status == Status::pending  ? Lookup::fallback
                 : found.status == Status::absent ? Lookup::absent
                                                  : Lookup::fetched,
                 context);
  }
  answer.step = decide_and_answer(request, query, identity, found, out, context, answer.plan);
  if (context.query_log != nullptr) [[unlikely]]
    note_local(request, query, out, context, answer);
  return answer;
}

void answer_from_upstream(dns::Bytes packet, const dns::Query& query, bool over_tcp,
                          const upstream::UpstreamAnswer& upstream, const ForwardPlan& plan,
                          std::vector<std::uint8_t>& out, QueryContext& context) {
  relay_upstream(packet, query, over_tcp, upstream, plan, out, context);
  if (context.query_log != nullptr && !plan.log_subject.empty()) [[unlikely]]
    log_answer(query, out, plan.log_subject, plan.log_withheld, context);
}

}  // namespace shelter::proxy::server
