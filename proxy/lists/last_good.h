#pragma once
// The last good version of each list, kept so that a refused update (or a restart with a
// broken file) falls back on it, and the operator's acceptances of a large shrink.
//
// With a state directory (list-updates.state-directory) everything is kept on disk:
//   lists/<id>.meta            what the version is: entries, when accepted, fingerprint, parts
//   lists/<id>.<fp16>.data     its bytes, every part one after the other
//   snapshot.last-good         the last compiled snapshot that was swapped in
//   accept/<id>                an operator's acceptance, one shot, for one version of a list
//   audit.log                  one line for every acceptance used
// Without one, last good versions are kept in memory only (they do not outlive a restart)
// and acceptances cannot be given. Not thread-safe: the daemon's control thread owns it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "proxy/lists/list_source.h"

namespace shelter::proxy::lists {

struct LastGoodMeta {
  std::uint64_t entries = 0;       ///< rules the version gave
  std::int64_t accepted_unix = 0;  ///< when it was accepted
  std::int64_t modified_unix = 0;  ///< its files' newest mtime: how old the list itself is
  std::string fingerprint;
};

/// An operator's word that a refused version of a list is to be taken as it is.
struct Acceptance {
  std::string list;
  std::string fingerprint;  ///< the version accepted (ListSource::fingerprint)
  std::uint64_t entries = 0;
  std::uint64_t previous_entries = 0;
  std::string by;  ///< who: user name and uid, and the sudo user
  std::int64_t at_unix = 0;
  std::string reason;
};

class LastGoodStore {
 public:
  /// `directory` empty: memory only.
  explicit LastGoodStore(std::string directory);

  const std::string& directory() const { return directory_; }
  bool persistent() const { return !directory_.empty(); }

  std::optional<LastGoodMeta> meta(const std::string& id) const;
  /// The bytes of the last good version, checked against its fingerprint; nullopt with
  /// `error` set when there is none or it is damaged.
  std::optional<ListSource> load(const std::string& id, std::string& error) const;
  /// Keeps `source` as the last good version of `id` (in memory: shared, not copied). Returns
  /// "" or the reason it failed.
  std::string save(const std::string& id, std::shared_ptr<const ListSource> source,
                   const LastGoodMeta& meta);

  /// The snapshot image last swapped in, and keeping a new one.
  std::string snapshot_path() const;
  std::string save_snapshot(const std::string& image_path);

  /// Memory only: what a shrink is measured against when no copy of the list is kept (for
  /// shelter-compile, the snapshot it is about to replace).
  void set_baseline(const std::string& id, const LastGoodMeta& meta);

  /// The acceptance waiting for list `id`, if any.
  std::optional<Acceptance> acceptance(const std::string& id) const;
  /// Writes one. In memory (shelter-compile's --accept-shrink) it holds for this process and
  /// any version of the list (fingerprint "*"). Returns "" or the reason.
  std::string give_acceptance(const Acceptance& acceptance);
  /// Removes the used acceptance and appends it to audit.log. Returns "" or the reason.
  std::string use_acceptance(const Acceptance& acceptance, std::int64_t now_unix);

 private:
  std::string directory_;
  // Memory mode only. A baseline has no source.
  std::map<std::string, std::pair<LastGoodMeta, std::shared_ptr<const ListSource>>> memory_;
  std::map<std::string, Acceptance> memory_acceptances_;
};

/// The state directory in force: list-updates.state-directory, else the first directory of
/// $STATE_DIRECTORY (systemd's StateDirectory=), else none.
std::string state_directory_of(const config::Config& config);

/// "2026-12-07T09:12:03Z" (UTC), or "an unknown time" for 0.
std::string iso_time(std::int64_t unix_time);

/// "alice (uid 1000)", "root (uid 0, sudo from alice)": who is running this process.
std::string current_user();

}  // namespace shelter::proxy::lists
