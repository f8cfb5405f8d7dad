#include "proxy/querylog/query_log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "proxy/json_text.h"

namespace shelter::proxy::querylog {
namespace {

constexpr std::string_view kPrefix = "queries-";
constexpr std::string_view kSuffix = ".jsonl";

std::string_view qtype_name(std::uint16_t t, char (&scratch)[16]) {
  switch (t) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 255:
      return "ANY";
    default:
      break;
  }
  std::snprintf(scratch, sizeof scratch, "TYPE%u", t);
  return scratch;
}

std::string_view rcode_name(std::uint8_t r, char (&scratch)[16]) {
  static constexpr std::string_view kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                                "NXDOMAIN", "NOTIMP",  "REFUSED"};
  if (r < std::size(kNames)) return kNames[r];
  std::snprintf(scratch, sizeof scratch, "RCODE%u", r);
  return scratch;
}

// A name as parsed holds any byte a label may; the log writes it in presentation form (RFC
// 1035 5.1: \DDD for bytes that are not printable ASCII, for the quote and the backslash), so
// that the line stays valid UTF-8 JSON and the name can be told back exactly. The only JSON
// escape this leaves is the backslash's own, doubled here.
void append_name(std::string& line, std::string_view name) {
  line += '"';
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\\\%03u", u);
      line += escaped;
    } else {
      line += c;
    }
  }
  line += '"';
}

std::string utc_text(std::int64_t t, const char* format) {
  const std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  static constexpr std::string_view kNames[] = {"answered", "blocked",  "steered", "rewritten",
                                                "refused",  "servfail", "formerr", "notimp"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(Verdict::kCount));
  return kNames[static_cast<std::size_t>(v)];
}

Key random_key() {
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("no randomness for the query log's key");
  }
  return key;
}

std::string pseudonym(const Key& key, std::string_view subject) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(subject.data()), subject.size(), mac,
           &length) == nullptr ||
      length < 8) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = kHex[mac[i] >> 4];
    out[2 * i + 1] = kHex[mac[i] & 0xf];
  }
  return out;
}

std::string format_line(const Record& record, std::string_view pseudonym_text,
                        const Source* source) {
  char scratch[16];
  std::string line;
  line.reserve(160 + record.name.size());
  line += "{\"time\":\"";
  // Lines come many to a second: the text of the last second is kept.
  thread_local std::int64_t last_time = -1;
  thread_local std::string last_text;
  if (record.head.time != last_time) {
    last_time = record.head.time;
    last_text = utc_text(record.head.time, "%Y-%m-%dT%H:%M:%SZ");
  }
  line += last_text;
  line += "\",\"subscriber\":\"";
  line += pseudonym_text;
  line += "\",\"qname\":";
  if (record.head.withheld) {
    line += "null";
  } else {
    append_name(line, record.name);
  }
  line += ",\"qtype\":\"";
  line += qtype_name(record.head.qtype, scratch);
  line += "\",\"verdict\":\"";
  line += verdict_name(record.head.verdict);
  line += '"';
  if (source != nullptr) {
    line += ",\"list\":";
    append_json_string(line, source->list);
    line += ",\"category\":";
    append_json_string(line, source->category);
  }
  if (record.head.withheld) line += ",\"withheld\":\"legal-list\"";
  line += ",\"rcode\":\"";
  line += rcode_name(record.head.rcode, scratch);
  line += "\"}\n";
  return line;
}

std::string file_name(std::int64_t period_start) {
  return std::string(kPrefix) + utc_text(period_start, "%Y%m%dT%H%M%SZ") + std::string(kSuffix);
}

std::int64_t period_of_file(std::string_view name) {
  if (name.size() != kPrefix.size() + 16 + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return -1;
  }
  const std::string stamp(name.substr(kPrefix.size(), 16));
  std::tm tm{};
  const char* end = strptime(stamp.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (end == nullptr || *end != '\0') return -1;
  return static_cast<std::int64_t>(timegm(&tm));
}

Writer::Writer(Settings settings, KeySource keys)
    : settings_(std::move(settings)), keys_(std::move(keys)) {}

std::int64_t Writer::period_start(std::int64_t time) const {
  const std::int64_t r = settings_.rotation_seconds;
  return (time >= 0 ? time / r : (time - r + 1) / r) * r;
}

const Key& Writer::key_for(std::int64_t period) {
  auto it = period_keys_.find(period);
  if (it == period_keys_.end()) it = period_keys_.emplace(period, keys_()).first;
  // Only this period's key and the one before it (lines at the turn) are kept: an old key
  // gone, its pseudonyms can no longer be linked to anyone, not even by this process.
  while (period_keys_.size() > 2 && period_keys_.begin()->first < period) {
    OPENSSL_cleanse(period_keys_.begin()->second.data(), period_keys_.begin()->second.size());
    period_keys_.erase(period_keys_.begin());
  }
  return it->second;
}

const std::string& Writer::pseudonym_in(std::int64_t period, std::string_view subject) {
  // Bounded: a period with more subscribers than this starts the cache over.
  constexpr std::size_t kMaxCached = 200'000;
  if (period != cache_period_ || cache_.size() >= kMaxCached) {
    cache_.clear();
    cache_period_ = period;
  }
  auto [it, added] = cache_.try_emplace(std::string(subject));
  if (added) it->second = pseudonym(key_for(period), subject);
  return it->second;
}

std::string Writer::pseudonym_at(std::int64_t time, std::string_view subject) {
  return pseudonym(key_for(period_start(time)), subject);
}

std::vector<std::string> Writer::prune(std::int64_t now) {
  std::vector<std::string> deleted;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(settings_.directory, ec)) {
    const std::string name = entry.path().filename().string();
    const std::int64_t start = period_of_file(name);
    if (start < 0 || start + settings_.rotation_seconds + settings_.retention_seconds > now) {
      continue;
    }
    std::error_code removed;
    if (std::filesystem::remove(entry.path(), removed)) deleted.push_back(name);
  }
  return deleted;
}

bool Writer::write(const std::vector<char>& bytes, const std::vector<Source>& sources,
                   std::int64_t now) {
  const std::int64_t period = period_start(now);
  if (period != current_period_) {
    current_period_ = period;
    prune(now);
    key_for(period);  // the old keys go at the turn, whether or not queries come
    cache_.clear();
  }
  if (bytes.empty()) return true;
  // Lines by period: a flush at the turn of a period may hold both.
  std::map<std::int64_t, std::string> text;
  std::uint64_t count = 0;
  Buffer::for_each(bytes, [&](const Record& r) {
    const std::int64_t p = period_start(r.head.time);
    const Source* source = r.head.slot < sources.size() ? &sources[r.head.slot] : nullptr;
    // A late line of an earlier period than the cache's is hashed alone.
    text[p] += format_line(
        r, p >= cache_period_ ? pseudonym_in(p, r.subject) : pseudonym(key_for(p), r.subject),
        source);
    ++count;
  });
  bool ok = true;
  for (const auto& [p, lines] : text) {
    const std::string path = settings_.directory + "/" + file_name(p);
    // Readable by the owner and its group only: the lines are about children's browsing.
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    bool written =
        fd >= 0 && ::write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size());
    if (fd >= 0 && ::close(fd) != 0) written = false;
    if (!written) ok = false;
  }
  if (ok) {
    lines_ += count;
  } else {
    write_errors_ += 1;
  }
  return ok;
}

}  // namespace shelter::proxy::querylog
