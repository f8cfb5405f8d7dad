#pragma once
// Internal to proxy/config: typed, error-collecting readers over a yaml-cpp document, so that the
// schema in loader.cc is a table of keys. Not for use outside this folder (it includes yaml-cpp).

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/net/endpoint.h"

namespace shelter::proxy::config::detail {

using net::Address;
using net::Cidr;
using net::Endpoint;

/// Untrusted text made fit for a one-line message: control characters escaped, long text cut.
std::string printable(std::string_view text);
/// printable(text) in single quotes.
std::string in_quotes(std::string_view text);

/// A value in the document: its node, its key path ("dns.listen[1]") and 0-based line (-1: none).
struct Val {
  YAML::Node node;
  std::string path;
  int line = -1;
};

/// A value below `parent`; takes the parent's line when the node has no position of its own.
Val child(const Val& parent, const YAML::Node& node, std::string path);

/// Thrown by Ctx to stop reading a document that is not worth reading on: more than kMaxErrors
/// errors, or more than kMaxValues values (YAML aliases can repeat a large part many times).
/// The reason is already in Ctx::errors.
struct StopReading {};

/// Collects every error; remembers the line of each key read, for checks across keys.
struct Ctx {
  static constexpr std::size_t kMaxErrors = 100;
  static constexpr std::size_t kMaxValues = 100'000;

  std::vector<std::string> errors;
  std::map<std::string, int> lines;  ///< key path -> 0-based line
  std::size_t values_read = 0;

  /// Adds "<path>: <what> (line N); <hint>". Throws StopReading past kMaxErrors.
  void error(const std::string& path, int line, std::string_view what, std::string_view hint = {});
  void error(const Val& v, std::string_view what, std::string_view hint = {});
  /// An error about a key the file may or may not have set (line given when it did).
  void error_key(const std::string& path, std::string_view what);
  /// Counts one value read; throws StopReading past kMaxValues.
  void count_value(const Val& v);
};

/// "a mapping", "a list", "the value 'x'" or "nothing", for "expected X, got Y".
std::string kind(const YAML::Node& n);

/// "did you mean 'listen'?" for a near miss among `known` (typo, snake_case), else "".
std::string suggest(std::string_view given, const std::vector<std::string_view>& known);

using Handler = std::function<void(const Val&)>;

/// One key of a mapping and what to do with its value.
struct Field {
  std::string_view key;
  Handler read;
};

/// Reads a mapping whose keys must all be in `fields` (unknown and duplicate keys are errors).
/// An empty value (null) counts as an empty mapping.
void read_map(Ctx& c, const Val& v, const std::vector<Field>& fields);
/// Hands each item of a list to `item`. An empty value (null) counts as an empty list.
void read_seq(Ctx& c, const Val& v, const std::function<void(const Val&)>& item);

std::optional<std::string> read_scalar(Ctx& c, const Val& v, std::string_view expected);
std::optional<std::uint64_t> read_uint(Ctx& c, const Val& v, std::uint64_t lo, std::uint64_t hi);
/// "250ms", "10s", "2m", "1h"; a unit is required.
std::optional<std::chrono::milliseconds> read_duration(Ctx& c, const Val& v,
                                                       std::chrono::milliseconds lo,
                                                       std::chrono::milliseconds hi);
std::optional<bool> read_bool(Ctx& c, const Val& v);
/// "10%" or "2.5%", within lo..hi per cent; returns the share (0.1, 0.025).
std::optional<double> read_percent(Ctx& c, const Val& v, double lo, double hi);
/// One of `names`; returns its index.
std::optional<std::size_t> read_choice(Ctx& c, const Val& v,
                                       const std::vector<std::string_view>& names);
/// An address:port; a bare address takes `default_port`.
std::optional<Endpoint> read_endpoint(Ctx& c, const Val& v, std::uint16_t default_port,
                                      bool allow_port_zero);

// Reads a list whose items `read_item(item, items so far)` turns into values. `out` is replaced
// only when every item is good, so that a bad list does not also fail the checks on its size.
template <typename T, typename ReadItem>
Handler list_into(Ctx& c, std::vector<T>& out, ReadItem read_item) {
  return [&c, &out, read_item](const Val& v) {
    const auto errors_before = c.errors.size();
    std::vector<T> items;
    read_seq(c, v, [&](const Val& item) {
      if (auto x = read_item(item, items)) items.push_back(std::move(*x));
    });
    if (c.errors.size() == errors_before) out = std::move(items);
  };
}

// Handlers that store a checked value into a Config member. They keep references to `c` and
// `out`, which must outlive the read.

template <typename T>
Handler uint_into(Ctx& c, T& out, std::uint64_t lo, std::uint64_t hi) {
  return [&c, &out, lo, hi](const Val& v) {
    if (const auto x = read_uint(c, v, lo, hi)) out = static_cast<T>(*x);
  };
}
Handler duration_into(Ctx& c, std::chrono::milliseconds& out, std::chrono::milliseconds lo,
                      std::chrono::milliseconds hi);
Handler bool_into(Ctx& c, bool& out);
/// A percentage (read_percent) stored as a share.
Handler percent_into(Ctx& c, double& out, double lo, double hi);
Handler string_into(Ctx& c, std::string& out);  ///< non-empty string
Handler choice_into(Ctx& c, std::string& out, std::vector<std::string_view> names);
/// A list of endpoints replacing `out`; duplicates are errors.
Handler endpoints_into(Ctx& c, std::vector<Endpoint>& out, std::uint16_t default_port,
                       bool allow_port_zero);
/// A list of CIDR prefixes replacing `out`; host bits set are an error with a suggestion.
Handler cidrs_into(Ctx& c, std::vector<Cidr>& out);
/// A list of addresses of one family replacing `out`.
Handler addresses_into(Ctx& c, std::vector<Address>& out, bool v6);

}  // namespace shelter::proxy::config::detail
