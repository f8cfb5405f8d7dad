#pragma once
// The transparency report (issue 13): over a period of whole UTC days, blocks per list source
// and category, and what happened to the appeals and access requests received. Pure: the
// caller hands in the day ledger (block_ledger.h), the cases and the clock; the admin API
// (JSON, CSV), the public page and shelterctl show the same Report.
//
// What it never holds: a site, a URL, a household or a device. Figures only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/cases/block_ledger.h"
#include "proxy/cases/case.h"
#include "proxy/cases/case_store.h"

namespace shelter::proxy::cases {

/// Days since 1970-01-01 (UTC) of a UTC time.
std::int64_t day_of(std::int64_t unix_time);
/// "YYYY-MM-DD" of a day number.
std::string day_name(std::int64_t day);
/// The day number of "YYYY-MM-DD" (a real calendar date), else nullopt.
std::optional<std::int64_t> parse_day(std::string_view text);

/// Whole UTC days, both ends included (day numbers).
struct Period {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t days() const { return to - from + 1; }
};

inline constexpr std::int64_t kDefaultPeriodDays = 30;
inline constexpr std::int64_t kMaxPeriodDays = 366;

/// The period asked for: `from` and `to` as given ("" = not given: `to` defaults to today,
/// `from` to 29 days before `to`). nullopt with `error` set (a sentence for a 400) when a date
/// does not read, `to` is before `from` or after today, or the period is longer than
/// kMaxPeriodDays.
std::optional<Period> parse_period(std::string_view from, std::string_view to, std::int64_t today,
                                   std::string& error);

/// Seconds people took, over the cases that have an answer: nearest-rank median and 90th
/// percentile (a value that really occurred, never an interpolation).
struct Durations {
  std::uint64_t count = 0;
  std::optional<std::int64_t> median{};
  std::optional<std::int64_t> p90{};
};
Durations durations_of(std::vector<std::int64_t> seconds);

struct BlockRow {
  std::string list{};  ///< a list's id, or "parental-controls"
  std::string category{};
  bool legal = false;  ///< an authority (legal) list
  std::uint64_t blocks = 0;
};

struct AppealFigures {
  std::uint64_t received = 0;
  std::map<std::string, std::uint64_t> by_route{};  ///< "operator", "authority", "venue"
  std::uint64_t upheld = 0;
  std::uint64_t overturned = 0;
  std::uint64_t referred = 0;
  std::uint64_t open = 0;
  Durations time_to_decision{};
};

struct RequestFigures {
  std::uint64_t received = 0;
  std::uint64_t granted = 0;
  std::uint64_t kept_blocked = 0;
  std::uint64_t expired = 0;
  std::uint64_t waiting = 0;
  Durations time_to_answer{};
};

/// Whether the stores still hold everything of the period: closed appeals are kept
/// cases.retention.closed-appeal, answered requests cases.retention.request, block days
/// closed-appeal too; a period that starts before that is incomplete, and says so.
struct Completeness {
  bool blocks = true;
  bool appeals = true;
  bool requests = true;
  std::int64_t block_days = 0;       ///< retention of block days, days
  std::int64_t appeal_seconds = 0;   ///< cases.retention.closed-appeal
  std::int64_t request_seconds = 0;  ///< cases.retention.request
  bool all() const { return blocks && appeals && requests; }
};

struct Report {
  Period period{};
  std::int64_t generated = 0;      ///< UTC seconds
  std::vector<BlockRow> blocks{};  ///< by list, then category
  std::uint64_t blocks_total = 0;
  AppealFigures appeals{};
  RequestFigures requests{};
  Completeness complete{};
};

struct ReportInput {
  Period period{};
  std::int64_t now = 0;
  const BlockDays* days = nullptr;  ///< the ledger over the period (other days are ignored)
  const std::vector<Appeal>* appeals = nullptr;
  const std::vector<AccessRequest>* requests = nullptr;
  /// Lists in force: id -> legal. A source not named here (a list removed since) is shown as
  /// not legal.
  const std::map<std::string, bool>* lists = nullptr;
  Retention retention{};
};

Report build_report(const ReportInput& input);

/// The report as JSON (docs/admin-api.md, "Transparency report").
std::string report_json(const Report& report);
/// One row per figure: section,list,category,measure,value (RFC 4180, CRLF line ends, a
/// header row first).
std::string report_csv(const Report& report);
/// One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF (quotes doubled).
std::string csv_field(std::string_view text);

}  // namespace shelter::proxy::cases
