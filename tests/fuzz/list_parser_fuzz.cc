// Feeds arbitrary bytes to the list parser in both formats, loads every domain it accepts into
// a snapshot and looks each one up again. Besides crashes, it checks the invariants that the
// rest of the program relies on, and aborts when one fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "blocklist/domain_list.h"
#include "blocklist/snapshot.h"

namespace bl = shelter::blocklist;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

bool covers(std::string_view rule, std::string_view name) {
  return name == rule || (name.size() > rule.size() && name.ends_with(rule) &&
                          name[name.size() - rule.size() - 1] == '.');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bl::SnapshotBuilder builder;
  std::vector<std::string> domains;
  for (auto format : {bl::ListFormat::domains, bl::ListFormat::hosts}) {
    // The hosts list is legal, so precedence between the two is exercised as well.
    auto list = builder.add_list({"fuzz", "test", format == bl::ListFormat::hosts, "", ""});
    auto summary = bl::parse_list(text, format, [&](std::string_view domain) {
      auto again = bl::normalise_domain(domain);
      require(again && *again == domain);  // parsed names are already normalised
      builder.add_domain(list, domain);
      domains.emplace_back(domain);
    });
    require(summary.taken <= domains.size());
    require(summary.issues.size() <= bl::ParseSummary::kMaxIssues);
    require(summary.issues.size() <= summary.rejected);
  }
  auto snapshot = builder.build();
  require(snapshot->size() <= domains.size());
  for (const auto& domain : domains) {
    for (const std::string& name : {domain, "sub." + domain}) {
      auto match = snapshot->lookup(name);
      require(match && covers(match->rule, name));
    }
  }
  // Names that are not normalised must not crash either.
  snapshot->lookup(text.substr(0, 300));
  return 0;
}
