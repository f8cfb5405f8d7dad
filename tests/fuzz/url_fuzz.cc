// Feeds arbitrary bytes to the URL canonicaliser and to the URL list parser. Besides crashes, it
// checks the invariants that matching relies on, and aborts when one fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "blocklist/url.h"
#include "blocklist/url_list.h"

namespace bl = shelter::blocklist;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

bool has_control_or_space(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f) return true;
  }
  return false;
}

void check_canonical(const bl::CanonicalUrl& url) {
  require(!url.host.empty());
  require(url.path.starts_with('/'));
  require(url.path.find('#') == std::string::npos);
  require(!has_control_or_space(url.host) && !has_control_or_space(url.path));
  // Idempotence: the canonical form, written without a scheme, is its own canonical form.
  std::string error;
  auto again = bl::canonicalise_url(url.host + url.path, error);
  require(again && again->host == url.host && again->path == url.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto url = bl::canonicalise_url(text, error)) {
    check_canonical(*url);
  } else {
    require(!error.empty());
  }

  auto summary = bl::parse_url_list(text, [](const bl::Rule& rule) {
    require(!rule.host.empty());
    // A rule is a canonical URL cut into host and path: a bare host has no path.
    std::string rebuilt(rule.host);
    rebuilt += rule.path.empty() ? std::string_view("/") : rule.path;
    std::string error;
    auto url = bl::canonicalise_url(rebuilt, error);
    require(url && url->host == rule.host);
    require(rule.path.empty() ? url->path == "/" : url->path == rule.path);
    require(!rule.path_prefix || rule.path.ends_with('/'));
  });
  require(summary.issues.size() <= bl::ParseSummary::kMaxIssues);
  require(summary.issues.size() <= summary.rejected);
  return 0;
}
