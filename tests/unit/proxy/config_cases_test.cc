// The configuration of appeals and access requests: web.public-listen, tokens, rate limits,
// `cases:` (retention, referrals) and admin.token-file: defaults, values, errors.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "proxy/config/loader.h"

namespace cfg = shelter::proxy::config;
using namespace std::chrono_literals;

namespace {

std::string errors_of(std::string_view yaml) {
  cfg::LoadResult r = cfg::parse_config(yaml, "test.yaml");
  std::string all;
  for (const auto& e : r.errors)
    all += e + "\n";
  return all;
}

cfg::Config valid(std::string_view yaml) {
  cfg::LoadResult r = cfg::parse_config(yaml, "test.yaml");
  INFO(errors_of(yaml));
  REQUIRE(r.config);
  return *r.config;
}

}  // namespace

TEST_CASE("appeal settings: defaults", "[config][cases]") {
  const cfg::Config c = valid("{}");
  CHECK(c.web.public_listen.empty());
  CHECK(c.web.token_keys_file.empty());
  CHECK(c.web.token_lifetime == 24h);
  CHECK(c.web.appeal_rate.count == 5);
  CHECK(c.web.appeal_rate.period == 1h);
  CHECK(c.web.check_rate.count == 60);
  CHECK(c.web.check_rate.period == 1min);
  CHECK(c.cases.contact_after_close == std::chrono::hours(24 * 30));
  CHECK(c.cases.waiting_request == 24h);
  CHECK(c.cases.referral_command.empty());
  CHECK(c.admin.token_file.empty());
  // make run's defaults serve the public pages on loopback.
  cfg::LoadResult defaults = cfg::embedded_defaults();
  REQUIRE(defaults.config);
  REQUIRE(defaults.config->web.public_listen.size() == 1);
  CHECK(defaults.config->web.public_listen[0].to_string() == "127.0.0.1:8080");
}

TEST_CASE("appeal settings: values as an operator writes them", "[config][cases]") {
  const cfg::Config c = valid(R"(
web:
  public-listen: ["127.0.0.1:8080", "[::1]:8080"]
  token-keys-file: /etc/shelter/token-keys
  token-lifetime: 2h
  appeal-rate: 3/day
  ask-rate: 20/hour
  check-rate: 2/second
cases:
  contact-retention: 7d
  request-expiry: 30m
  referral-command: ["/usr/local/bin/refer", "--to", "appeals@hotline.example"]
  referral-webhook: http://127.0.0.1:8900/referrals
admin:
  token-file: /etc/shelter/admin.tokens
)");
  CHECK(c.web.public_listen.size() == 2);
  CHECK(c.web.token_lifetime == 2h);
  CHECK(c.web.appeal_rate.count == 3);
  CHECK(c.web.appeal_rate.period == 24h);
  CHECK(c.web.check_rate.period == 1s);
  CHECK(c.cases.contact_after_close == std::chrono::hours(24 * 7));
  CHECK(c.cases.waiting_request == 30min);
  CHECK(c.cases.referral_command.size() == 3);
  CHECK(c.cases.referral_webhook == "http://127.0.0.1:8900/referrals");
  CHECK(c.admin.token_file == "/etc/shelter/admin.tokens");
}

TEST_CASE("appeal settings: errors name the key and what is wrong", "[config][cases]") {
  CHECK_THAT(errors_of("web: {appeal-rate: 5/fortnight}"),
             Catch::Contains("web.appeal-rate") && Catch::Contains("is not a rate"));
  CHECK_THAT(errors_of("web: {ask-rate: 0/hour}"), Catch::Contains("is not a rate"));
  CHECK_THAT(errors_of("web: {check-rate: many}"), Catch::Contains("is not a rate"));
  CHECK_THAT(errors_of("cases: {referral-command: [refer]}"),
             Catch::Contains("is not an absolute path"));
  CHECK_THAT(errors_of("cases: {referral-command: []}"), Catch::Contains("is empty"));
  CHECK_THAT(errors_of("cases: {referral-webhook: 'ftp://x'}"),
             Catch::Contains("is not an http:// URL"));
  CHECK_THAT(errors_of("cases: {contact-retention: 1s}"), Catch::Contains("contact-retention"));
  CHECK_THAT(errors_of("cases: {retention: 1d}"), Catch::Contains("cases.retention"));
  CHECK_THAT(errors_of("web: {token-lifetime: 1s}"), Catch::Contains("web.token-lifetime"));
}
