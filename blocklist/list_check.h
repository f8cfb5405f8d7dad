#pragma once
// Is a freshly read list fit to replace the last good version of it? The rules that keep a
// broken download (an emptied file, an HTML error page, random bytes, half a file) from
// switching blocking off. Pure: the caller reads the files and keeps the last good version.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::blocklist {

/// What a list's bytes look like before they are parsed.
enum class TextKind : std::uint8_t {
  text,
  empty,   ///< no bytes, or only white space
  markup,  ///< an HTML or XML document: a web server's error page, not a list
  binary,  ///< NUL or control bytes: random data, an image, a compressed file
};

/// Looks at the first bytes of a list file (a few KiB are enough). `detail` gets a short,
/// printable description for a refusal, e.g. "an HTML page" or "gzip-compressed data".
TextKind sniff_text(std::string_view bytes, std::string* detail = nullptr);

/// How one list turned out when parsed (summed over its files, for a SquidGuard tree).
struct ListFacts {
  TextKind kind = TextKind::text;  ///< the worst kind among its files
  std::string kind_detail;         ///< sniff_text's description of that file
  std::uint64_t entries = 0;       ///< rules taken
  std::uint64_t malformed = 0;     ///< lines rejected as malformed
};

/// The thresholds of one list (config: list-updates and the list's own keys).
struct ListLimits {
  /// Share of malformed lines, among entries and malformed lines together, that refuses the
  /// list as not being in its declared format (a hosts line with several names counts as
  /// several entries).
  double max_malformed = 0.03;
  /// Share of entries the list may lose against its last good version.
  double max_shrink = 0.25;
};

/// The verdict, in the words of the metric `shelter_list_reloads_total{result}`.
enum class ListVerdict : std::uint8_t {
  ok,
  refused_empty,   ///< no entries at all
  refused_format,  ///< not the declared format: markup, binary, too many malformed lines
  refused_shrink,  ///< lost more than max_shrink of the last good version's entries
};

/// "ok", "refused-empty", "refused-format", "refused-shrink".
std::string_view verdict_name(ListVerdict verdict);

struct ListCheck {
  ListVerdict verdict = ListVerdict::ok;
  std::string reason;  ///< empty when ok; else one line for the log and /readyz
  /// Whether an operator may accept this verdict on purpose (a shrink or an emptied list; a
  /// list that is not a list at all can never be accepted).
  bool acceptable() const {
    return verdict == ListVerdict::refused_empty || verdict == ListVerdict::refused_shrink;
  }
};

/// Checks `facts` in the order: empty bytes, wrong kind, no entries, malformed share, shrink
/// against `last_good_entries` (none: the list's first version, nothing to shrink from).
/// `format` names the declared format in the reason.
ListCheck check_list(const ListFacts& facts, std::optional<std::uint64_t> last_good_entries,
                     const ListLimits& limits, std::string_view format);

}  // namespace shelter::blocklist
