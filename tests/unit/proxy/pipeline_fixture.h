#pragma once
// Test fixture for the query pipeline: a Runtime built from YAML with inline lists, the shared
// cache, one worker's metrics and a clock the test moves, plus readers for the answers. No
// sockets, no real time: everything answer_locally and answer_from_upstream touch is here.

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/config/loader.h"
#include "proxy/dns/cache.h"
#include "proxy/dns/message.h"
#include "proxy/lists/list_loader.h"
#include "proxy/metrics/metrics.h"
#include "proxy/net/endpoint.h"
#include "proxy/server/query_pipeline.h"
#include "proxy/server/runtime.h"
#include "proxy/upstream/upstream_answer.h"
#include "tests/unit/proxy/dns_test_util.h"

namespace shelter::proxy::server::test {

using dns::test::Wire;

inline net::Address address(std::string_view text) {
  std::optional<net::Address> a = net::Address::parse(text);
  REQUIRE(a);
  return *a;
}

/// One query as it went through answer_locally. The packet and its parse stay together,
/// because answers copy the question from the packet and answer_from_upstream needs both.
struct Exchange {
  Wire packet;
  dns::Query query;
  bool over_tcp = false;
  Step step = Step::drop;
  Wire out;
  ForwardPlan plan;
  net::Address client{};
  policy::Identity identity{};  ///< who asked (Step::fetch: whose household to wait for)

  Request request() const { return {.packet = packet, .client = client, .over_tcp = over_tcp}; }
  void take(LocalAnswer answer) {
    step = answer.step;
    plan = std::move(answer.plan);
    identity = std::move(answer.identity);
  }
};

/// A Runtime from YAML, as the daemon builds it (parse_config, load_lists, make_runtime), with
/// a cache and metrics that survive reload().
class Pipeline {
 public:
  explicit Pipeline(std::string_view yaml) : config_(load_config(yaml)), cache_(limits(*config_)) {
    runtime_ = build_runtime(config_);
  }

  /// A reload: a new configuration and lists; the cache, metrics and category slots stay.
  void reload(std::string_view yaml) {
    config_ = load_config(yaml);
    runtime_ = build_runtime(config_);
  }

  /// Runs `packet` from `client` through answer_locally.
  Exchange ask(Wire packet, const net::Address& client, bool over_tcp = false) {
    Exchange e{std::move(packet), {}, over_tcp, Step::drop, {}, {}, client, {}};
    QueryContext answering = context();
    e.take(answer_locally(e.request(), e.query, e.out, answering));
    return e;
  }
  Exchange ask(Wire packet, std::string_view client = "127.0.0.1", bool over_tcp = false) {
    return ask(std::move(packet), address(client), over_tcp);
  }

  /// Resumes an exchange left at Step::fetch through resume_after_fetch, as a worker does
  /// once its wait for the household is over.
  void resume(Exchange& e) {
    REQUIRE(e.step == Step::fetch);
    QueryContext answering = context();
    e.take(resume_after_fetch(e.request(), e.query, e.identity, e.out, answering));
  }

  /// Completes a forwarded exchange with `upstream` through answer_from_upstream, which always
  /// leaves a reply (the relayed answer or SERVFAIL) in `out`.
  void complete(Exchange& e, const upstream::UpstreamAnswer& upstream) {
    REQUIRE(e.step == Step::forward);
    QueryContext answering = context();
    answer_from_upstream(e.packet, e.query, e.over_tcp, upstream, e.plan, e.out, answering);
    e.step = Step::reply;
  }

  /// Puts `directory` in place of the configured subscribers (a store the test controls).
  void use_directory(std::shared_ptr<const profiles::Directory> directory) {
    auto copy = std::make_shared<Runtime>(*runtime_);
    copy->subscribers = std::move(directory);
    runtime_ = std::move(copy);
  }

  void advance(std::chrono::seconds s) {
    now_ += s;
    unix_now_ += s.count();
  }
  void set_unix_now(std::int64_t t) { unix_now_ = t; }
  /// Where answers are logged (null: the query log is off).
  querylog::Buffer* query_log = nullptr;

  const Runtime& runtime() const { return *runtime_; }
  const config::Config& config() const { return *config_; }
  const metrics::WorkerMetrics& metrics() const { return metrics_; }
  metrics::BlockSlots& slots() { return slots_; }
  dns::SharedResponseCache& cache() { return cache_; }

  std::uint64_t responses(metrics::Outcome o) const {
    return metrics_.responses[static_cast<std::size_t>(o)].get();
  }
  /// Blocks of `category`, whatever their source.
  std::uint64_t blocks(std::string_view category) const {
    std::uint64_t n = 0;
    const std::vector<metrics::BlockSource> sources = slots_.sources();
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (sources[i].category == category) n += metrics_.blocks[i].get();
    }
    return n;
  }

 private:
  QueryContext context() {
    return {.runtime = *runtime_,
            .cache = cache_,
            .metrics = metrics_,
            .now = now_,
            .unix_now = unix_now_,
            .query_log = query_log};
  }

  static std::shared_ptr<const config::Config> load_config(std::string_view yaml) {
    config::LoadResult loaded = config::parse_config(yaml, "pipeline test");
    INFO(yaml);
    for (const std::string& e : loaded.errors)
      UNSCOPED_INFO(e);
    REQUIRE(loaded.errors.empty());
    REQUIRE(loaded.config);
    return std::make_shared<const config::Config>(std::move(*loaded.config));
  }

  std::shared_ptr<const Runtime> build_runtime(std::shared_ptr<const config::Config> config) {
    lists::ListLoadResult lists = lists::load_configured_lists(*config, {});
    for (const std::string& e : lists.errors)
      UNSCOPED_INFO(e);
    REQUIRE(lists.errors.empty());
    REQUIRE(lists.lists);
    std::vector<net::Endpoint> upstreams{*net::Endpoint::parse("127.0.0.1:53", 53)};
    std::vector<std::string> errors;
    profiles::Subscribers subscribers = profiles::load_subscribers(*config, categories_, errors);
    for (const std::string& e : errors)
      UNSCOPED_INFO(e);
    REQUIRE(errors.empty());
    return make_runtime(std::move(config), std::move(lists.lists), std::move(upstreams),
                        std::move(subscribers), slots_);
  }

  static dns::CacheLimits limits(const config::Config& config) {
    return cache_limits(config.cache);
  }

  std::shared_ptr<const config::Config> config_;
  policy::CategoryRegistry categories_;
  metrics::BlockSlots slots_;
  std::shared_ptr<const Runtime> runtime_;
  dns::SharedResponseCache cache_;
  metrics::WorkerMetrics metrics_;
  dns::CacheClock::time_point now_ = dns::CacheClock::time_point{} + std::chrono::hours(24);
  std::int64_t unix_now_ = 1'798'000'000;  // 2026-12-23
};

/// One resource record of an answer, read back.
struct Record {
  std::string name;  ///< lower case, dotted, no trailing dot
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
  std::uint32_t ttl = 0;
  Wire rdata;
};

/// One Extended DNS Error option (RFC 8914), read back.
struct Ede {
  std::uint16_t code = 0;
  std::string text;
};

/// A whole answer read back: parse_response's view, the answer section, and our OPT.
struct Decoded {
  dns::Response response;
  std::vector<Record> answers;
  std::optional<dns::test::DecodedOpt> opt;
  std::vector<Ede> edes;
};

inline std::string dotted(const std::uint8_t* wire, std::size_t length) {
  std::string text;
  for (std::size_t i = 0; i < length && wire[i] != 0; i += 1 + wire[i]) {
    if (!text.empty()) text += '.';
    text.append(reinterpret_cast<const char*>(wire + i + 1), wire[i]);
  }
  return text;
}

/// Decodes an answer that has a question; REQUIREs that it is well formed.
inline Decoded decode(const Wire& m) {
  Decoded d;
  REQUIRE(dns::parse_response(m, d.response) == dns::ParseStatus::ok);
  std::size_t p = dns::read_name(m, dns::kHeaderSize, nullptr, nullptr);
  REQUIRE(p != 0);
  p += 4;
  for (std::uint16_t i = 0; i < d.response.ancount; ++i) {
    Record r;
    std::array<std::uint8_t, dns::kMaxNameLength> name{};
    std::uint8_t name_length = 0;
    p = dns::read_name(m, p, name.data(), &name_length);
    REQUIRE(p != 0);
    REQUIRE(p + 10 <= m.size());
    r.name = dotted(name.data(), name_length);
    r.type = dns::read_u16(&m[p]);
    r.rclass = dns::read_u16(&m[p + 2]);
    r.ttl = dns::read_u32(&m[p + 4]);
    std::size_t rdlength = dns::read_u16(&m[p + 8]);
    p += 10;
    REQUIRE(p + rdlength <= m.size());
    r.rdata.assign(m.begin() + static_cast<std::ptrdiff_t>(p),
                   m.begin() + static_cast<std::ptrdiff_t>(p + rdlength));
    p += rdlength;
    d.answers.push_back(std::move(r));
  }
  if (d.response.opt_end != 0) {
    CHECK(d.response.opt_end == m.size());  // our OPT is always the last record
    d.opt = dns::test::decode_opt(m, d.response.opt_begin, d.response.opt_end);
    REQUIRE(d.opt->well_formed);
    for (const dns::test::Option& o : d.opt->options) {
      if (o.code != 15) continue;
      REQUIRE(o.data.size() >= 2);
      d.edes.push_back(
          Ede{dns::read_u16(o.data.data()), std::string(o.data.begin() + 2, o.data.end())});
    }
  }
  return d;
}

inline std::vector<std::uint16_t> ede_codes(const Decoded& d) {
  std::vector<std::uint16_t> codes;
  for (const Ede& e : d.edes)
    codes.push_back(e.code);
  return codes;
}

}  // namespace shelter::proxy::server::test

namespace Catch {
template <>
struct StringMaker<shelter::proxy::server::Step> {
  static std::string convert(shelter::proxy::server::Step s) {
    using shelter::proxy::server::Step;
    switch (s) {
      case Step::reply:
        return "reply";
      case Step::forward:
        return "forward";
      case Step::drop:
        return "drop";
      case Step::fetch:
        return "fetch";
    }
    return "?";
  }
};
}  // namespace Catch
