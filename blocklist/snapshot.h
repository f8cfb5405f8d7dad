#pragma once
// An immutable set of blocklisted domains from several lists, built once and then only read.
// Thread-safety: a built Snapshot is immutable and safe to read from any number of threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::blocklist {

/// What a list is, as declared in the configuration.
struct ListInfo {
  std::string id;         ///< operator's name for the list, e.g. "iwf-domains"
  std::string category;   ///< free-form category such as "csam", "adult", "malware"
  bool legal = false;     ///< an authority list (CSAM): no profile or allow entry switches it off
  std::string authority;  ///< who maintains the list, shown on the block page
  std::string appeal;     ///< where to appeal an entry of this list (URL or mail address)
};

/// The entry that decided a lookup.
struct Match {
  std::uint32_t list_index = 0;  ///< index into Snapshot::lists()
  std::string_view rule;         ///< the listed domain that matched (the name or a parent of it)
};

class Snapshot {
 public:
  /// Lists in the order they were added to the builder.
  const std::vector<ListInfo>& lists() const { return lists_; }
  /// Number of distinct (domain, list) entries.
  std::size_t size() const;
  /// Bytes of memory held by the snapshot's tables and text (an estimate for metrics).
  std::size_t memory_bytes() const;

  /// Looks up a normalised name (see normalise_domain). An entry blocks the domain itself and
  /// every name below it. When several lists match, a legal list wins over a non-legal one;
  /// among equals the most specific (longest) listed domain wins, then the earliest list.
  std::optional<Match> lookup(std::string_view normalised_name) const;

  /// The lists that contain exactly this normalised domain (no suffix matching), in list
  /// order; empty when none does. For operator tools ("which lists carry this entry?").
  std::vector<std::uint32_t> lists_of(std::string_view normalised_domain) const;

 private:
  friend class SnapshotBuilder;
  struct Table;
  std::vector<ListInfo> lists_;
  std::shared_ptr<const Table> table_;
};

class SnapshotBuilder {
 public:
  SnapshotBuilder();
  ~SnapshotBuilder();
  SnapshotBuilder(const SnapshotBuilder&) = delete;
  SnapshotBuilder& operator=(const SnapshotBuilder&) = delete;

  /// Declares a list; returns its index for add_domain.
  std::uint32_t add_list(ListInfo info);
  /// Adds a normalised domain to a declared list. Duplicates are harmless.
  void add_domain(std::uint32_t list_index, std::string_view normalised_domain);
  /// Produces the immutable snapshot; the builder is left empty.
  std::shared_ptr<const Snapshot> build();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace shelter::blocklist
