#pragma once
// Internal to shelterctl's formatting (shelterctl_format.cc, shelterctl_household_format.cc):
// the helpers both use to read fields of the server's JSON and lay out label/value lines.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shelter::tools::ctl::detail {

/// A time that never ends ("until": always).
inline constexpr std::int64_t kAlways = std::numeric_limits<std::int64_t>::max();

/// How many code points `text` (UTF-8) has: the columns it takes.
std::size_t display_width(std::string_view text);

/// object[key], or null when it is absent.
const boost::json::value* field(const boost::json::object& object, std::string_view key);

/// A number as whole seconds (or a count): ints, uints (capped at kAlways) and doubles.
std::optional<std::int64_t> as_int(const boost::json::value* value);

/// A scalar field for a table cell or summary, terminal-safe: "?" when missing or not a string.
std::string text(const boost::json::object& object, std::string_view key);

/// A time field: "-" for 0 (none), "always" for kAlways, else ISO 8601 UTC, and with
/// `with_relative` how long ago or ahead of `now`: "... (3h ago)".
std::string time_text(std::int64_t t, std::int64_t now, bool with_relative);

/// A value for the terminal: a string as it is, anything else as its JSON; terminal-safe.
std::string plain(const boost::json::value& value);

/// A string field, terminal-safe: `missing` when it is absent and "?" when it is not a string.
std::string text_or(const boost::json::object& object, std::string_view key,
                    std::string_view missing);

/// A list of strings as "a, b" ("-" when empty or absent); other items as their JSON.
std::string list_text(const boost::json::object& object, std::string_view key);

/// Label and value lines.
using Lines = std::vector<std::pair<std::string, std::string>>;

/// The lines with the values in one column, two spaces after the widest label.
std::string aligned(const Lines& lines);

}  // namespace shelter::tools::ctl::detail
