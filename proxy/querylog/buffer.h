#pragma once
// A worker's query-log buffer: what one worker thread's answers put on record until the writer
// takes them. Bounded (its bytes are reserved once, so a push never allocates) and shared with
// no other worker: the worker and the writer are the only two threads that take its lock, the
// writer once a second for a pointer swap. A full buffer drops the record and counts it; a
// query never waits for the log.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

namespace shelter::proxy::querylog {

/// How a query ended, as the log says it (docs/query-log.md).
enum class Verdict : std::uint8_t {
  answered,   ///< resolved: from the cache or upstream
  blocked,    ///< a list or the household's own settings blocked it
  steered,    ///< answered with the filtering proxy's address
  rewritten,  ///< safe search: a CNAME to the engine's safe endpoint
  refused,    ///< not an allowed client
  servfail,   ///< no usable answer from upstream
  formerr,    ///< a malformed query
  notimp,     ///< an opcode or type Shelter does not serve (zone transfers)
  kCount,
};
std::string_view verdict_name(Verdict v);

/// No block counter slot: the query was not blocked.
inline constexpr std::uint16_t kNoSlot = 0xffff;

/// Who asked, before it is pseudonymised: the household id when the query was identified, else
/// the client's address. The kinds keep a household id from ever equalling an address.
enum class SubjectKind : char { household = 'h', v4 = '4', v6 = '6' };

/// The fixed part of one record; the subject's and the name's bytes follow it in the buffer.
struct RecordHead {
  std::int64_t time = 0;  ///< UTC seconds
  std::uint16_t qtype = 0;
  std::uint16_t slot = kNoSlot;  ///< block counter slot (metrics::BlockSlots) of a block
  std::uint8_t rcode = 0;
  Verdict verdict = Verdict::answered;
  bool withheld = false;  ///< a legal list's: the name is never written
  std::uint8_t subject_length = 0;
  std::uint8_t name_length = 0;
};

/// One record as the writer reads it back.
struct Record {
  RecordHead head{};
  std::string_view subject{};  ///< SubjectKind byte, then the id or address bytes
  std::string_view name{};     ///< presentation text as parsed (raw bytes, not escaped)
};

class Buffer {
 public:
  /// Household ids longer than this are cut here before hashing (ids that share their first
  /// 200 bytes share a pseudonym).
  static constexpr std::size_t kMaxSubject = 201;

  explicit Buffer(std::size_t capacity_bytes) {
    active_.reserve(capacity_bytes);
    spare_.reserve(capacity_bytes);
  }

  /// Worker thread. Never allocates; a record that does not fit is counted and dropped.
  void push(RecordHead head, std::string_view subject, std::string_view name) {
    if (subject.size() > kMaxSubject) subject = subject.substr(0, kMaxSubject);
    if (name.size() > 255) name = name.substr(0, 255);
    head.subject_length = static_cast<std::uint8_t>(subject.size());
    head.name_length = static_cast<std::uint8_t>(name.size());
    const std::size_t need = sizeof head + subject.size() + name.size();
    std::lock_guard lock(mutex_);
    if (active_.capacity() - active_.size() < need) {
      dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return;
    }
    const std::size_t at = active_.size();
    active_.resize(at + need);  // within the reserved capacity: no allocation
    std::memcpy(active_.data() + at, &head, sizeof head);
    std::memcpy(active_.data() + at + sizeof head, subject.data(), subject.size());
    std::memcpy(active_.data() + at + sizeof head + subject.size(), name.data(), name.size());
  }

  /// Writer thread: hands over what was pushed since the last take (valid until the next take).
  const std::vector<char>& take() {
    spare_.clear();
    std::lock_guard lock(mutex_);
    active_.swap(spare_);
    return spare_;
  }

  /// Records dropped because the buffer was full (any thread).
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  /// Calls `f(Record)` for each record in bytes that take() returned.
  template <typename F>
  static void for_each(const std::vector<char>& bytes, F&& f) {
    for (std::size_t at = 0; at + sizeof(RecordHead) <= bytes.size();) {
      Record r;
      std::memcpy(&r.head, bytes.data() + at, sizeof r.head);
      at += sizeof r.head;
      r.subject = {bytes.data() + at, r.head.subject_length};
      at += r.head.subject_length;
      r.name = {bytes.data() + at, r.head.name_length};
      at += r.head.name_length;
      f(r);
    }
  }

 private:
  std::mutex mutex_;
  std::vector<char> active_;
  std::vector<char> spare_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace shelter::proxy::querylog
