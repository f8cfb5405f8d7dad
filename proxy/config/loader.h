#pragma once
// Reading shelterd's start-up configuration: YAML text -> a validated Config, or every error.
// yaml-cpp stays inside loader.cc; this header only needs the Config value types.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config.h"

namespace shelter::proxy::config {

/// The outcome of reading a configuration: a Config, or the reasons there is none.
struct LoadResult {
  /// Set only when `errors` is empty: a configuration is either wholly valid or not used.
  std::optional<Config> config;
  /// Every problem found, in file order as far as possible, one line each, in the form
  /// `<key path>: <what is wrong> (line N)`, e.g.
  /// `dns.listen[1]: 'abc' is not an address:port (line 7)`. Line numbers are 1-based.
  /// Messages do not repeat the file name; callers prefix it when they print.
  std::vector<std::string> errors;
};

/// Largest configuration accepted, in bytes. Real files are a few kilobytes; the cap keeps a
/// wrong path (a blocklist, a core file) from being parsed as YAML.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;

/// Parses and validates YAML text. Pure: no files are read (list paths are kept as written).
/// `source_name` is stored in Config::source. Every key is optional and omitted keys keep the
/// defaults of config.h; keys outside the schema, wrong types, out-of-range values, bad
/// addresses and inconsistent combinations are all errors, and all of them are collected.
/// Lists whose `appeal` is omitted get `blocking.appeal-url`. Never throws for any input.
LoadResult parse_config(std::string_view yaml_text, std::string source_name);

/// Reads `path`, then parse_config. Relative list `path`s and a relative `upstream.resolv-conf`
/// are made relative to the directory of `path` (so a config and its lists can move together).
/// An unreadable file gives one error, "cannot read PATH: <strerror>".
LoadResult load_config_file(const std::string& path);

/// The YAML used when shelterd starts without --config: listeners on loopback port 5300,
/// upstreams from /etc/resolv.conf (its first three nameservers, see parse_resolv_conf), and two
/// demo lists under the reserved .test TLD (blocked.shelter.test, legal-block.shelter.test) so that
/// blocking can be seen at once.
std::string_view embedded_defaults_yaml();

/// parse_config(embedded_defaults_yaml(), "embedded defaults"); tests check it has no errors.
LoadResult embedded_defaults();

/// What a resolv.conf(5) names as nameservers.
struct ResolvConf {
  /// The servers used, on port 53, in file order, without duplicates.
  std::vector<Endpoint> servers{};
  /// Valid `nameserver` entries past the first kMaxNameservers, as written in the file.
  std::vector<std::string> ignored{};
};

/// glibc's MAXNS: the system resolver uses at most the first three nameservers.
inline constexpr std::size_t kMaxNameservers = 3;

/// The `nameserver` lines of a resolv.conf(5). As glibc does, only the first kMaxNameservers
/// entries that parse are used (a repeated address takes a place too, then is dropped as a
/// duplicate); later ones go to `ignored`. A "%scope" suffix on an IPv6 address is dropped;
/// comments ('#' or ';'), other options and lines that do not parse are ignored. Pure: the
/// caller reads the file.
ResolvConf parse_resolv_conf(std::string_view text);

}  // namespace shelter::proxy::config
