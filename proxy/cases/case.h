#pragma once
// The cases the web front takes in and people decide: appeals against a block ("Report a
// mistake") and a child's access requests ("Ask my parent"), and what their answers put in force
// (an operator allow for everyone, a time-limited grant for one household or device). Plain
// values: the stores keep them, the pages and the admin API show them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::proxy::cases {

/// Who reviews an appeal, from who set the block (policy::appeal_route).
enum class Route : std::uint8_t {
  operator_review,  ///< the operator's lists and categories, or a parent's block a webmaster
                    ///< reports
  authority,        ///< a legal list: referred to the list authority, which decides
  venue,            ///< a public Wi-Fi's policy: the venue's contact
};

/// Who filed an appeal, as they said.
enum class Reporter : std::uint8_t { child, parent, webmaster, other };

enum class AppealStatus : std::uint8_t {
  open,        ///< waiting for a decision
  upheld,      ///< the block stays
  overturned,  ///< the block was wrong: an operator allow is in force on every node
  referred,    ///< sent to the list authority, which decides (legal lists)
};

enum class Outcome : std::uint8_t { uphold, overturn, refer };

struct Referral {
  bool delivered = false;  ///< the configured command or webhook accepted it
  std::int64_t at = 0;     ///< when it was tried (UTC seconds)
  std::string detail{};    ///< "webhook 202", "command exited 0", or why it failed
};

struct Appeal {
  std::string id{};           ///< 8 characters of Crockford base32: shown, spoken on the phone
  std::string secret_hash{};  ///< hex SHA-256 of the status secret; the secret is never stored
  std::int64_t created = 0;
  std::string site{};  ///< the host the appeal is about (normalised)
  std::string url{};   ///< the URL as given (a legal list's: for the referral only, never shown)
  /// The requester's household when the appeal form was sent from an identified device (its
  /// parents see the appeal on the portal); "" otherwise, and in records older than the field.
  std::string household{};
  Reporter reporter = Reporter::other;
  std::string why{};
  std::string contact{};  ///< optional; erased when the case closes and its retention ends
  Route route = Route::operator_review;
  std::string list{};      ///< the blocking list's id ("" when nothing blocks it)
  std::string category{};  ///< the blocking rule's category
  bool legal = false;      ///< a legal list's block
  AppealStatus status = AppealStatus::open;
  std::int64_t decided = 0;  ///< 0 while open
  std::string decision_reason{};
  std::string decided_by{};
  std::optional<Referral> referral{};

  bool closed() const { return status != AppealStatus::open; }
};

/// A parent's answer to "Ask my parent".
enum class Answer : std::uint8_t { minutes_15, hour_1, today, always, keep_blocked };

enum class RequestStatus : std::uint8_t {
  waiting,       ///< no answer yet
  allowed,       ///< a grant is (or was) in force until `until`
  kept_blocked,  ///< the parent said no
  expired,       ///< nobody answered in time
};

struct AccessRequest {
  std::string id{};  ///< 26 characters of base32 (128 random bits): the status page's capability
  std::string household{};
  std::string
      device{};        ///< "" when the device was not recognised: then the grant is household-wide
  std::string site{};  ///< the host the child asked for (normalised)
  std::int64_t created = 0;
  RequestStatus status = RequestStatus::waiting;
  std::optional<Answer> answer{};
  std::int64_t answered = 0;
  std::int64_t until = 0;  ///< allowed: the grant's end (kAlways for "always")
  std::string answered_by{};
};

constexpr std::int64_t kAlways = INT64_MAX;

/// What answers put in force, as every node holds it: shared by the DNS path and the pages.
struct Grant {
  std::string household{};
  std::string device{};  ///< "" = the whole household
  std::string site{};
  std::int64_t until = 0;
  std::string request{};  ///< the access request that made it
};

struct OperatorAllow {
  std::string site{};
  std::string appeal{};  ///< the overturned appeal
  std::int64_t since = 0;
};

// Names as the admin API, the pages' catalogs and the stores write them.
std::string_view route_name(Route route);       ///< "operator", "authority", "venue"
std::string_view reporter_name(Reporter r);     ///< "child", "parent", "webmaster", "other"
std::string_view status_name(AppealStatus s);   ///< "open", "upheld", "overturned", "referred"
std::string_view outcome_name(Outcome o);       ///< "uphold", "overturn", "refer"
std::string_view answer_name(Answer a);         ///< "15m", "1h", "today", "always", "keep-blocked"
std::string_view status_name(RequestStatus s);  ///< "waiting", "allowed", "kept-blocked", "expired"
std::optional<Route> parse_route(std::string_view text);
std::optional<Reporter> parse_reporter(std::string_view text);
std::optional<AppealStatus> parse_appeal_status(std::string_view text);
std::optional<Outcome> parse_outcome(std::string_view text);
std::optional<Answer> parse_answer(std::string_view text);
std::optional<RequestStatus> parse_request_status(std::string_view text);

}  // namespace shelter::proxy::cases
