#include "proxy/admin/self_test.h"

#include <boost/json.hpp>

#include "proxy/admin/explain_api.h"
#include "proxy/lists/sha256.h"

namespace shelter::proxy::admin {
namespace {

namespace json = boost::json;

constexpr std::string_view kPurpose = "self-test";

// The report's digest, over its JSON without the signature, hex.
std::string digest_of(const json::object& report) {
  json::object unsigned_report = report;
  unsigned_report.erase("signature");
  const std::string text = json::serialize(unsigned_report);
  return lists::Sha256().add(text).hex();
}

// A name has neither '/' nor ':'; anything else is read as a URL.
bool is_url(std::string_view entry) {
  return entry.find_first_of("/:") != std::string_view::npos;
}

}  // namespace

net::Address self_test_client(const server::Runtime& runtime) {
  // No client configured: an address no binding can name (TEST-NET-1's .0).
  return runtime.config->admin.self_test_client.value_or(*net::Address::parse("192.0.2.0"));
}

std::string self_test_report(const server::Runtime& runtime, const web::TokenKeys& keys,
                             const std::string& node, std::int64_t now,
                             const profiles::Household* stored) {
  const config::AdminConfig& settings = runtime.config->admin;
  const net::Address client = self_test_client(runtime);
  json::object report;
  report["node"] = node;
  report["at"] = now;
  report["client"] = client.to_string();
  json::array checks;
  bool passed = true;
  auto run = [&](const std::vector<std::string>& entries, std::string_view expect) {
    for (const std::string& entry : entries) {
      std::string error;
      std::optional<json::object> decided =
          explain_subject(runtime, client, entry, is_url(entry), now, error, stored);
      json::object check;
      check["subject"] = entry;
      check["expect"] = expect;
      bool pass = false;
      if (decided) {
        const std::string verdict(decided->at("verdict").as_string());
        pass = verdict == expect;
        check["verdict"] = verdict;
        if (const json::value* list = decided->if_contains("list")) check["list"] = *list;
      } else {
        check["error"] = error;
      }
      check["pass"] = pass;
      passed = passed && pass;
      checks.push_back(std::move(check));
    }
  };
  run(settings.self_test_block, "block");
  run(settings.self_test_allow, "allow");
  report["checks"] = std::move(checks);
  // Nothing configured passes nothing: a report must prove something.
  report["passed"] =
      passed && !(settings.self_test_block.empty() && settings.self_test_allow.empty());
  report["lists"] = runtime.lists->snapshot->lists().size();
  report["signature"] = keys.sign(kPurpose, digest_of(report));
  return json::serialize(report);
}

std::optional<bool> verify_self_test(std::string_view report_json, const web::TokenKeys& keys) {
  json::error_code ec;
  json::value v = json::parse(report_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& report = v.as_object();
  const json::value* signature = report.if_contains("signature");
  if (signature == nullptr || !signature->is_string()) return std::nullopt;
  const std::optional<std::string> signed_digest =
      keys.verify(kPurpose, std::string_view(signature->as_string()));
  return signed_digest && *signed_digest == digest_of(report);
}

}  // namespace shelter::proxy::admin
