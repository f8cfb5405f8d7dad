// Feeds arbitrary bytes to the readers of stored cases (cases.json records, Redis values: a
// crash-truncated file or a hand-edited key must never crash shelterd), and aborts when an
// invariant fails: a record that reads back writes out to a record that reads back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/cases/case_json.h"

namespace cases = shelter::proxy::cases;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto a = cases::appeal_from_json(text, error)) {
    const std::string once = cases::to_json(*a, cases::Detail::stored);
    auto again = cases::appeal_from_json(once, error);
    require(again.has_value());
    require(cases::to_json(*again, cases::Detail::stored) == once);
  } else {
    require(!error.empty());
  }
  if (auto r = cases::request_from_json(text, error)) {
    const std::string once = cases::to_json(*r);
    auto again = cases::request_from_json(once, error);
    require(again.has_value() && cases::to_json(*again) == once);
  }
  if (auto g = cases::grant_from_json(text, error)) {
    auto again = cases::grant_from_json(cases::to_json(*g), error);
    require(again.has_value() && again->until == g->until && again->site == g->site);
  }
  if (auto o = cases::allow_from_json(text, error)) {
    auto again = cases::allow_from_json(cases::to_json(*o), error);
    require(again.has_value() && again->site == o->site);
  }
  return 0;
}
