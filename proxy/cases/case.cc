#include "proxy/cases/case.h"

#include <array>
#include <utility>

namespace shelter::proxy::cases {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, std::string_view>, N>& names,
                               std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

constexpr std::array<std::pair<Route, std::string_view>, 3> kRoutes{{
    {Route::operator_review, "operator"},
    {Route::authority, "authority"},
    {Route::venue, "venue"},
}};
constexpr std::array<std::pair<Reporter, std::string_view>, 4> kReporters{{
    {Reporter::child, "child"},
    {Reporter::parent, "parent"},
    {Reporter::webmaster, "webmaster"},
    {Reporter::other, "other"},
}};
constexpr std::array<std::pair<AppealStatus, std::string_view>, 4> kAppealStatuses{{
    {AppealStatus::open, "open"},
    {AppealStatus::upheld, "upheld"},
    {AppealStatus::overturned, "overturned"},
    {AppealStatus::referred, "referred"},
}};
constexpr std::array<std::pair<Outcome, std::string_view>, 3> kOutcomes{{
    {Outcome::uphold, "uphold"},
    {Outcome::overturn, "overturn"},
    {Outcome::refer, "refer"},
}};
constexpr std::array<std::pair<Answer, std::string_view>, 5> kAnswers{{
    {Answer::minutes_15, "15m"},
    {Answer::hour_1, "1h"},
    {Answer::today, "today"},
    {Answer::always, "always"},
    {Answer::keep_blocked, "keep-blocked"},
}};
constexpr std::array<std::pair<RequestStatus, std::string_view>, 4> kRequestStatuses{{
    {RequestStatus::waiting, "waiting"},
    {RequestStatus::allowed, "allowed"},
    {RequestStatus::kept_blocked, "kept-blocked"},
    {RequestStatus::expired, "expired"},
}};

}  // namespace

std::string_view route_name(Route route) {
  return name_of(kRoutes, route);
}
std::string_view reporter_name(Reporter r) {
  return name_of(kReporters, r);
}
std::string_view status_name(AppealStatus s) {
  return name_of(kAppealStatuses, s);
}
std::string_view outcome_name(Outcome o) {
  return name_of(kOutcomes, o);
}
std::string_view answer_name(Answer a) {
  return name_of(kAnswers, a);
}
std::string_view status_name(RequestStatus s) {
  return name_of(kRequestStatuses, s);
}
std::optional<Route> parse_route(std::string_view text) {
  return parse_name(kRoutes, text);
}
std::optional<Reporter> parse_reporter(std::string_view text) {
  return parse_name(kReporters, text);
}
std::optional<AppealStatus> parse_appeal_status(std::string_view text) {
  return parse_name(kAppealStatuses, text);
}
std::optional<Outcome> parse_outcome(std::string_view text) {
  return parse_name(kOutcomes, text);
}
std::optional<Answer> parse_answer(std::string_view text) {
  return parse_name(kAnswers, text);
}
std::optional<RequestStatus> parse_request_status(std::string_view text) {
  return parse_name(kRequestStatuses, text);
}

}  // namespace shelter::proxy::cases
