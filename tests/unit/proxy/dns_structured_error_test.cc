#include "proxy/dns/structured_error.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace dns = shelter::proxy::dns;

namespace {

std::vector<std::uint8_t> option(std::uint16_t code, std::vector<std::uint8_t> data) {
  std::vector<std::uint8_t> out;
  out.reserve(4 + data.size());
  for (const std::size_t v :
       {std::size_t{code} >> 8, std::size_t{code} & 0xff, data.size() >> 8, data.size() & 0xff})
    out.push_back(static_cast<std::uint8_t>(v));
  for (const std::uint8_t b : data)  // (a vector insert of nothing trips GCC 12's -Warray-bounds)
    out.push_back(b);
  return out;
}

std::vector<std::uint8_t> concat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
  for (const std::uint8_t x : b)
    a.push_back(x);
  return a;
}

}  // namespace

TEST_CASE("a query asks for structured errors with an empty EDE option of INFO-CODE 0",
          "[structured_error]") {
  const auto ask = option(15, {0, 0});
  CHECK(dns::requests_structured_errors(ask));
  CHECK(dns::requests_structured_errors(concat(option(10, {1, 2, 3, 4, 5, 6, 7, 8}), ask)));
  CHECK_FALSE(dns::requests_structured_errors({}));
  CHECK_FALSE(dns::requests_structured_errors(option(15, {0, 1})));       // another code
  CHECK_FALSE(dns::requests_structured_errors(option(15, {0, 0, 'x'})));  // with text
  CHECK_FALSE(dns::requests_structured_errors(option(15, {})));           // too short
  CHECK_FALSE(dns::requests_structured_errors(option(8, {0, 0})));        // not EDE
  auto overrun = option(15, {0, 0});
  overrun[3] = 9;  // says 9 bytes, has 2
  CHECK_FALSE(dns::requests_structured_errors(overrun));
  const std::vector<std::uint8_t> truncated{0, 15, 0};
  CHECK_FALSE(dns::requests_structured_errors(truncated));
}

TEST_CASE("structured errors are minified I-JSON with c, j, s, o and l", "[structured_error]") {
  dns::StructuredError e{
      .contacts = {"mailto:abuse@isp.example", "https://isp.example/", "tel:+441234567890"},
      .justification = "Blocked by list \"x\"\\n",
      .suberror = 6,
      .organisation = "ISP",
      .language = "en"};
  CHECK(dns::structured_error_json(e) ==
        R"({"c":["mailto:abuse@isp.example","tel:+441234567890"],"j":"Blocked by list \"x\"\\n",)"
        R"("s":6,"o":"ISP","l":"en"})");
  e.suberror.reset();
  e.justification = std::string("tab\there") + '\x01';
  CHECK(dns::structured_error_json(e).find(R"("j":"tab\u0009here\u0001")") != std::string::npos);
  CHECK(dns::structured_error_json(e).find("\"s\"") == std::string::npos);
  // "c" is mandatory: with no mailto: or tel: contact there is no JSON at all.
  e.contacts = {"https://isp.example/"};
  CHECK(dns::structured_error_json(e).empty());
}

TEST_CASE("structured errors drop j, then o, to stay within their budget", "[structured_error]") {
  dns::StructuredError e{.contacts = {"mailto:a@b.example"},
                         .justification = std::string(150, 'j'),
                         .suberror = std::nullopt,
                         .organisation = std::string(60, 'o'),
                         .language = "fr"};
  const std::string full = dns::structured_error_json(e, 1000);
  CHECK(full.find("\"j\"") != std::string::npos);
  const std::string without_j = dns::structured_error_json(e, 200);
  CHECK(without_j.find("\"j\"") == std::string::npos);
  CHECK(without_j.find("\"o\"") != std::string::npos);
  CHECK(without_j.size() <= 200);
  const std::string bare = dns::structured_error_json(e, 60);
  CHECK(bare == R"({"c":["mailto:a@b.example"],"l":"fr"})");
}
