// The transparency report's pure parts: days and periods, medians and 90th percentiles, the
// figures over a period, the retention boundary, and the CSV writer.

#include <catch2/catch.hpp>

#include "proxy/cases/transparency.h"

using namespace shelter::proxy::cases;

namespace {

constexpr std::int64_t kDay = 86400;
const std::int64_t kToday = *parse_day("2026-12-07");

Appeal appeal(std::int64_t created, AppealStatus status, std::int64_t after, Route route) {
  Appeal a;
  a.created = created;
  a.status = status;
  a.decided = status == AppealStatus::open ? 0 : created + after;
  a.route = route;
  a.site = "never-shown.example";
  return a;
}

AccessRequest request(std::int64_t created, RequestStatus status, std::int64_t after) {
  AccessRequest r;
  r.created = created;
  r.status = status;
  r.answered = (status == RequestStatus::allowed || status == RequestStatus::kept_blocked)
                   ? created + after
                   : 0;
  r.household = "secret-household";
  r.site = "never-shown.example";
  return r;
}

}  // namespace

TEST_CASE("days read and write as UTC calendar dates", "[transparency]") {
  CHECK(day_name(0) == "1970-01-01");
  CHECK(parse_day("1970-01-01") == 0);
  CHECK(day_name(kToday) == "2026-12-07");
  CHECK(parse_day("2028-02-29").has_value());  // a leap day
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "20261207",
                          "2026-12-07x", "", "abcd-ef-gh", "2026-04-31"}) {
    INFO(bad);
    CHECK_FALSE(parse_day(bad).has_value());
  }
  CHECK(day_of(kToday * kDay) == kToday);
  CHECK(day_of(kToday * kDay + kDay - 1) == kToday);
  CHECK(day_of(-1) == -1);
}

TEST_CASE("a period defaults to the last 30 days and refuses what makes no sense",
          "[transparency]") {
  std::string error;
  auto p = parse_period("", "", kToday, error);
  REQUIRE(p);
  CHECK(p->to == kToday);
  CHECK(p->days() == 30);
  p = parse_period("2026-12-01", "", kToday, error);
  REQUIRE(p);
  CHECK(p->from == kToday - 6);
  CHECK(p->to == kToday);
  p = parse_period("", "2026-11-30", kToday, error);
  REQUIRE(p);
  CHECK(p->days() == 30);
  p = parse_period("2025-12-07", "2026-12-07", kToday, error);  // 366 days: the most
  REQUIRE(p);
  CHECK(p->days() == 366);

  struct Bad {
    const char* from;
    const char* to;
    const char* says;
  };
  for (const Bad& b :
       {Bad{"2025-12-06", "2026-12-07", "at most 366"},
        Bad{"2026-12-05", "2026-12-04", "before from"}, Bad{"", "2026-12-08", "after today"},
        Bad{"yesterday", "", "from is not"}, Bad{"", "2026-02-30", "to is not"}}) {
    INFO(b.from << " .. " << b.to);
    error.clear();
    CHECK_FALSE(parse_period(b.from, b.to, kToday, error).has_value());
    CHECK(error.find(b.says) != std::string::npos);
  }
}

TEST_CASE("median and 90th percentile are nearest-rank values", "[transparency]") {
  CHECK(durations_of({}).count == 0);
  CHECK_FALSE(durations_of({}).median.has_value());
  CHECK_FALSE(durations_of({}).p90.has_value());
  Durations one = durations_of({42});
  CHECK(one.median == 42);
  CHECK(one.p90 == 42);
  Durations two = durations_of({10, 20});
  CHECK(two.median == 10);  // rank ceil(0.5 * 2) = 1
  CHECK(two.p90 == 20);
  Durations ten = durations_of({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  CHECK(ten.count == 10);
  CHECK(ten.median == 5);
  CHECK(ten.p90 == 9);
  Durations eleven = durations_of({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100});
  CHECK(eleven.median == 6);
  CHECK(eleven.p90 == 10);  // rank ceil(9.9) = 10
}

TEST_CASE("the report counts what was received in the period, whatever happened since",
          "[transparency]") {
  const std::int64_t start = (kToday - 2) * kDay;  // the period: the last three days
  const Period period{.from = kToday - 2, .to = kToday};
  const std::vector<Appeal> appeals{
      appeal(start + 10, AppealStatus::upheld, 600, Route::operator_review),
      appeal(start + 20, AppealStatus::overturned, 3600, Route::operator_review),
      appeal(start + 30, AppealStatus::referred, 0, Route::authority),
      appeal(start + 40, AppealStatus::open, 0, Route::venue),
      appeal(start - 1, AppealStatus::upheld, 5, Route::operator_review),          // the day before
      appeal((kToday + 1) * kDay, AppealStatus::open, 0, Route::operator_review),  // tomorrow
  };
  const std::vector<AccessRequest> requests{
      request(start + 1, RequestStatus::allowed, 120),
      request(start + 2, RequestStatus::kept_blocked, 60),
      request(start + 3, RequestStatus::expired, 0),
      request(start + 4, RequestStatus::waiting, 0),
      request(start - 100, RequestStatus::allowed, 1),
  };
  const BlockDays days{
      {"2026-12-04", {{{"adult-list", "adult"}, 1000}}},  // before the period
      {"2026-12-05", {{{"adult-list", "adult"}, 3}, {{"hotline", "csam"}, 2}}},
      {"2026-12-07",
       {{{"adult-list", "adult"}, 4},
        {{"parental-controls", "paused"}, 5},
        {{"removed", "malware"}, 0}}},
  };
  const std::map<std::string, bool> lists{{"adult-list", false}, {"hotline", true}};
  const Report r = build_report({.period = period,
                                 .now = kToday * kDay + 3600,
                                 .days = &days,
                                 .appeals = &appeals,
                                 .requests = &requests,
                                 .lists = &lists,
                                 .retention = {}});
  REQUIRE(r.blocks.size() == 3);  // a source with no blocks is left out
  CHECK(r.blocks[0].list == "adult-list");
  CHECK(r.blocks[0].blocks == 7);
  CHECK_FALSE(r.blocks[0].legal);
  CHECK(r.blocks[1].list == "hotline");
  CHECK(r.blocks[1].legal);
  CHECK(r.blocks[2].list == "parental-controls");
  CHECK(r.blocks[2].category == "paused");
  CHECK(r.blocks_total == 14);

  CHECK(r.appeals.received == 4);
  CHECK(r.appeals.by_route.at("operator") == 2);
  CHECK(r.appeals.by_route.at("authority") == 1);
  CHECK(r.appeals.by_route.at("venue") == 1);
  CHECK(r.appeals.upheld == 1);
  CHECK(r.appeals.overturned == 1);
  CHECK(r.appeals.referred == 1);
  CHECK(r.appeals.open == 1);
  CHECK(r.appeals.time_to_decision.count == 3);
  CHECK(r.appeals.time_to_decision.median == 600);
  CHECK(r.appeals.time_to_decision.p90 == 3600);

  CHECK(r.requests.received == 4);
  CHECK(r.requests.granted == 1);
  CHECK(r.requests.kept_blocked == 1);
  CHECK(r.requests.expired == 1);
  CHECK(r.requests.waiting == 1);
  CHECK(r.requests.time_to_answer.median == 60);
  CHECK(r.requests.time_to_answer.p90 == 120);
  CHECK(r.complete.all());

  const std::string json = report_json(r);
  const std::string csv = report_csv(r);
  for (const std::string* out : {&json, &csv}) {
    CHECK(out->find("never-shown") == std::string::npos);
    CHECK(out->find("secret-household") == std::string::npos);
  }
  CHECK(json.find("\"unresolved_share\":0.2500") != std::string::npos);
  CHECK(json.find("\"complete\":true") != std::string::npos);
  CHECK(csv.find("blocks,adult-list,adult,blocks,7\r\n") != std::string::npos);
  CHECK(csv.find("blocks,hotline,,legal,true\r\n") != std::string::npos);
  CHECK(csv.find("blocks,,,total,14\r\n") != std::string::npos);
  CHECK(csv.find("appeals,,,received-authority,1\r\n") != std::string::npos);
  CHECK(csv.find("appeals,,,median-seconds-to-decision,600\r\n") != std::string::npos);
  CHECK(csv.find("requests,,,unresolved-share,0.2500\r\n") != std::string::npos);
}

TEST_CASE("an empty period reports zeros and no times", "[transparency]") {
  const Report r = build_report({.period = {.from = kToday, .to = kToday},
                                 .now = kToday * kDay,
                                 .days = nullptr,
                                 .appeals = nullptr,
                                 .requests = nullptr,
                                 .lists = nullptr,
                                 .retention = {}});
  CHECK(r.blocks.empty());
  CHECK(r.blocks_total == 0);
  CHECK(r.appeals.received == 0);
  CHECK(r.requests.received == 0);
  const std::string json = report_json(r);
  CHECK(json.find("\"median_seconds\":null") != std::string::npos);
  CHECK(json.find("\"unresolved_share\":0.0000") != std::string::npos);
  CHECK(report_csv(r).find("appeals,,,p90-seconds-to-decision,\r\n") != std::string::npos);
}

TEST_CASE("a period older than the retention says it is incomplete", "[transparency]") {
  const Retention retention{.contact_after_close = 0,
                            .closed_appeal = 10 * kDay,
                            .request = 7 * kDay,
                            .waiting_request = kDay};
  const std::int64_t now = kToday * kDay + 12 * 3600;  // noon
  auto at = [&](std::int64_t from_day) {
    return build_report({.period = {.from = from_day, .to = kToday},
                         .now = now,
                         .days = nullptr,
                         .appeals = nullptr,
                         .requests = nullptr,
                         .lists = nullptr,
                         .retention = retention})
        .complete;
  };
  // Requests: kept 7 days after they close, so one received at or after now - 7 days is held.
  CHECK(at(kToday - 6).requests);
  CHECK_FALSE(at(kToday - 7).requests);  // its start is before now - 7 days (noon)
  CHECK(at(kToday - 7).appeals);
  CHECK(at(kToday - 9).appeals);
  CHECK_FALSE(at(kToday - 10).appeals);
  CHECK(at(kToday - 10).blocks);  // day buckets: kept 10 whole days
  CHECK_FALSE(at(kToday - 11).blocks);
  CHECK(at(kToday - 6).all());
  CHECK_FALSE(at(kToday - 7).all());
  const Report r = build_report({.period = {.from = kToday - 8, .to = kToday},
                                 .now = now,
                                 .days = nullptr,
                                 .appeals = nullptr,
                                 .requests = nullptr,
                                 .lists = nullptr,
                                 .retention = retention});
  CHECK(report_json(r).find("\"complete\":false") != std::string::npos);
  CHECK(report_json(r).find("\"requests\":false") != std::string::npos);
  CHECK(report_csv(r).find("period,,,complete,false\r\n") != std::string::npos);
}

TEST_CASE("CSV fields are quoted as RFC 4180 says", "[transparency][csv]") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("") == "");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\rhere") == "\"cr\rhere\"");
  // A list id with a comma stays one field in its row.
  const BlockDays days{{"2026-12-07", {{{"odd,list", "x\"y"}, 1}}}};
  const Report r = build_report({.period = {.from = kToday, .to = kToday},
                                 .now = kToday * kDay,
                                 .days = &days,
                                 .appeals = nullptr,
                                 .requests = nullptr,
                                 .lists = nullptr,
                                 .retention = {}});
  CHECK(report_csv(r).find("blocks,\"odd,list\",\"x\"\"y\",blocks,1\r\n") != std::string::npos);
  CHECK(report_csv(r).starts_with("section,list,category,measure,value\r\n"));
}
