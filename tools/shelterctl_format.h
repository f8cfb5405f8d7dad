#pragma once
// shelterctl's output: tables, detail views and one-line summaries of the admin API's JSON.
// Pure: the time is a parameter. Every string from the server goes through terminal_safe() (or,
// for --json, json_for_terminal()) first, so that a hostile appeal text cannot send escape
// sequences to the operator's terminal.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::tools::ctl {

/// `text` fit for one line of a terminal: tabs, newlines and carriage returns become spaces;
/// other C0 controls, DEL, C1 controls (U+0080..U+009F) and the bidirectional overrides and
/// isolates (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069) are dropped; bytes that are not
/// UTF-8 become U+FFFD.
std::string terminal_safe(std::string_view text);

/// The same JSON text with C1 and bidirectional control characters written as \uXXXX escapes
/// (they can only be inside strings, so the value is unchanged) and any other control or
/// invalid byte dropped. `json` should have been parsed already (Boost.JSON refuses raw control
/// characters in strings and invalid UTF-8).
std::string json_for_terminal(std::string_view json);

/// "45s", "12m", "3h", "5d": how long `seconds` is, in its largest whole unit (hours up to two
/// days). Negative counts as 0.
std::string format_age(std::int64_t seconds);

/// "2025-12-06T05:46:40Z".
std::string iso8601_utc(std::int64_t unix_seconds);

/// A table: the first row is the header; columns two spaces apart, each as wide as its widest
/// cell (in code points), no trailing spaces. Cells must be terminal-safe already.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

/// `GET /v1/appeals` answers as a table, newest first. Fields that are missing or of another
/// type print as "?". Sites of appeals against a legal list print as "(legal list)".
std::string appeals_table(const boost::json::array& appeals, std::int64_t now);

/// `GET /v1/requests` answers as a table, newest first.
std::string requests_table(const boost::json::array& requests, std::int64_t now);

/// Every field of one appeal (or request), one a line: the known fields in a fixed order, then
/// any others; times in ISO 8601 UTC with how long ago; nested objects as "referral.at".
std::string details(const boost::json::object& item, std::int64_t now);

/// After `appeals decide`: "appeal A7K3Q9M2 is now overturned: ..." from the updated appeal.
std::string decision_summary(const boost::json::object& appeal, std::int64_t now);

/// After `requests answer`: "request R1 is now allowed until ..." from the updated request.
std::string answer_summary(const boost::json::object& request, std::int64_t now);

/// `GET /v1/households` as a table in the server's (id) order: id, profile ("(default)" when
/// the household names none), number of devices, number of bindings (the household's and its
/// devices' addresses, MACs and CPE ids).
std::string households_table(const boost::json::array& households);

/// The line after a page when there are more: the command that lists the next one (`limit` 0:
/// none was given).
std::string next_page_hint(std::string_view next, int limit,
                           std::string_view command = "household list");

/// `GET /v1/profiles` or a household's profiles as a table in the server's (name) order: name,
/// kind (preset, built-in, operator, household), base, how many categories it blocks and
/// unblocks, what uses it (a household's own profiles).
std::string profiles_table(const boost::json::array& profiles);

/// `profile show`: every field of one profile, one a line (lists joined with ", ").
std::string profile_summary(const boost::json::object& profile);

/// `household show`: the profile, time zone, pause, bindings, one line per device (profile,
/// bindings, pause) and the household's own profiles by name, then any field this version does
/// not know.
std::string household_summary(const boost::json::object& household, std::int64_t now);

/// After a change, from the answer {"household": ..., "changed": ...}: what the household (or,
/// when `device` is not empty, the device) is now, or that it was removed; "(nothing changed)"
/// when the server says so.
std::string edit_summary(const boost::json::object& answer, std::string_view household,
                         std::string_view device, std::int64_t now);

/// `GET /v1/audit` as a table in the server's order (newest first): when (ISO 8601 UTC), who,
/// action, target, detail.
std::string audit_table(const boost::json::array& entries);

/// The lists in force (GET /v1/lists, the /readyz body): state, then one row per list.
std::string lists_table(const boost::json::object& status);

/// A decision preview (GET /v1/explain) in two lines: who the client is, what it gets and why.
std::string explain_text(const boost::json::object& answer);

/// A self-test report: the node, the time, passed or not, then one row per check.
std::string self_test_text(const boost::json::object& report);

/// The transparency report (GET /v1/transparency) as text: the period, blocks per list and
/// category, then the appeals' and the access requests' figures.
std::string report_text(const boost::json::object& report);

/// A first-access code for the household's parents, to send them, and until when it works.
std::string access_code_text(const boost::json::object& answer, std::int64_t now);

/// The message for a non-2xx answer: the server's {"error": ...} text (or the start of the
/// body when it is not that), each of its "reasons" on a line of its own, the status, and a
/// hint for 401/403/429/503.
std::string server_error_text(int status, std::string_view reason, std::string_view body);

}  // namespace shelter::tools::ctl
