#pragma once
// The optional query log (logging.query-log, docs/query-log.md): one JSON line per answered
// query, the subscriber pseudonymised with a keyed hash whose key lives in memory only and is
// replaced every rotation period, one file per period, files past the retention deleted.
// Off unless an operator turns it on. Time is always a parameter (tests use a fake clock); the
// files are the only I/O.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/querylog/buffer.h"

namespace shelter::proxy::querylog {

/// A period's key: 32 random bytes, never written anywhere.
using Key = std::array<unsigned char, 32>;
/// Where keys come from: RAND_bytes in shelterd, a fixed sequence in tests.
using KeySource = std::function<Key()>;
/// 32 bytes from OpenSSL's generator. Throws std::runtime_error when it has none to give.
Key random_key();

/// The subscriber's pseudonym under `key`: HMAC-SHA256 of the subject bytes, its first 8 bytes
/// as 16 lower-case hex digits.
std::string pseudonym(const Key& key, std::string_view subject);

/// A block's source, as the writer resolves a counter slot: a list id and a category.
struct Source {
  std::string list{};
  std::string category{};
};

/// One JSON line (with its '\n') for a record. `pseudonym_text` is the subscriber's pseudonym;
/// `source` the block's list and category (null: not a block). A withheld record's name is
/// null and `"withheld":"legal-list"` says why.
std::string format_line(const Record& record, std::string_view pseudonym_text,
                        const Source* source);

/// The file of the period that starts at `period_start` (UTC seconds), e.g.
/// "queries-20261207T000000Z.jsonl".
std::string file_name(std::int64_t period_start);
/// The period start a file name of ours gives, or -1 for any other name.
std::int64_t period_of_file(std::string_view name);

struct Settings {
  std::string directory{};
  std::int64_t rotation_seconds = 86'400;
  std::int64_t retention_seconds = 7 * 86'400;
};

/// Turns buffered records into lines in the period's file. Used by one thread (the daemon's
/// control thread). Not thread-safe.
class Writer {
 public:
  Writer(Settings settings, KeySource keys = random_key);

  /// Deletes our files whose every line is older than the retention: each file's period ended
  /// at least `retention` before `now`. Returns the names deleted. Called at start and whenever
  /// a new period begins.
  std::vector<std::string> prune(std::int64_t now);

  /// Writes the records of `bytes` (from Buffer::take) to their periods' files; `sources`
  /// names block slots. Prunes first when `now` is in a period not seen before. Returns false
  /// when a file could not be written (the lines are lost and counted).
  bool write(const std::vector<char>& bytes, const std::vector<Source>& sources, std::int64_t now);

  std::uint64_t lines() const { return lines_; }
  std::uint64_t write_errors() const { return write_errors_; }

  /// The pseudonym `subject` has in the period holding `time` (tests; makes the key if new).
  std::string pseudonym_at(std::int64_t time, std::string_view subject);

 private:
  std::int64_t period_start(std::int64_t time) const;
  const Key& key_for(std::int64_t period);

  /// The pseudonym of `subject` in `period`, from the cache when it was seen this period.
  const std::string& pseudonym_in(std::int64_t period, std::string_view subject);

  Settings settings_;
  KeySource keys_;
  std::map<std::int64_t, Key> period_keys_;  ///< the current period's and the one before
  /// Pseudonyms computed this period (a subscriber asks many times a second; the HMAC is
  /// most of a line's cost). It holds no more than the key does, and goes with it.
  std::unordered_map<std::string, std::string> cache_;
  std::int64_t cache_period_ = -1;
  std::int64_t current_period_ = -1;
  std::uint64_t lines_ = 0;
  std::uint64_t write_errors_ = 0;
};

}  // namespace shelter::proxy::querylog
