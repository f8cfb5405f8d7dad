#include "proxy/dns/cache.h"

#include "proxy/dns/builder.h"

#include <algorithm>
#include <cstring>

namespace shelter::proxy::dns {
namespace {

// Fixed overhead of an entry beyond its bytes: list node, map slot, key (an estimate).
constexpr std::size_t kEntryOverhead = 160;

std::uint32_t seconds_between(CacheClock::time_point from, CacheClock::time_point to) {
  if (to <= from) return 0;
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

}  // namespace

ResponseCache::ResponseCache(CacheLimits limits) : limits_(limits) {
  // Growing a hash table rehashes every entry; a cache that fills up would do that again and
  // again on the query path. Reserve up front (bounded, so a huge max-entries does not allocate
  // its whole bucket array at start), and keep chains short: a miss then usually touches only
  // the bucket array.
  index_.max_load_factor(0.5f);
  index_.reserve(std::min<std::size_t>(limits.max_entries, 1u << 16));
}

void ResponseCache::make_key(const Query& query, std::string& key) {
  key.assign(reinterpret_cast<const char*>(query.name_wire.data()), query.name_wire_length);
  key.push_back(static_cast<char>(query.qtype >> 8));
  key.push_back(static_cast<char>(query.qtype));
  key.push_back(static_cast<char>(query.qclass >> 8));
  key.push_back(static_cast<char>(query.qclass));
  // DO changes what an answer holds; CD changes whether it was validated (an answer fetched
  // with checking disabled must never be served to a client that wants validation).
  key.push_back(
      static_cast<char>((query.edns.dnssec_ok ? 1 : 0) | ((query.flags & kFlagCd) != 0 ? 2 : 0)));
}

bool ResponseCache::insert(const Query& query, std::span<std::uint8_t> answer,
                           const Response& response, CacheClock::time_point now) {
  if (limits_.max_entries == 0) return false;
  if (response.truncated()) return false;
  if (response.rcode != Rcode::noerror && response.rcode != Rcode::nxdomain) return false;

  bool negative = response.rcode == Rcode::nxdomain || response.ancount == 0;
  std::uint32_t lifetime = 0;
  if (negative) {
    // RFC 2308: the negative TTL is the lesser of the SOA's TTL and its MINIMUM field.
    if (response.soa_ttl_offset == 0) return false;
    lifetime = std::min({read_u32(&answer[response.soa_ttl_offset]),
                         read_u32(&answer[response.soa_minimum_offset]), limits_.max_negative_ttl});
    for (std::uint16_t at : response.ttl_offsets) {
      write_u32(&answer[at], std::min(read_u32(&answer[at]), lifetime));
    }
    write_u32(&answer[response.soa_ttl_offset], lifetime);
  } else {
    lifetime = limits_.max_ttl;
    for (std::uint16_t at : response.ttl_offsets) {
      std::uint32_t ttl = std::clamp(read_u32(&answer[at]), limits_.min_ttl, limits_.max_ttl);
      write_u32(&answer[at], ttl);
      lifetime = std::min(lifetime, ttl);
    }
  }
  if (lifetime == 0) return false;

  Entry entry;
  entry.wire.assign(answer.begin(), answer.end());
  entry.ttl_offsets = response.ttl_offsets;
  make_key(query, entry.key);
  entry.stored = now;
  entry.expires = now + std::chrono::seconds(lifetime);
  return store(std::move(entry));
}

void ResponseCache::insert_failure(const Query& query, std::uint32_t seconds,
                                   CacheClock::time_point now) {
  if (limits_.max_entries == 0 || seconds == 0 || !query.has_question()) return;
  Entry entry;
  entry.wire.assign(kHeaderSize, 0);
  write_u16(&entry.wire[kOffFlags],
            kFlagQr | kFlagRa | static_cast<std::uint16_t>(Rcode::servfail));
  write_u16(&entry.wire[kOffQdcount], 1);
  entry.wire.insert(entry.wire.end(), query.name_wire.begin(),
                    query.name_wire.begin() + query.name_wire_length);
  append_u16(entry.wire, query.qtype);
  append_u16(entry.wire, query.qclass);
  make_key(query, entry.key);
  entry.stored = now;
  entry.expires = now + std::chrono::seconds(seconds);
  store(std::move(entry));
}

bool ResponseCache::store(Entry entry) {
  auto found = index_.find(std::string_view(entry.key));
  if (found != index_.end()) {
    // The index's key views the entry's own string: drop the index slot before the entry.
    Lru::iterator old = found->second;
    bytes_ -= old->wire.size() + kEntryOverhead;
    index_.erase(found);
    lru_.erase(old);
  }
  std::size_t size = entry.wire.size() + kEntryOverhead;
  if (size > limits_.max_bytes) return false;  // larger than the whole budget
  while (index_.size() >= limits_.max_entries || bytes_ + size > limits_.max_bytes)
    evict_one();
  bytes_ += size;
  lru_.push_front(std::move(entry));
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  ++stats_.inserts;
  return true;
}

void ResponseCache::evict_one() {
  if (lru_.empty()) return;
  Entry& victim = lru_.back();
  bytes_ -= victim.wire.size() + kEntryOverhead;
  index_.erase(std::string_view(victim.key));  // before the string it views goes
  lru_.pop_back();
  ++stats_.evictions;
}

bool ResponseCache::lookup(Bytes packet, const Query& query, CacheClock::time_point now,
                           std::vector<std::uint8_t>& out) {
  make_key(query, scratch_key_);
  auto found = index_.find(std::string_view(scratch_key_));
  if (found == index_.end()) {
    ++stats_.misses;
    return false;
  }
  Entry& entry = *found->second;
  if (now >= entry.expires) {
    Lru::iterator old = found->second;
    bytes_ -= entry.wire.size() + kEntryOverhead;
    index_.erase(found);  // before the string it views goes
    lru_.erase(old);
    ++stats_.misses;
    return false;
  }
  lru_.splice(lru_.begin(), lru_, found->second);
  ++stats_.hits;

  out.assign(entry.wire.begin(), entry.wire.end());
  stamp_for_client(packet, query, out);
  std::uint32_t elapsed = seconds_between(entry.stored, now);
  for (std::uint16_t at : entry.ttl_offsets) {
    std::uint32_t ttl = read_u32(&out[at]);
    write_u32(&out[at], ttl > elapsed ? ttl - elapsed : 0);
  }
  return true;
}

}  // namespace shelter::proxy::dns

namespace shelter::proxy::dns {

SharedResponseCache::SharedResponseCache(CacheLimits limits) {
  // The entry limit is for the whole cache; each shard takes its part (at least one).
  CacheLimits per_shard = limits;
  per_shard.max_entries =
      limits.max_entries == 0 ? 0 : std::max<std::size_t>(1, limits.max_entries / kShards);
  per_shard.max_bytes = limits.max_bytes / kShards;
  for (std::size_t i = 0; i < kShards; ++i)
    shards_.push_back(std::make_unique<Shard>(per_shard));
}

SharedResponseCache::Shard& SharedResponseCache::shard_for(const Query& query) {
  // FNV-1a over the lower-case name and the type; the class and DO bit rarely vary.
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < query.name_wire_length; ++i)
    h = (h ^ query.name_wire[i]) * 16777619u;
  h = (h ^ query.qtype) * 16777619u;
  return *shards_[h % kShards];
}

bool SharedResponseCache::insert(const Query& query, std::span<std::uint8_t> answer,
                                 const Response& response, CacheClock::time_point now) {
  Shard& shard = shard_for(query);
  std::lock_guard lock(shard.mutex);
  return shard.cache.insert(query, answer, response, now);
}

void SharedResponseCache::insert_failure(const Query& query, std::uint32_t seconds,
                                         CacheClock::time_point now) {
  Shard& shard = shard_for(query);
  std::lock_guard lock(shard.mutex);
  shard.cache.insert_failure(query, seconds, now);
}

bool SharedResponseCache::lookup(Bytes packet, const Query& query, CacheClock::time_point now,
                                 std::vector<std::uint8_t>& out) {
  Shard& shard = shard_for(query);
  std::lock_guard lock(shard.mutex);
  return shard.cache.lookup(packet, query, now, out);
}

std::size_t SharedResponseCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->cache.size();
  }
  return total;
}

CacheStats SharedResponseCache::stats() const {
  CacheStats total;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    const CacheStats& s = shard->cache.stats();
    total.hits += s.hits;
    total.misses += s.misses;
    total.inserts += s.inserts;
    total.evictions += s.evictions;
  }
  return total;
}

std::size_t SharedResponseCache::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->cache.memory_bytes();
  }
  return total;
}

}  // namespace shelter::proxy::dns
