#include "proxy/cases/rules.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace shelter::proxy::cases {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::string random_base32(std::size_t characters) {
  std::string bytes(characters, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) !=
      1) {
    throw std::runtime_error("the random generator failed");
  }
  std::string text;
  text.reserve(characters);
  // Five bits of each byte: uniform, since 256 is a multiple of 32.
  for (char c : bytes)
    text.push_back(kCrockford[static_cast<unsigned char>(c) & 31u]);
  return text;
}

}  // namespace

Route appeal_route(bool legal, bool venue) {
  if (legal) return Route::authority;
  if (venue) return Route::venue;
  return Route::operator_review;
}

Appeal decide_appeal(Appeal appeal, Outcome outcome, std::string reason, std::string by,
                     std::int64_t now) {
  if (appeal.closed()) {
    throw RuleViolation("appeal " + appeal.id + " is already " +
                        std::string(status_name(appeal.status)));
  }
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw RuleViolation("a decision needs a written reason");
  }
  if (outcome == Outcome::overturn && appeal.legal) {
    throw RuleViolation("a legal list's block is decided by its authority: refer it");
  }
  switch (outcome) {
    case Outcome::uphold:
      appeal.status = AppealStatus::upheld;
      break;
    case Outcome::overturn:
      appeal.status = AppealStatus::overturned;
      break;
    case Outcome::refer:
      appeal.status = AppealStatus::referred;
      break;
  }
  appeal.decided = now;
  appeal.decision_reason = std::move(reason);
  appeal.decided_by = std::move(by);
  return appeal;
}

std::optional<std::int64_t> grant_end(Answer answer, std::int64_t now,
                                      const policy::TimeZone& zone) {
  switch (answer) {
    case Answer::minutes_15:
      return now + 15 * 60;
    case Answer::hour_1:
      return now + 3600;
    case Answer::always:
      return kAlways;
    case Answer::keep_blocked:
      return std::nullopt;
    case Answer::today: {
      constexpr std::int64_t kDay = 86400;
      const std::int64_t local = now + zone.offset_at(now);
      const std::int64_t floor_day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
      const std::int64_t midnight_local = (floor_day + 1) * kDay;
      // The offset at midnight, not now: a DST change during the evening moves midnight.
      std::int64_t end = midnight_local - zone.offset_at(midnight_local - zone.offset_at(now));
      return end > now ? end : now + 60;
    }
  }
  return std::nullopt;
}

AccessRequest answer_request(AccessRequest request, Answer answer, std::string by, std::int64_t now,
                             const policy::TimeZone& zone) {
  if (request.status != RequestStatus::waiting) {
    throw RuleViolation("request " + request.id + " is already " +
                        std::string(status_name(request.status)));
  }
  request.answer = answer;
  request.answered = now;
  request.answered_by = std::move(by);
  if (std::optional<std::int64_t> end = grant_end(answer, now, zone)) {
    request.status = RequestStatus::allowed;
    request.until = *end;
  } else {
    request.status = RequestStatus::kept_blocked;
    request.until = 0;
  }
  return request;
}

std::optional<Grant> grant_of(const AccessRequest& request) {
  if (request.status != RequestStatus::allowed) return std::nullopt;
  return Grant{.household = request.household,
               .device = request.device,
               .site = request.site,
               .until = request.until,
               .request = request.id};
}

RequestStatus shown_status(const AccessRequest& request, std::int64_t now) {
  if (request.status == RequestStatus::allowed && request.until <= now) {
    return RequestStatus::expired;
  }
  return request.status;
}

std::string new_appeal_id() {
  return random_base32(8);
}

std::string new_secret() {
  return random_base32(26);
}

std::string secret_hash(std::string_view secret) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  EVP_Digest(secret.data(), secret.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

bool secret_matches(std::string_view secret, std::string_view hash) {
  const std::string mine = secret_hash(secret);
  return hash.size() == mine.size() && CRYPTO_memcmp(mine.data(), hash.data(), mine.size()) == 0;
}

}  // namespace shelter::proxy::cases
