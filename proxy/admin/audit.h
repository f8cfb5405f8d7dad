#pragma once
// The audit trail of the operator's and parents' changes: who changed what, when. Never
// browsing data: an entry names the thing changed (a household, a device, an appeal) and the
// kind of change, not the names a child looked up. Two trails, as for the other stores: a
// JSON-lines file in the state directory (embedded) and a capped Redis list (a fleet's).

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shelter::proxy::config {
struct RedisConfig;
}

namespace shelter::proxy::admin {

struct AuditEntry {
  std::int64_t at = 0;   ///< UTC seconds
  std::string who{};     ///< the API token's name, or "portal:<household>"
  std::string action{};  ///< "household.create", "device.put", "appeal.decide", ...
  std::string target{};  ///< "smith", "smith/tablet", an appeal id
  std::string detail{};  ///< a short summary of the change ("profile 9-12")
};

std::string to_json(const AuditEntry& entry);

class AuditTrail {
 public:
  /// The most entries kept (older ones are dropped) and the most `recent` returns.
  static constexpr std::size_t kKept = 100'000;
  static constexpr std::size_t kMaxRead = 1'000;

  virtual ~AuditTrail() = default;
  /// Records the entry. Never throws: a trail that cannot be written is logged (with the
  /// entry), and the change it describes has happened anyway.
  virtual boost::asio::awaitable<void> record(AuditEntry entry) = 0;
  /// The newest `limit` entries (<= kMaxRead), newest first.
  virtual boost::asio::awaitable<std::vector<AuditEntry>> recent(std::size_t limit) = 0;
};

/// "<state-directory>/audit.jsonl", rotated to audit.jsonl.1 past 16 MiB.
std::shared_ptr<AuditTrail> make_file_audit_trail(std::string path);

}  // namespace shelter::proxy::admin
