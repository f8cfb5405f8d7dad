#pragma once
// The compiled blocklist: every rule of every list in one immutable, position-independent
// byte image that can be built in memory or read from a file written by
// `shelter-compile`. The layout and the reasons for it are in docs/architecture.md
// ("The list snapshot"); snapshot_format.h has the byte-level definition.
// Thread-safety: a Snapshot is immutable and safe to read from any number of threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blocklist/rule.h"

namespace shelter::blocklist {

/// What a list is, as declared in the configuration.
struct ListInfo {
  std::string id;           ///< operator's name for the list, e.g. "iwf-urls"
  std::string category;     ///< its default category, e.g. "csam", "adult", "malware"
  bool legal = false;       ///< an authority list (CSAM): no profile or ordinary exception lifts it
  std::string authority;    ///< who maintains the list, shown on the block page
  std::string appeal;       ///< where to appeal an entry of this list (URL or mail address)
  std::uint64_t rules = 0;  ///< rules taken from the list (set by the builder)
  /// Its URL-level blocks steer names to the filtering proxy (DNS answers the proxy's address)
  /// and so make a DNS lookup `partial`. The configuration turns it off for browser-side
  /// filters (adblock, RPZ), whose URL rules are mostly ad and tracker paths on popular sites;
  /// always on for legal lists (the builder sees to it).
  bool steer = true;
  /// Distinct hosts on which this list has URL-level blocks that steer (set by the builder;
  /// 0 when `steer` is off). A domain entry or an exception may still decide such a host.
  std::uint64_t steered_names = 0;
  /// HTTPS to a host with this list's steering URL blocks is refused by the SNI proxy, which
  /// cannot check pages inside TLS (over-block), instead of passed (under-block).
  bool https_block = false;
};

/// Every category bit set: what a lookup uses when no profile narrows it.
constexpr std::uint64_t kAllCategories = ~std::uint64_t{0};
/// Categories are data, numbered in order of first use; a snapshot holds at most this many.
constexpr std::size_t kMaxCategories = 64;
/// Lists a snapshot can hold.
constexpr std::size_t kMaxLists = 65535;

/// Whether a rule names a whole host or pages on it.
enum class RuleLevel : std::uint8_t { domain, url };

/// One rule of one list that matched a name or URL.
struct MatchedRule {
  std::uint32_t list_index = 0;  ///< into Snapshot::lists()
  std::uint32_t category = 0;    ///< into Snapshot::categories()
  RuleLevel level = RuleLevel::domain;
  RuleAction action = RuleAction::block;
  HostScope scope = HostScope::self_and_below;
  bool important = false;
  DnsAnswer answer = DnsAnswer::configured;
  std::string_view host;  ///< the listed host: the name itself or a parent of it
  std::string_view path;  ///< URL rules: the listed path; empty for domain rules
  bool path_prefix = false;
  bool path_separator = false;
};

/// RPZ local data of a name: the addresses to answer with.
struct LocalAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t size = 0;  ///< 4 (A) or 16 (AAAA)
};

/// What the lists say about one name or URL. Precedence (docs/architecture.md):
/// - two classes, legal lists and the others; within a class an exception (allow) lifts the
///   class's blocks unless a block is `important` and the exception is not;
/// - nothing lifts a legal block except an exception from a legal-class list (an operator
///   override, reported in `legal_override` so it can be counted);
/// - the deciding rule is the most specific standing block: the longest listed host, a URL
///   rule before a domain rule on the same host, then the earliest list.
struct LookupResult {
  /// The categories of the blocks that stand (bit i = Snapshot::categories()[i]).
  std::uint64_t categories = 0;
  bool legal = false;           ///< a legal list's block stands
  bool legal_override = false;  ///< a legal block was lifted by a legal-class exception
  bool excepted = false;        ///< an exception lifted at least one block
  /// The deciding block when `blocked()`.
  std::optional<MatchedRule> decided;
  /// Domain lookups only: no block stands for the name itself, but URL-level blocks exist for
  /// pages on it. The DNS layer steers such names to the proxy rather than block them.
  bool partial = false;
  std::uint64_t partial_categories = 0;  ///< categories of those URL rules
  bool partial_legal = false;            ///< one of them is from a legal list
  bool partial_https_block = false;      ///< one of them is from a list with https_block
  /// RPZ local data of the deciding rule's host, when its answer is local_data.
  std::vector<LocalAddress> local_data;

  bool blocked() const { return decided.has_value(); }
};

class Snapshot {
 public:
  /// Opens an image, checking everything a lookup relies on: magic, version, checksum, that
  /// every offset and index is in bounds. `image` is kept alive by the snapshot (a mapped file
  /// or a heap buffer); `data`/`size` must lie inside it and be 64-byte aligned. Returns null,
  /// with the reason in `error`, for a corrupt, truncated or hostile image.
  static std::shared_ptr<const Snapshot> open(std::shared_ptr<const void> image,
                                              const std::uint8_t* data, std::size_t size,
                                              std::string& error);

  /// Lists in the order they were declared to the builder.
  const std::vector<ListInfo>& lists() const { return lists_; }
  /// Category names; a category's index is its bit in LookupResult::categories.
  const std::vector<std::string>& categories() const { return categories_; }
  /// Distinct hosts in the table (domain-level entries and hosts that carry URL rules).
  std::size_t host_count() const;
  /// Distinct (host, list) domain-level pairs.
  std::size_t domain_rule_count() const;
  std::size_t url_rule_count() const;
  /// Distinct hosts with URL-level blocks from a steering list (ListInfo::steer).
  std::size_t steered_name_count() const { return steered_names_; }
  /// Bytes of the image (the file size of a compiled snapshot).
  std::size_t image_bytes() const { return size_; }
  /// Unix time the image was built.
  std::int64_t built_unix() const;

  /// Looks up a normalised name (normalise_domain) for DNS: domain-level rules decide, and
  /// `partial` reports URL-level blocks of steering lists (ListInfo::steer) on the name. `enabled`
  /// restricts which categories of the non-legal lists count; legal lists always count.
  LookupResult lookup(std::string_view name, std::uint64_t enabled = kAllCategories) const;

  /// Looks up a canonical URL (url.h) for the proxy: domain- and URL-level rules decide, those
  /// of every list, steering or not.
  LookupResult lookup_url(std::string_view host, std::string_view path,
                          std::uint64_t enabled = kAllCategories) const;

  /// Every rule that matches the name (or the URL, when `path` is not empty), whatever the
  /// precedence: for `shelter-compile --explain`.
  std::vector<MatchedRule> matching_rules(std::string_view host, std::string_view path = {}) const;

  /// The lists holding a domain-level rule for exactly this host, in list order.
  std::vector<std::uint32_t> lists_of(std::string_view normalised_host) const;

  struct Layout;  // the parsed header: section pointers into the image

 private:
  Snapshot() = default;
  std::shared_ptr<const void> image_;
  std::size_t size_ = 0;
  std::vector<ListInfo> lists_;
  std::vector<std::string> categories_;
  std::size_t steered_names_ = 0;
  std::shared_ptr<const Layout> layout_;
};

/// Collects rules, then writes the image. Memory while building is 17 bytes a domain rule
/// plus its host's text, then the records as they are written (about the image's size); the
/// rules are freed before the image is allocated (docs/BENCHMARKS.md section 18).
class SnapshotBuilder {
 public:
  SnapshotBuilder();
  ~SnapshotBuilder();
  SnapshotBuilder(const SnapshotBuilder&) = delete;
  SnapshotBuilder& operator=(const SnapshotBuilder&) = delete;

  /// Declares a list; returns its index for add(). Throws std::length_error past kMaxLists.
  std::uint32_t add_list(ListInfo info);

  /// Adds a parsed rule of a declared list. Returns false, adding nothing, when the rule's
  /// category would be the 65th distinct one (kMaxCategories). Throws std::out_of_range for an
  /// undeclared list and std::invalid_argument for a rule without a valid host (a parser bug).
  bool add(std::uint32_t list_index, const Rule& rule);

  /// Shorthand for a domain-level block of `normalised_domain` and everything below it.
  void add_domain(std::uint32_t list_index, std::string_view normalised_domain);

  /// Where the rules of one list start, so that a list found unfit after it was fed can be
  /// taken back whole (its last good version is fed instead). Categories first seen after
  /// the mark stay declared; they are harmless without rules.
  struct Mark {
    std::uint32_t list = 0;
    std::uint64_t list_rules = 0;
    std::size_t hosts = 0, paths = 0, domains = 0, urls = 0, locals = 0;
  };
  Mark mark(std::uint32_t list_index) const;
  /// Removes every rule added since `mark` (which must be the latest mark still in use).
  void rollback(const Mark& mark);

  /// Builds the image; `built_unix` is recorded in it. The builder is left empty.
  /// `seed` keys the hash (pass a random value; tests pass a fixed one).
  std::vector<std::uint8_t> build_image(std::int64_t built_unix, std::uint64_t seed);

  /// build_image, then Snapshot::open on a heap copy of it.
  std::shared_ptr<const Snapshot> build(std::int64_t built_unix = 0, std::uint64_t seed = 0);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace shelter::blocklist
