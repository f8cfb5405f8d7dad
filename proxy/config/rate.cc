#include "proxy/config/rate.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace shelter::proxy::config {
namespace {

struct Unit {
  std::string_view name;
  std::chrono::seconds period;
};

constexpr std::array<Unit, 8> kUnits = {{
    {"second", std::chrono::seconds(1)},
    {"s", std::chrono::seconds(1)},
    {"minute", std::chrono::minutes(1)},
    {"min", std::chrono::minutes(1)},
    {"hour", std::chrono::hours(1)},
    {"h", std::chrono::hours(1)},
    {"day", std::chrono::hours(24)},
    {"d", std::chrono::hours(24)},
}};

}  // namespace

std::optional<RateConfig> parse_rate(std::string_view text, std::string& error) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    error = "a rate is <count>/<unit>, as in 10/minute";
    return std::nullopt;
  }
  const std::string_view count = text.substr(0, slash);
  const std::string_view unit = text.substr(slash + 1);
  RateConfig rate;
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), rate.count);
  if (count.empty() || count[0] == '+' || count[0] == '-' || ec != std::errc() ||
      end != count.data() + count.size() || rate.count == 0) {
    error = "a rate's count is a whole number from 1 to 4294967295";
    return std::nullopt;
  }
  const auto found =
      std::find_if(kUnits.begin(), kUnits.end(), [unit](const Unit& u) { return u.name == unit; });
  if (found == kUnits.end()) {
    error = "a rate's unit is second (s), minute (min), hour (h) or day (d)";
    return std::nullopt;
  }
  rate.period = found->period;
  return rate;
}

}  // namespace shelter::proxy::config
