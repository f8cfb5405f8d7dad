// Appeals and access requests without sockets: the workflow rules, the JSON records, the
// embedded store (persistence, conflicts, retention, overrides), the referral record and its
// delivery by a program, and the workflow's metrics.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "proxy/cases/case_json.h"
#include "proxy/cases/case_metrics.h"
#include "proxy/cases/embedded_case_store.h"
#include "proxy/cases/referral.h"
#include "proxy/cases/rules.h"
#include "scratch_dir.h"

namespace cases = shelter::proxy::cases;
namespace asio = boost::asio;
using shelter::test::Scratch;

namespace {

constexpr std::int64_t kNow = 1'796'083'200;  // 2026-12-01T00:00:00Z

// Runs a store coroutine to its end on a private io_context.
template <typename T>
T run(asio::awaitable<T> task) {
  asio::io_context io;
  std::future<T> result = asio::co_spawn(io, std::move(task), asio::use_future);
  io.run();
  return result.get();
}

void run(asio::awaitable<void> task) {
  asio::io_context io;
  std::future<void> result = asio::co_spawn(io, std::move(task), asio::use_future);
  io.run();
  result.get();
}

cases::Appeal appeal(std::string id, bool legal = false) {
  cases::Appeal a;
  a.id = std::move(id);
  a.secret_hash = cases::secret_hash("secret");
  a.created = kNow;
  a.site = "games.example";
  a.url = "https://games.example/play";
  a.reporter = cases::Reporter::webmaster;
  a.why = "a school's \"games\" page <b>";
  a.contact = "me@example.org";
  a.legal = legal;
  a.route = cases::appeal_route(legal, false);
  a.list = legal ? "iwf" : "adult";
  a.category = legal ? "csam" : "adult";
  return a;
}

cases::AccessRequest request(std::string id, std::string site = "games.example") {
  return cases::AccessRequest{.id = std::move(id),
                              .household = "smith",
                              .device = "tablet",
                              .site = std::move(site),
                              .created = kNow};
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("who reviews an appeal", "[cases][rules]") {
  CHECK(cases::appeal_route(true, false) == cases::Route::authority);
  CHECK(cases::appeal_route(true, true) == cases::Route::authority);
  CHECK(cases::appeal_route(false, true) == cases::Route::venue);
  CHECK(cases::appeal_route(false, false) == cases::Route::operator_review);
}

TEST_CASE("deciding an appeal", "[cases][rules]") {
  const cases::Appeal open = appeal("A1");
  const cases::Appeal upheld =
      cases::decide_appeal(open, cases::Outcome::uphold, "correct", "ops", kNow + 60);
  CHECK(upheld.status == cases::AppealStatus::upheld);
  CHECK(upheld.decided == kNow + 60);
  CHECK(upheld.decided_by == "ops");
  CHECK_THROWS_AS(cases::decide_appeal(upheld, cases::Outcome::overturn, "x", "ops", kNow),
                  cases::RuleViolation);
  CHECK_THROWS_AS(cases::decide_appeal(open, cases::Outcome::overturn, " \n", "ops", kNow),
                  cases::RuleViolation);
  const cases::Appeal legal = appeal("A2", true);
  CHECK_THROWS_AS(cases::decide_appeal(legal, cases::Outcome::overturn, "x", "ops", kNow),
                  cases::RuleViolation);
  CHECK(cases::decide_appeal(legal, cases::Outcome::refer, "x", "ops", kNow).status ==
        cases::AppealStatus::referred);
}

TEST_CASE("when a grant ends", "[cases][rules]") {
  const auto utc = shelter::policy::TimeZone::utc();
  CHECK(cases::grant_end(cases::Answer::minutes_15, kNow, utc) == kNow + 900);
  CHECK(cases::grant_end(cases::Answer::hour_1, kNow, utc) == kNow + 3600);
  CHECK(cases::grant_end(cases::Answer::always, kNow, utc) == cases::kAlways);
  CHECK_FALSE(cases::grant_end(cases::Answer::keep_blocked, kNow, utc).has_value());
  // "Today" ends at the household's midnight: 21:30 in New York is 02:30 UTC the next day.
  std::string error;
  const auto new_york = shelter::policy::TimeZone::from_posix("EST5EDT,M3.2.0,M11.1.0", error);
  REQUIRE(new_york);
  const std::int64_t evening = kNow + 2 * 3600 + 30 * 60;  // 02:30Z = 21:30 EST on 30 Nov
  CHECK(cases::grant_end(cases::Answer::today, evening, *new_york) == kNow + 5 * 3600);
  CHECK(cases::grant_end(cases::Answer::today, kNow + 3600, utc) == kNow + 86400);
}

TEST_CASE("answering a request", "[cases][rules]") {
  const auto utc = shelter::policy::TimeZone::utc();
  const cases::AccessRequest waiting = request("R1");
  const cases::AccessRequest allowed =
      cases::answer_request(waiting, cases::Answer::minutes_15, "mum", kNow, utc);
  CHECK(allowed.status == cases::RequestStatus::allowed);
  CHECK(allowed.until == kNow + 900);
  const std::optional<cases::Grant> grant = cases::grant_of(allowed);
  REQUIRE(grant);
  CHECK(grant->household == "smith");
  CHECK(grant->device == "tablet");
  CHECK(grant->until == kNow + 900);
  CHECK(cases::shown_status(allowed, kNow + 899) == cases::RequestStatus::allowed);
  CHECK(cases::shown_status(allowed, kNow + 900) == cases::RequestStatus::expired);
  CHECK_THROWS_AS(cases::answer_request(allowed, cases::Answer::always, "dad", kNow, utc),
                  cases::RuleViolation);
  const cases::AccessRequest kept =
      cases::answer_request(waiting, cases::Answer::keep_blocked, "mum", kNow, utc);
  CHECK(kept.status == cases::RequestStatus::kept_blocked);
  CHECK_FALSE(cases::grant_of(kept));
}

TEST_CASE("ids and secrets", "[cases][rules]") {
  const std::string id = cases::new_appeal_id();
  CHECK(id.size() == 8);
  CHECK(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ") == std::string::npos);
  CHECK(cases::new_secret().size() == 26);
  CHECK(cases::new_secret() != cases::new_secret());
  const std::string hash = cases::secret_hash("abc");
  CHECK(hash == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(cases::secret_matches("abc", hash));
  CHECK_FALSE(cases::secret_matches("abd", hash));
  CHECK_FALSE(cases::secret_matches("abc", hash.substr(1)));
}

TEST_CASE("records read back as they were written, strictly", "[cases][json]") {
  cases::Appeal a = appeal("A1");
  a.referral = cases::Referral{.delivered = true, .at = kNow, .detail = "command ok"};
  std::string error;
  const auto back = cases::appeal_from_json(cases::to_json(a, cases::Detail::stored), error);
  REQUIRE(back);
  CHECK(back->why == a.why);
  CHECK(back->secret_hash == a.secret_hash);
  CHECK(back->referral->detail == "command ok");
  // What the API shows: no secret hash ever; lists show no contact or URL.
  CHECK(cases::to_json(a, cases::Detail::full).find("secret_hash") == std::string::npos);
  const std::string summary = cases::to_json(a, cases::Detail::summary);
  CHECK(summary.find("me@example.org") == std::string::npos);
  CHECK(summary.find("/play") == std::string::npos);

  const auto r = cases::request_from_json(cases::to_json(request("R1")), error);
  REQUIRE(r);
  CHECK(r->device == "tablet");
  CHECK_FALSE(r->answer);

  CHECK_FALSE(cases::appeal_from_json("[1]", error));
  CHECK_FALSE(cases::appeal_from_json(R"({"id":"A"})", error));
  CHECK(error.find("missing") != std::string::npos);
  std::string bad = cases::to_json(a, cases::Detail::stored);
  bad.replace(bad.find("\"webmaster\""), 11, "\"emperor\"");
  CHECK_FALSE(cases::appeal_from_json(bad, error));
  CHECK(error == "reporter has an unknown value");
}

TEST_CASE("an appeal's household is kept and shown to the operator only", "[cases][json]") {
  std::string error;
  cases::Appeal a = appeal("A1");
  a.household = "smith";
  const auto back = cases::appeal_from_json(cases::to_json(a, cases::Detail::stored), error);
  REQUIRE(back);
  CHECK(back->household == "smith");
  CHECK(cases::to_json(a, cases::Detail::full).find("\"household\":\"smith\"") !=
        std::string::npos);
  CHECK(cases::to_json(a, cases::Detail::summary).find("smith") == std::string::npos);

  // A record written before the field existed reads, with no household.
  std::string old = cases::to_json(appeal("A2"), cases::Detail::stored);
  const std::size_t at = old.find(",\"household\":\"\"");
  REQUIRE(at != std::string::npos);
  old.erase(at, std::string(",\"household\":\"\"").size());
  REQUIRE(old.find("household") == std::string::npos);
  const auto older = cases::appeal_from_json(old, error);
  REQUIRE(older);
  CHECK(older->household.empty());
  CHECK(older->why == a.why);

  std::string bad = cases::to_json(a, cases::Detail::stored);
  bad.replace(bad.find("\"smith\""), 7, "7");
  CHECK_FALSE(cases::appeal_from_json(bad, error));
  CHECK(error == "household is not a string");
}

TEST_CASE("appeals are listed by household", "[cases][store]") {
  Scratch scratch;
  std::string warning;
  cases::EmbeddedCaseStore store(scratch.dir.string(), warning);
  for (const char* id : {"A1", "A2", "A3"}) {
    cases::Appeal a = appeal(id);
    a.household = std::string(id) == "A2" ? "jones" : std::string(id) == "A3" ? "smith" : "";
    run(store.add_appeal(a));
  }
  using Which = cases::AppealQuery::Which;
  const auto smith = run(store.appeals({.which = Which::all, .household = "smith"}));
  REQUIRE(smith.size() == 1);
  CHECK(smith.front().id == "A3");
  CHECK(run(store.appeals({.which = Which::all, .household = "jones"})).front().id == "A2");
  CHECK(run(store.appeals({.which = Which::all, .household = "brown"})).empty());
  CHECK(run(store.appeals({.which = Which::all})).size() == 3);
  cases::EmbeddedCaseStore again(scratch.dir.string(), warning);
  CHECK(run(again.appeal("A3"))->household == "smith");
}

TEST_CASE("the embedded store keeps cases across a restart", "[cases][store]") {
  Scratch scratch;
  std::string warning;
  {
    cases::EmbeddedCaseStore store(scratch.dir.string(), warning);
    CHECK(warning.empty());
    run(store.add_appeal(appeal("A1")));
    CHECK_THROWS_AS(run(store.add_appeal(appeal("A1"))), cases::CaseConflict);
    run(store.add_request(request("R1")));
  }
  struct stat st {};
  REQUIRE(::stat(scratch.path("cases.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // people's contact details
  cases::EmbeddedCaseStore again(scratch.dir.string(), warning);
  const std::optional<cases::Appeal> found = run(again.appeal("A1"));
  REQUIRE(found);
  CHECK(found->contact == "me@example.org");
  CHECK(run(again.request("R1")).has_value());
  CHECK_FALSE(run(again.appeal("A2")).has_value());
}

TEST_CASE("a case store file that does not read is kept aside, not lost", "[cases][store]") {
  Scratch scratch;
  std::ofstream(scratch.path("cases.json")) << "{\"appeals\": [{\"id\": 3}]}";
  std::string warning;
  cases::EmbeddedCaseStore store(scratch.dir.string(), warning);
  CHECK(warning.find("moved to") != std::string::npos);
  CHECK(run(store.appeals({})).empty());
  bool kept = false;
  for (const auto& entry : std::filesystem::directory_iterator(scratch.dir))
    kept |= entry.path().filename().string().starts_with("cases.json.unreadable-");
  CHECK(kept);
}

TEST_CASE("closing an appeal and answering a request put overrides in force", "[cases][store]") {
  Scratch scratch;
  std::string warning;
  cases::EmbeddedCaseStore store(scratch.dir.string(), warning);
  std::shared_ptr<const shelter::policy::Overrides> latest;
  int calls = 0;
  store.start([&](std::shared_ptr<const shelter::policy::Overrides> o) {
    latest = std::move(o);
    ++calls;
  });
  CHECK(calls == 1);  // told at once what is in force
  run(store.add_appeal(appeal("A1")));
  cases::Appeal decided =
      cases::decide_appeal(appeal("A1"), cases::Outcome::overturn, "wrong", "ops", kNow);
  run(store.close_appeal(
      decided, cases::OperatorAllow{.site = "games.example", .appeal = "A1", .since = kNow}));
  CHECK(calls == 2);
  CHECK(latest->operator_allow.covers_domain("www.games.example"));
  CHECK_THROWS_AS(run(store.close_appeal(decided, std::nullopt)), cases::CaseConflict);
  CHECK(run(store.appeals({})).empty());  // no open appeal left
  CHECK(run(store.appeals({.which = cases::AppealQuery::Which::closed})).size() == 1);

  // Two presses of "Ask my parent" make one request.
  const cases::AccessRequest first = run(store.add_request(request("R1")));
  const cases::AccessRequest second = run(store.add_request(request("R2")));
  CHECK(second.id == "R1");
  CHECK(run(store.requests({})).size() == 1);
  const auto utc = shelter::policy::TimeZone::utc();
  const cases::AccessRequest allowed =
      cases::answer_request(first, cases::Answer::minutes_15, "mum", std::time(nullptr), utc);
  run(store.answer_request(allowed, cases::grant_of(allowed)));
  const auto* grants = latest->grants_for("smith", "tablet");
  REQUIRE(grants != nullptr);
  CHECK(grants->until_for("games.example", std::time(nullptr)) == allowed.until);
  CHECK_THROWS_AS(run(store.answer_request(allowed, std::nullopt)), cases::CaseConflict);
  CHECK(run(store.requests({.which = cases::RequestQuery::Which::answered, .household = "smith"}))
            .size() == 1);
  CHECK(run(store.requests({.which = cases::RequestQuery::Which::all, .household = "jones"}))
            .empty());
}

TEST_CASE("retention: contacts erased, grants dropped, old cases deleted", "[cases][store]") {
  std::string warning;
  cases::EmbeddedCaseStore store("", warning);  // memory only
  CHECK(warning.find("memory only") != std::string::npos);
  std::shared_ptr<const shelter::policy::Overrides> latest;
  store.start([&](auto o) { latest = std::move(o); });
  // Grants are judged against the clock when overrides are built: work from now.
  const std::int64_t now = std::time(nullptr);
  run(store.add_appeal(appeal("A1")));
  run(store.close_appeal(
      cases::decide_appeal(appeal("A1"), cases::Outcome::uphold, "right", "ops", kNow),
      std::nullopt));
  cases::AccessRequest r1 = request("R1");
  cases::AccessRequest r2 = request("R2", "other.example");
  r1.created = r2.created = now;
  run(store.add_request(r1));
  run(store.add_request(r2));
  const auto utc = shelter::policy::TimeZone::utc();
  const cases::AccessRequest allowed =
      cases::answer_request(r2, cases::Answer::minutes_15, "mum", now, utc);
  run(store.answer_request(allowed, cases::grant_of(allowed)));
  REQUIRE(latest->grants_for("smith", "tablet") != nullptr);

  const cases::Retention retention{};
  run(store.expire(now + 3600, retention));  // the grant ended
  CHECK(latest->grants.empty());
  CHECK(run(store.appeal("A1"))->contact == "me@example.org");
  CHECK(run(store.request("R1"))->status == cases::RequestStatus::waiting);
  run(store.expire(now + retention.contact_after_close, retention));
  CHECK(run(store.appeal("A1"))->contact.empty());
  REQUIRE(run(store.request("R1")).has_value());
  CHECK(run(store.request("R1"))->status == cases::RequestStatus::expired);
  run(store.expire(now + retention.closed_appeal, retention));
  CHECK_FALSE(run(store.appeal("A1")).has_value());
  CHECK_FALSE(run(store.request("R2")).has_value());
}

TEST_CASE("a referral carries what an authority asks for, and a program delivers it",
          "[cases][referral]") {
  Scratch scratch;
  cases::Appeal a = appeal("A1", true);
  const std::string record = cases::referral_json(a, "Example ISP");
  CHECK(record.find("\"url\":\"https://games.example/play\"") != std::string::npos);
  CHECK(record.find("\"operator\":\"Example ISP\"") != std::string::npos);
  CHECK(record.find("\"received\":\"2026-12-01T00:00:00Z\"") != std::string::npos);
  CHECK(record.find("\\\"games\\\"") != std::string::npos);

  shelter::proxy::config::CasesConfig config;
  cases::Referral none = cases::deliver_referral(a, config, "Example ISP", kNow);
  CHECK_FALSE(none.delivered);
  config.referral_command = {"/bin/sh", "-c", "cat > " + scratch.path("referral.json")};
  cases::Referral sent = cases::deliver_referral(a, config, "Example ISP", kNow);
  CHECK(sent.delivered);
  CHECK(read(scratch.path("referral.json")) == record + "\n");
  config.referral_command = {"/bin/sh", "-c", "cat >/dev/null; exit 3"};
  cases::Referral failed = cases::deliver_referral(a, config, "Example ISP", kNow);
  CHECK_FALSE(failed.delivered);
  CHECK(failed.detail.find("exited 3") != std::string::npos);
}

TEST_CASE("a webhook receives the referral as JSON", "[cases][referral]") {
  // A one-shot HTTP server on 127.0.0.1: reads one request, answers `status`.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  const std::string port = std::to_string(ntohs(address.sin_port));
  std::string received;
  auto serve_once = [&](std::string answer) {
    return std::thread([&, answer] {
      const int connection = ::accept(listener, nullptr, nullptr);
      if (connection < 0) return;
      char buffer[8192];
      ssize_t n = 0;
      received.clear();
      // Head and body arrive in one or two segments; read until the JSON closes.
      while (received.find("}") == std::string::npos &&
             (n = ::read(connection, buffer, sizeof buffer)) > 0) {
        received.append(buffer, static_cast<std::size_t>(n));
      }
      (void)!::write(connection, answer.data(), answer.size());
      ::close(connection);
    });
  };
  shelter::proxy::config::CasesConfig config;
  config.referral_webhook = "http://127.0.0.1:" + port + "/referrals";
  const cases::Appeal a = appeal("A1", true);

  std::thread server = serve_once("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
  const cases::Referral sent = cases::deliver_referral(a, config, "Example ISP", kNow);
  server.join();
  CHECK(sent.delivered);
  CHECK(received.starts_with("POST /referrals HTTP/1.1\r\n"));
  CHECK(received.find("Content-Type: application/json") != std::string::npos);
  CHECK(received.find(cases::referral_json(a, "Example ISP")) != std::string::npos);

  server = serve_once("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
  const cases::Referral refused = cases::deliver_referral(a, config, "Example ISP", kNow);
  server.join();
  CHECK_FALSE(refused.delivered);
  CHECK(refused.detail.find("answered 500") != std::string::npos);
  ::close(listener);
}

TEST_CASE("the workflow's metrics", "[cases][metrics]") {
  std::vector<cases::Appeal> appeals{appeal("A1"), appeal("A2", true), appeal("A3")};
  appeals[1].created = kNow - 2 * 86400;
  appeals[2] = cases::decide_appeal(appeals[2], cases::Outcome::overturn, "x", "ops", kNow + 100);
  std::vector<cases::AccessRequest> requests{request("R1")};
  const std::string text = cases::render_case_metrics(appeals, requests, kNow + 200);
  CHECK(text.find("shelter_appeals_open{route=\"operator\",age=\"under-1d\"} 1") !=
        std::string::npos);
  CHECK(text.find("shelter_appeals_open{route=\"authority\",age=\"1d-3d\"} 1") !=
        std::string::npos);
  CHECK(text.find("shelter_appeals{status=\"overturned\"} 1") != std::string::npos);
  CHECK(text.find("shelter_appeal_decision_seconds{quantile=\"0.5\"} 100") != std::string::npos);
  CHECK(text.find("shelter_access_requests{status=\"waiting\"} 1") != std::string::npos);
}
