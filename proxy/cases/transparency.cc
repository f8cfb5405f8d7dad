#include "proxy/cases/transparency.h"

#include <algorithm>
#include <cstdio>

#include "proxy/json_text.h"

namespace shelter::proxy::cases {
namespace {

constexpr std::int64_t kDay = 86400;

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, exact).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string seconds_text(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : std::string("null");
}

std::string durations_json(const Durations& d) {
  return "{\"count\":" + std::to_string(d.count) + ",\"median_seconds\":" + seconds_text(d.median) +
         ",\"p90_seconds\":" + seconds_text(d.p90) + "}";
}

// Share of `part` in `whole`, 4 decimals; 0 when there is nothing.
std::string share(std::uint64_t part, std::uint64_t whole) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f",
                whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole));
  return b;
}

bool in_period(std::int64_t created, const Period& p) {
  return created >= p.from * kDay && created < (p.to + 1) * kDay;
}

AppealFigures appeal_figures(const std::vector<Appeal>& appeals, const Period& period) {
  AppealFigures f;
  for (const char* route : {"operator", "authority", "venue"})
    f.by_route[route] = 0;
  std::vector<std::int64_t> waits;
  for (const Appeal& a : appeals) {
    if (!in_period(a.created, period)) continue;
    ++f.received;
    ++f.by_route[std::string(route_name(a.route))];
    switch (a.status) {
      case AppealStatus::open:
        ++f.open;
        continue;
      case AppealStatus::upheld:
        ++f.upheld;
        break;
      case AppealStatus::overturned:
        ++f.overturned;
        break;
      case AppealStatus::referred:
        ++f.referred;
        break;
    }
    if (a.decided >= a.created) waits.push_back(a.decided - a.created);
  }
  f.time_to_decision = durations_of(std::move(waits));
  return f;
}

RequestFigures request_figures(const std::vector<AccessRequest>& requests, const Period& period) {
  RequestFigures f;
  std::vector<std::int64_t> waits;
  for (const AccessRequest& r : requests) {
    if (!in_period(r.created, period)) continue;
    ++f.received;
    switch (r.status) {
      case RequestStatus::waiting:
        ++f.waiting;
        continue;
      case RequestStatus::expired:
        ++f.expired;
        continue;
      case RequestStatus::allowed:
        ++f.granted;
        break;
      case RequestStatus::kept_blocked:
        ++f.kept_blocked;
        break;
    }
    if (r.answered >= r.created) waits.push_back(r.answered - r.created);
  }
  f.time_to_answer = durations_of(std::move(waits));
  return f;
}

std::vector<BlockRow> block_rows(const BlockDays& days, const Period& period,
                                 const std::map<std::string, bool>& lists) {
  BlockCounts summed;
  const std::string from = day_name(period.from);
  const std::string to = day_name(period.to);
  for (auto it = days.lower_bound(from); it != days.end() && it->first <= to; ++it) {
    for (const auto& [key, n] : it->second)
      summed[key] += n;
  }
  std::vector<BlockRow> rows;
  for (const auto& [key, n] : summed) {
    if (n == 0) continue;
    const auto list = lists.find(key.first);
    rows.push_back({key.first, key.second, list != lists.end() && list->second, n});
  }
  return rows;
}

}  // namespace

std::int64_t day_of(std::int64_t unix_time) {
  return unix_time >= 0 ? unix_time / kDay : -((-unix_time + kDay - 1) / kDay);
}

std::string day_name(std::int64_t day) {
  // civil_from_days
  const std::int64_t z = day + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  char b[32];
  std::snprintf(b, sizeof b, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return b;
}

std::optional<std::int64_t> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
    unsigned v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return v;
  };
  const auto y = number(0, 4);
  const auto m = number(5, 2);
  const auto d = number(8, 2);
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) return std::nullopt;
  const std::int64_t day = days_from_civil(*y, *m, *d);
  if (day_name(day) != text) return std::nullopt;  // 2026-02-30 and the like
  return day;
}

std::optional<Period> parse_period(std::string_view from, std::string_view to, std::int64_t today,
                                   std::string& error) {
  Period p{.from = 0, .to = today};
  if (!to.empty()) {
    const std::optional<std::int64_t> t = parse_day(to);
    if (!t) {
      error = "to is not a date (YYYY-MM-DD)";
      return std::nullopt;
    }
    p.to = *t;
  }
  if (from.empty()) {
    p.from = p.to - (kDefaultPeriodDays - 1);
  } else {
    const std::optional<std::int64_t> f = parse_day(from);
    if (!f) {
      error = "from is not a date (YYYY-MM-DD)";
      return std::nullopt;
    }
    p.from = *f;
  }
  if (p.to > today) {
    error = "to is after today (" + day_name(today) + ", UTC)";
    return std::nullopt;
  }
  if (p.to < p.from) {
    error = "to is before from";
    return std::nullopt;
  }
  if (p.days() > kMaxPeriodDays) {
    error = "a period is at most " + std::to_string(kMaxPeriodDays) + " days";
    return std::nullopt;
  }
  return p;
}

Durations durations_of(std::vector<std::int64_t> seconds) {
  Durations d;
  d.count = seconds.size();
  if (seconds.empty()) return d;
  std::sort(seconds.begin(), seconds.end());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  auto rank = [&](std::size_t percent) {
    const std::size_t n = seconds.size();
    const std::size_t r = (percent * n + 99) / 100;  // ceil(p/100 * n), at least 1
    return seconds[std::max<std::size_t>(r, 1) - 1];
  };
  d.median = rank(50);
  d.p90 = rank(90);
  return d;
}

Report build_report(const ReportInput& input) {
  Report r;
  r.period = input.period;
  r.generated = input.now;
  static const BlockDays kNoDays;
  static const std::vector<Appeal> kNoAppeals;
  static const std::vector<AccessRequest> kNoRequests;
  static const std::map<std::string, bool> kNoLists;
  r.blocks = block_rows(input.days ? *input.days : kNoDays, input.period,
                        input.lists ? *input.lists : kNoLists);
  for (const BlockRow& row : r.blocks)
    r.blocks_total += row.blocks;
  r.appeals = appeal_figures(input.appeals ? *input.appeals : kNoAppeals, input.period);
  r.requests = request_figures(input.requests ? *input.requests : kNoRequests, input.period);
  // A case received at or after now - retention is still held whatever happened to it since
  // (it closed after it was received, and is kept `retention` after closing).
  const std::int64_t start = input.period.from * kDay;
  Completeness& c = r.complete;
  c.appeal_seconds = input.retention.closed_appeal;
  c.request_seconds = input.retention.request;
  c.block_days = input.retention.closed_appeal / kDay;
  c.appeals = start >= input.now - input.retention.closed_appeal;
  c.requests = start >= input.now - input.retention.request;
  c.blocks = input.period.from >= day_of(input.now) - c.block_days;
  return r;
}

std::string report_json(const Report& r) {
  std::string out = "{\"period\":{\"from\":" + json_string(day_name(r.period.from)) +
                    ",\"to\":" + json_string(day_name(r.period.to)) +
                    ",\"days\":" + std::to_string(r.period.days()) +
                    "},\"generated\":" + std::to_string(r.generated);
  const Completeness& c = r.complete;
  auto flag = [](bool b) { return b ? std::string("true") : std::string("false"); };
  out += ",\"complete\":" + flag(c.all()) + ",\"completeness\":{\"blocks\":" + flag(c.blocks) +
         ",\"appeals\":" + flag(c.appeals) + ",\"requests\":" + flag(c.requests) +
         ",\"block_retention_days\":" + std::to_string(c.block_days) +
         ",\"closed_appeal_retention_seconds\":" + std::to_string(c.appeal_seconds) +
         ",\"request_retention_seconds\":" + std::to_string(c.request_seconds) + "}";
  out += ",\"blocks\":{\"total\":" + std::to_string(r.blocks_total) + ",\"sources\":[";
  for (std::size_t i = 0; i < r.blocks.size(); ++i) {
    const BlockRow& b = r.blocks[i];
    out += (i ? "," : "") + std::string("{\"list\":") + json_string(b.list) +
           ",\"category\":" + json_string(b.category) + ",\"legal\":" + flag(b.legal) +
           ",\"blocks\":" + std::to_string(b.blocks) + "}";
  }
  const AppealFigures& a = r.appeals;
  out += "]},\"appeals\":{\"received\":" + std::to_string(a.received) + ",\"by_route\":{";
  bool first = true;
  for (const auto& [route, n] : a.by_route) {
    out += (first ? "" : ",") + json_string(route) + ":" + std::to_string(n);
    first = false;
  }
  out += "},\"upheld\":" + std::to_string(a.upheld) +
         ",\"overturned\":" + std::to_string(a.overturned) +
         ",\"referred\":" + std::to_string(a.referred) + ",\"open\":" + std::to_string(a.open) +
         ",\"unresolved_share\":" + share(a.open, a.received) +
         ",\"time_to_decision\":" + durations_json(a.time_to_decision) + "}";
  const RequestFigures& q = r.requests;
  out += ",\"requests\":{\"received\":" + std::to_string(q.received) +
         ",\"granted\":" + std::to_string(q.granted) +
         ",\"kept_blocked\":" + std::to_string(q.kept_blocked) +
         ",\"expired\":" + std::to_string(q.expired) + ",\"waiting\":" + std::to_string(q.waiting) +
         ",\"unresolved_share\":" + share(q.waiting, q.received) +
         ",\"time_to_answer\":" + durations_json(q.time_to_answer) + "}}";
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string report_csv(const Report& r) {
  std::string out = "section,list,category,measure,value\r\n";
  auto row = [&out](std::string_view section, std::string_view list, std::string_view category,
                    std::string_view measure, const std::string& value) {
    out += csv_field(section) + "," + csv_field(list) + "," + csv_field(category) + "," +
           csv_field(measure) + "," + csv_field(value) + "\r\n";
  };
  auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string();
  };
  row("period", "", "", "from", day_name(r.period.from));
  row("period", "", "", "to", day_name(r.period.to));
  row("period", "", "", "complete", r.complete.all() ? "true" : "false");
  // Rows come by list, then category: each list's categories, then its total.
  for (std::size_t i = 0; i < r.blocks.size(); ++i) {
    const BlockRow& b = r.blocks[i];
    row("blocks", b.list, b.category, "blocks", std::to_string(b.blocks));
    if (i + 1 < r.blocks.size() && r.blocks[i + 1].list == b.list) continue;
    std::uint64_t total = 0;
    for (const BlockRow& other : r.blocks)
      total += other.list == b.list ? other.blocks : 0;
    row("blocks", b.list, "", "total", std::to_string(total));
    row("blocks", b.list, "", "legal", b.legal ? "true" : "false");
  }
  row("blocks", "", "", "total", std::to_string(r.blocks_total));
  const AppealFigures& a = r.appeals;
  row("appeals", "", "", "received", std::to_string(a.received));
  for (const auto& [route, n] : a.by_route)
    row("appeals", "", "", "received-" + route, std::to_string(n));
  row("appeals", "", "", "upheld", std::to_string(a.upheld));
  row("appeals", "", "", "overturned", std::to_string(a.overturned));
  row("appeals", "", "", "referred", std::to_string(a.referred));
  row("appeals", "", "", "open", std::to_string(a.open));
  row("appeals", "", "", "unresolved-share", share(a.open, a.received));
  row("appeals", "", "", "decided", std::to_string(a.time_to_decision.count));
  row("appeals", "", "", "median-seconds-to-decision", opt(a.time_to_decision.median));
  row("appeals", "", "", "p90-seconds-to-decision", opt(a.time_to_decision.p90));
  const RequestFigures& q = r.requests;
  row("requests", "", "", "received", std::to_string(q.received));
  row("requests", "", "", "granted", std::to_string(q.granted));
  row("requests", "", "", "kept-blocked", std::to_string(q.kept_blocked));
  row("requests", "", "", "expired", std::to_string(q.expired));
  row("requests", "", "", "waiting", std::to_string(q.waiting));
  row("requests", "", "", "unresolved-share", share(q.waiting, q.received));
  row("requests", "", "", "answered", std::to_string(q.time_to_answer.count));
  row("requests", "", "", "median-seconds-to-answer", opt(q.time_to_answer.median));
  row("requests", "", "", "p90-seconds-to-answer", opt(q.time_to_answer.p90));
  return out;
}

}  // namespace shelter::proxy::cases
