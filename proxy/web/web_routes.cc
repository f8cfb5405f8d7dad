#include "proxy/web/web_routes.h"

#include <chrono>

#include "blocklist/domain_list.h"
#include "policy/decide.h"
#include "proxy/cases/rules.h"
#include "proxy/clock.h"
#include "proxy/http/form.h"
#include "proxy/json_text.h"
#include "proxy/log.h"
#include "proxy/server/requester.h"
#include "proxy/web/case_pages.h"
#include "proxy/web/csrf.h"
#include "proxy/web/decision_token.h"
#include "proxy/web/site_check.h"
#include "proxy/web/transparency_page.h"
#include "proxy/web/venue_page.h"

namespace shelter::proxy::web {
namespace {

namespace asio = boost::asio;

// Form tokens hold for an hour: long enough to write an appeal, short enough to be useless
// when copied somewhere.
constexpr std::int64_t kFormTokenLifetime = 3600;
constexpr std::string_view kAppealForm = "appeal";
constexpr std::string_view kAskForm = "ask";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         clock::test_offset.load(std::memory_order_relaxed) * 1000;
}

// A form's and a decision token's time, to the minute: the block page that carries them stays
// the same for a minute, so the page cache still serves it.
std::int64_t to_minute(std::int64_t now) {
  return now - now % 60;
}

// A decision token is issued to the minute (to_minute), so it is honoured a minute longer than
// web.token-lifetime: a link is never dead sooner than the lifetime says.
std::int64_t token_lifetime(const server::Runtime& runtime) {
  return runtime.config->web.token_lifetime.count() / 1000 + 60;
}

std::string_view reason_token_name(policy::Reason reason) {
  switch (reason) {
    case policy::Reason::paused:
      return "paused";
    case policy::Reason::schedule:
      return "schedule";
    case policy::Reason::profile_deny:
      return "profile-deny";
    case policy::Reason::bypass:
      return "bypass";
    default:
      return "list";
  }
}

std::optional<PageKind> kind_of_name(std::string_view name) {
  for (PageKind k : {PageKind::child, PageKind::teen, PageKind::general, PageKind::venue,
                     PageKind::security, PageKind::legal}) {
    if (kind_name(k) == name) return k;
  }
  return std::nullopt;
}

std::string query_value(const http::Request& request, std::string_view name) {
  http::FormResult parsed = http::parse_form(request.query());
  if (!parsed.form) return {};
  return std::string(parsed.form->get(name).value_or(""));
}

http::Response page_response(unsigned status, const PageSpec& spec, const Pages& pages,
                             const Catalog& catalog) {
  http::Response response;
  response.status = status;
  response.set("Content-Security-Policy", pages.content_security_policy());
  response.set("Content-Language", catalog.lang);
  response.set("Vary", "Accept-Language");
  response.body = render_spec(spec, pages, catalog);
  return response;
}

// What a page handler needs to write in the reader's language: the runtime and pages in
// force (kept alive here) and the catalog chosen by Accept-Language.
struct PageContext {
  std::shared_ptr<const server::Runtime> runtime;
  std::shared_ptr<const Pages> pages;
  const Catalog& catalog;
  Texts texts;

  PageContext(const http::Request& request, std::shared_ptr<const server::Runtime> r,
              std::shared_ptr<const Pages> p)
      : runtime(std::move(r)),
        pages(std::move(p)),
        catalog(pages->choose(request.header("accept-language").value_or(""))),
        texts(*pages, catalog, runtime->config->web, &runtime->query_log) {}

  http::Response page(unsigned status, const PageSpec& spec) const {
    return page_response(status, spec, *pages, catalog);
  }
};

http::Response see_other(std::string location) {
  http::Response response = http::text_response(303, "see other");
  response.set("Location", std::move(location));
  return response;
}

http::Response json_response(unsigned status, std::string body) {
  http::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

// A form post from another site is refused before its token is even read: browsers say where
// a request comes from (Fetch Metadata), and a form of ours is "same-origin".
bool cross_site(const http::Request& request) {
  const std::optional<std::string_view> site = request.header("sec-fetch-site");
  return site && *site != "same-origin" && *site != "none";
}

const blocklist::ListInfo* list_named(const blocklist::Snapshot& lists, std::string_view id) {
  for (const blocklist::ListInfo& list : lists.lists()) {
    if (list.id == id) return &list;
  }
  return nullptr;
}

// A reader on a public Wi-Fi (a profile whose audience is a venue): a report without a block's
// token is about the venue's policy, so it goes to the venue (cases/rules.h).
bool on_venue_wifi(const net::Address& client, const server::Runtime& runtime) {
  const server::Requester requester = server::requester_of(client, runtime);
  return requester.subject.profile->audience == policy::Audience::venue;
}

bool is_utf8_within(std::string_view text, std::size_t max_bytes) {
  return text.size() <= max_bytes && http::is_utf8(text);
}

}  // namespace

WebRoutes::WebRoutes(RouteContext context)
    : context_(std::move(context)),
      appeal_limiter_(context_.runtime.current()->config->web.appeal_rate),
      ask_limiter_(context_.runtime.current()->config->web.ask_rate),
      check_limiter_(context_.runtime.current()->config->web.check_rate) {}

http::Response WebRoutes::block_page(const http::Request& request, std::int64_t now) const {
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::text_response(405, "method not allowed");
    r.set("Allow", "GET, HEAD");
    return r;
  }
  const std::optional<std::string> site = blocklist::normalise_domain(request.host());
  if (!site) return http::text_response(400, "the Host header does not name a site");
  return page_for(request, *site, {}, now);
}

std::optional<http::Response> WebRoutes::proxy_page(
    const net::Address& client, std::string_view host, std::string_view path, std::int64_t now,
    const std::function<http::Request()>& request) const {
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  const server::Requester requester = server::requester_of(client, *runtime);
  const policy::Decision decision = policy::decide({.qname = host, .now = now, .path = path},
                                                   requester.subject, runtime->environment());
  // A page request is never steered (its URL decided); a cover name is an open host.
  if (decision.verdict != policy::Verdict::block) return std::nullopt;
  if (context_.page_blocks != nullptr) context_.page_blocks->add(runtime->block_slot(decision));
  return render_page(request(), host, decision, *runtime, requester.subject.profile->audience,
                     requester.household, now);
}

policy::HostVerdict WebRoutes::host_verdict(const net::Address& client, std::string_view host,
                                            std::int64_t now) const {
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  const server::Requester requester = server::requester_of(client, *runtime);
  const policy::Decision decision =
      policy::decide({.qname = host, .now = now}, requester.subject, runtime->environment());
  return policy::host_verdict(decision);
}

// The block page for a site (path empty) or a page of it, decided again for the requester.
http::Response WebRoutes::page_for(const http::Request& request, std::string_view site,
                                   std::string_view path, std::int64_t now) const {
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  const server::Requester requester = server::requester_of(request.client, *runtime);
  const policy::Decision decision = policy::decide({.qname = site, .now = now, .path = path},
                                                   requester.subject, runtime->environment());
  return render_page(request, site, decision, *runtime, requester.subject.profile->audience,
                     requester.household, now);
}

// The page for a decision made for this requester: why, and the links to appeal or ask.
http::Response WebRoutes::render_page(const http::Request& request, std::string_view site,
                                      const policy::Decision& decision,
                                      const server::Runtime& runtime, policy::Audience audience,
                                      bool household, std::int64_t now) const {
  std::shared_ptr<const Pages> pages = context_.pages();
  BlockView view = view_of(decision, std::string(site), audience, household);
  // The venue's page, for its visitors: not on a household's own pages (its settings, not the
  // venue's, blocked the site) nor on a legal block's.
  if (view.kind == PageKind::venue || view.kind == PageKind::general ||
      view.kind == PageKind::security) {
    view.venue_url = venue_page_url(*runtime.config);
  }
  if (view.kind != PageKind::not_blocked && wants_page(request) && context_.keys) {
    const std::string& appeal_url = runtime.config->blocking.appeal_url;
    const bool our_route = view.kind != PageKind::legal || view.appeal == appeal_url;
    if (!appeal_url.empty() && our_route) {
      DecisionFacts facts{.issued = to_minute(now),
                          .kind = std::string(kind_name(view.kind)),
                          .list = view.list,
                          .category = view.category,
                          .reason = std::string(reason_token_name(view.reason)),
                          .site = view.kind == PageKind::legal ? std::string() : view.site,
                          .legal = view.kind == PageKind::legal};
      const std::string key = appeal_url + '\x1f' + facts.kind + '\x1f' + facts.list + '\x1f' +
                              facts.category + '\x1f' + facts.reason + '\x1f' + facts.site;
      view.report_url = signed_once(key, [&] {
        try {
          return appeal_url + "?t=" + encode_decision(*context_.keys, facts);
        } catch (const std::invalid_argument& e) {  // a host the token cannot carry
          log_warn(std::string("block page: no report link: ") + e.what());
          return std::string();
        }
      });
    }
    if (context_.store && may_ask(view)) {
      view.ask_csrf = signed_once("csrf\x1f" + request.client.to_string(), [&] {
        return csrf_token(*context_.keys, kAskForm, request.client, to_minute(now));
      });
    }
  }
  return block_response(request, view, *pages, runtime.config->web, now, context_.cache);
}

std::string WebRoutes::signed_once(std::string key,
                                   const std::function<std::string()>& sign) const {
  const std::int64_t minute = to_minute(clock::now());
  std::lock_guard lock(memo_mutex_);
  // A new minute signs anew (the tokens carry it); the map stays small either way.
  if (minute != memo_minute_ || memo_.size() >= 4096) {
    memo_.clear();
    memo_minute_ = minute;
  }
  auto it = memo_.find(key);
  if (it == memo_.end()) it = memo_.emplace(std::move(key), sign()).first;
  return it->second;
}

bool WebRoutes::awaits(const http::Request& request) {
  return request.path() == kAskPath;
}

asio::awaitable<http::Response> WebRoutes::block_listener(const http::Request& request) {
  if (request.path() == kAskPath && context_.store) {
    if (request.method == "POST") co_return co_await ask(request);
    if (request.method == "GET" || request.method == "HEAD") co_return co_await ask_status(request);
  }
  co_return block_page(request, clock::now());
}

asio::awaitable<http::Response> WebRoutes::ask(const http::Request& request) {
  const std::int64_t now = clock::now();
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const std::shared_ptr<const server::Runtime>& runtime = page.runtime;
  const Texts& texts = page.texts;
  if (const http::Admission a = ask_limiter_.admit(request.client, now_ms()); !a.allowed) {
    co_return limited(request, a.retry_after_seconds);
  }
  http::FormResult form = http::parse_form(request.body);
  if (!form.form) co_return http::text_response(400, "bad form: " + form.error);
  if (cross_site(request) || !csrf_valid(*context_.keys, form.form->get("csrf").value_or(""),
                                         kAskForm, request.client, now, kFormTokenLifetime)) {
    co_return page.page(403, message_page("appeal.title", "appeal.error-form", texts));
  }
  const std::optional<std::string> site = blocklist::normalise_domain(request.host());
  if (!site) co_return http::text_response(400, "the Host header does not name a site");
  const server::Requester requester = server::requester_of(request.client, *runtime);
  const policy::Decision decision =
      policy::decide({.qname = *site, .now = now}, requester.subject, runtime->environment());
  const BlockView view =
      view_of(decision, *site, requester.subject.profile->audience, requester.household);
  // Nothing to ask (allowed meanwhile, or not a parental block): the page says what is so.
  if (!may_ask(view) || !requester.who) co_return see_other("/");
  cases::AccessRequest wanted{.id = cases::new_secret(),
                              .household = requester.who->household,
                              .device = requester.who->device,
                              .site = *site,
                              .created = now};
  std::optional<cases::AccessRequest> stored;
  try {
    stored = co_await context_.store->add_request(std::move(wanted));
  } catch (const std::exception& e) {
    log_warn(std::string("ask my parent: ") + e.what());
  }
  if (!stored) co_return unavailable(request);
  co_return see_other(std::string(kAskPath) + "?id=" + stored->id);
}

asio::awaitable<http::Response> WebRoutes::ask_status(const http::Request& request) {
  const std::int64_t now = clock::now();
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  const std::string id = query_value(request, "id");
  if (id.empty()) co_return block_page(request, now);
  std::optional<cases::AccessRequest> found;
  bool failed = false;
  try {
    found = co_await context_.store->request(id);
  } catch (const std::exception& e) {
    log_warn(std::string("ask my parent: ") + e.what());
    failed = true;
  }
  if (failed) co_return unavailable(request);
  // The id is a capability; it must also be asked from the household that made it.
  const server::Requester requester = server::requester_of(request.client, *runtime);
  if (!found || !requester.who || requester.who->household != found->household) {
    co_return not_found(request, "ask.not-found");
  }
  const PageContext page(request, runtime, context_.pages());
  const Texts& texts = page.texts;
  const bool child = requester.subject.profile->audience != policy::Audience::teen;
  co_return page.page(200, ask_status_page(*found, now, child, texts));
}

asio::awaitable<http::Response> WebRoutes::public_listener(const http::Request& request) {
  const std::string_view path = request.path();
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (read && (path == "/" || path == "/check")) co_return check(request, false);
  if (read && path == "/check.json") co_return check(request, true);
  if (read && path == "/blocked") co_return explained_block(request);
  if (path == "/appeal" && context_.store) {
    if (read) co_return co_await appeal_form(request);
    if (request.method == "POST") co_return co_await appeal_submit(request);
  }
  if (read && path == "/appeal/case" && context_.store) co_return co_await appeal_status(request);
  if (read && path == kVenuePath) co_return venue(request);
  if (read && (path == "/transparency" || path == "/transparency.csv") && context_.tally) {
    co_return co_await transparency(request, path.ends_with(".csv"));
  }
  if (!read && request.method != "POST") {
    http::Response r = http::text_response(405, "method not allowed");
    r.set("Allow", "GET, HEAD, POST");
    co_return r;
  }
  co_return not_found(request, "case.not-found");
}

// The transparency report for the period asked (the last 30 days by default): the page, or its
// figures as CSV. Rate limited with "check a site": it reads every case.
asio::awaitable<http::Response> WebRoutes::transparency(const http::Request& request, bool csv) {
  if (const http::Admission a = check_limiter_.admit(request.client, now_ms()); !a.allowed) {
    co_return limited(request, a.retry_after_seconds);
  }
  const std::int64_t now = clock::now();
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const std::string from = query_value(request, "from");
  const std::string to = query_value(request, "to");
  std::string error;
  const std::optional<cases::Period> period =
      cases::parse_period(from, to, cases::day_of(now), error);
  if (!period) {
    if (csv) co_return http::text_response(400, error);
    co_return page.page(400, transparency_page(from, to, nullptr, true, page.texts));
  }
  std::optional<cases::Report> report;
  try {
    report = co_await server::transparency_report(*context_.tally, context_.store.get(),
                                                  *page.runtime, *period, now);
  } catch (const cases::StoreUnavailable&) {
  }
  if (!report) co_return unavailable(request);
  if (csv) {
    http::Response response;
    response.content_type = "text/csv; charset=utf-8";
    response.body = cases::report_csv(*report);
    co_return response;
  }
  co_return page.page(200, transparency_page(from, to, &*report, false, page.texts));
}

// The venue's acceptable-use page; not found when no venue is configured. What it says is
// filtered is what the reader's own profile blocks here, as the block page decides for them.
http::Response WebRoutes::venue(const http::Request& request) const {
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const server::Runtime& runtime = *page.runtime;
  const config::Config& config = *runtime.config;
  if (config.web.venue.name.empty()) {
    PageSpec spec = message_page("venue-page.title", "venue-page.none", page.texts);
    spec.links.push_back({"/check", page.texts.plain("check.title")});
    return page.page(404, spec);
  }
  const server::Requester requester = server::requester_of(request.client, runtime);
  VenueFacts facts{.categories = filtered_categories(
                       *requester.subject.profile, runtime.category_bits, *runtime.lists->snapshot),
                   .report_url = context_.store ? config.blocking.appeal_url : config.web.contact};
  return page.page(200, venue_page(facts, page.texts));
}

http::Response WebRoutes::check(const http::Request& request, bool json) {
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  const std::string input = query_value(request, "site");
  if (!input.empty()) {
    if (const http::Admission a = check_limiter_.admit(request.client, now_ms()); !a.allowed) {
      return limited(request, a.retry_after_seconds);
    }
  }
  const policy::EntrySet* allowed = &runtime->overrides->operator_allow;
  std::optional<SiteCheck> result;
  if (!input.empty()) result = check_site(input, *runtime->lists->snapshot, allowed);
  const bool bad = !input.empty() && !result;
  const std::string& appeal_url = runtime->config->blocking.appeal_url;
  if (json) {
    if (input.empty() || bad) {
      return json_response(400, "{\"error\":\"give ?site= with a host name or URL\"}");
    }
    std::string body = "{\"site\":" + json_string(result->site) +
                       ",\"verdict\":" + json_string(verdict_name(result->verdict));
    if (result->verdict == SiteCheck::Verdict::authority) {
      body += ",\"authority\":" + json_string(result->authority) +
              ",\"appeal\":" + json_string(result->appeal);
    } else if (result->verdict == SiteCheck::Verdict::blocked ||
               result->verdict == SiteCheck::Verdict::pages) {
      body += ",\"list\":" + json_string(result->list) +
              ",\"category\":" + json_string(result->category) +
              ",\"appeal\":" + json_string(appeal_url + "?site=" + result->site);
    }
    body += "}";
    http::Response response = json_response(200, std::move(body));
    response.set("Access-Control-Allow-Origin", "*");  // public facts, for anyone's tools
    return response;
  }
  const PageContext page(request, runtime, context_.pages());
  const Texts& texts = page.texts;
  return page.page(bad ? 400 : 200, check_page(input, result, bad, appeal_url, texts));
}

asio::awaitable<http::Response> WebRoutes::appeal_form(const http::Request& request) {
  const std::int64_t now = clock::now();
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const std::shared_ptr<const server::Runtime>& runtime = page.runtime;
  const Texts& texts = page.texts;
  AppealInput input;
  std::string authority;
  bool venue = false;
  const std::string token = query_value(request, "t");
  if (!token.empty() && token.size() <= kMaxTokenBytes) {
    const std::int64_t lifetime = token_lifetime(*runtime);
    const DecodedDecision decoded = decode_decision(*context_.keys, token, now, lifetime);
    if (decoded.check == TokenCheck::ok) {
      input.token = token;
      input.url = decoded.facts.site;
      venue = decoded.facts.kind == kind_name(PageKind::venue);
      if (decoded.facts.legal) {
        if (const auto* list = list_named(*runtime->lists->snapshot, decoded.facts.list)) {
          authority = list->authority;
        }
      }
    }
  }
  if (input.token.empty()) venue = on_venue_wifi(request.client, *runtime);
  if (input.url.empty()) {
    const std::string site = query_value(request, "site");
    if (is_utf8_within(site, kMaxUrl)) input.url = site;
  }
  input.csrf = csrf_token(*context_.keys, kAppealForm, request.client, now);
  co_return page.page(200, appeal_form_page(input, {}, authority, texts, venue));
}

asio::awaitable<http::Response> WebRoutes::appeal_submit(const http::Request& request) {
  const std::int64_t now = clock::now();
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const std::shared_ptr<const server::Runtime>& runtime = page.runtime;
  const Texts& texts = page.texts;
  if (const http::Admission a = appeal_limiter_.admit(request.client, now_ms()); !a.allowed) {
    co_return limited(request, a.retry_after_seconds);
  }
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form) co_return http::text_response(400, "bad form: " + parsed.error);
  const http::Form& form = *parsed.form;
  AppealInput input{.url = std::string(form.get("url").value_or("")),
                    .reporter = std::string(form.get("reporter").value_or("")),
                    .why = std::string(form.get("why").value_or("")),
                    .contact = std::string(form.get("contact").value_or("")),
                    .token = std::string(form.get("t").value_or(""))};
  FormErrors errors;
  if (cross_site(request) || !csrf_valid(*context_.keys, form.get("csrf").value_or(""), kAppealForm,
                                         request.client, now, kFormTokenLifetime)) {
    errors["form"] = "appeal.error-form";
  }
  const std::optional<std::string> host = typed_host(input.url);
  if (!host) errors["url"] = input.url.size() > kMaxUrl ? "appeal.error-long" : "appeal.error-url";
  const std::optional<cases::Reporter> reporter = cases::parse_reporter(input.reporter);
  if (!reporter) errors["reporter"] = "appeal.error-who";
  if (input.why.find_first_not_of(" \t\r\n") == std::string::npos) {
    errors["why"] = "appeal.error-why";
  } else if (input.why.size() > kMaxWhy) {
    errors["why"] = "appeal.error-long";
  }
  if (input.contact.size() > kMaxContact) errors["contact"] = "appeal.error-long";

  // What blocks it: the block's own token when it is about this site, else the lists now.
  const blocklist::Snapshot& lists = *runtime->lists->snapshot;
  const std::int64_t lifetime = token_lifetime(*runtime);
  DecodedDecision decoded;
  if (!input.token.empty()) decoded = decode_decision(*context_.keys, input.token, now, lifetime);
  if (decoded.check != TokenCheck::ok) input.token.clear();
  cases::Appeal appeal;
  std::string authority;
  bool venue = false;
  if (decoded.check == TokenCheck::ok && host &&
      (decoded.facts.legal || decoded.facts.site == *host)) {
    appeal.list = decoded.facts.list;
    appeal.category = decoded.facts.category;
    appeal.legal = decoded.facts.legal;
    venue = decoded.facts.kind == kind_name(PageKind::venue);
  } else if (host) {
    venue = on_venue_wifi(request.client, *runtime);
    if (std::optional<SiteCheck> found =
            check_site(input.url, lists, &runtime->overrides->operator_allow)) {
      appeal.list = found->list;
      appeal.category = found->category;
      appeal.legal = found->verdict == SiteCheck::Verdict::authority;
      if (appeal.legal) authority = found->authority;
    }
  }
  if (appeal.legal && authority.empty()) {
    if (const auto* list = list_named(lists, appeal.list)) authority = list->authority;
  }
  if (!errors.empty()) {
    input.csrf = csrf_token(*context_.keys, kAppealForm, request.client, now);
    co_return page.page(400, appeal_form_page(input, errors, authority, texts, venue));
  }

  const std::string secret = cases::new_secret();
  appeal.secret_hash = cases::secret_hash(secret);
  appeal.created = now;
  appeal.site = *host;
  appeal.url = input.url;
  appeal.reporter = *reporter;
  appeal.why = input.why;
  appeal.contact = input.contact;
  // Sent from a device of a household: its parents see the appeal on the portal.
  if (const server::Requester requester = server::requester_of(request.client, *runtime);
      requester.who) {
    appeal.household = requester.who->household;
  }
  appeal.route = cases::appeal_route(appeal.legal, venue);
  if (appeal.legal) {
    // Referred from the start: the operator cannot lift a legal list's block.
    appeal.status = cases::AppealStatus::referred;
    appeal.decided = now;
    appeal.decided_by = "shelter";
    appeal.decision_reason =
        "referred to " + (authority.empty() ? "the list authority" : authority);
  }
  bool stored = false;
  for (int attempt = 0; attempt < 3 && !stored; ++attempt) {
    appeal.id = cases::new_appeal_id();
    bool conflict = false;
    try {
      co_await context_.store->add_appeal(appeal);
      stored = true;
    } catch (const cases::CaseConflict&) {
      conflict = true;  // an id drawn twice: draw again
    } catch (const std::exception& e) {
      log_warn(std::string("appeal: ") + e.what());
    }
    if (!conflict) break;
  }
  if (!stored) co_return unavailable(request);
  log_info("appeal " + appeal.id + " received (route " +
           std::string(cases::route_name(appeal.route)) + ")");
  if (appeal.legal && context_.send_referral) context_.send_referral(appeal);
  co_return see_other("/appeal/case?id=" + appeal.id + "&s=" + secret);
}

asio::awaitable<http::Response> WebRoutes::appeal_status(const http::Request& request) {
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  const std::string id = query_value(request, "id");
  const std::string secret = query_value(request, "s");
  std::optional<cases::Appeal> found;
  bool failed = false;
  if (!id.empty() && id.size() <= 16 && !secret.empty()) {
    try {
      found = co_await context_.store->appeal(id);
    } catch (const std::exception& e) {
      log_warn(std::string("appeal status: ") + e.what());
      failed = true;
    }
  }
  if (failed) co_return unavailable(request);
  if (!found || !cases::secret_matches(secret, found->secret_hash)) {
    co_return not_found(request, "case.not-found");
  }
  std::string authority;
  if (found->legal) {
    if (const auto* list = list_named(*runtime->lists->snapshot, found->list)) {
      authority = list->authority;
    }
  }
  const PageContext page(request, runtime, context_.pages());
  co_return page.page(200, appeal_status_page(*found, authority, page.texts));
}

http::Response WebRoutes::explained_block(const http::Request& request) {
  const std::int64_t now = clock::now();
  std::shared_ptr<const server::Runtime> runtime = context_.runtime.current();
  std::shared_ptr<const Pages> pages = context_.pages();
  const std::string token = query_value(request, "t");
  const std::int64_t lifetime = token_lifetime(*runtime);
  const DecodedDecision decoded = decode_decision(*context_.keys, token, now, lifetime);
  const std::optional<PageKind> kind =
      decoded.check == TokenCheck::ok ? kind_of_name(decoded.facts.kind) : std::nullopt;
  if (!kind) {
    // Tampered, expired or from another deployment: say so, never guess a reason.
    const PageContext page(request, runtime, pages);
    const Texts& texts = page.texts;
    PageSpec spec = message_page("message.token-heading", "message.token-lead", texts);
    spec.links.push_back({"/check", texts.plain("check.title")});
    if (context_.store) spec.links.push_back({"/appeal", texts.plain("appeal.title")});
    return page.page(400, spec);
  }
  BlockView view;
  view.kind = *kind;
  view.site = decoded.facts.legal ? std::string() : decoded.facts.site;
  view.category = decoded.facts.category;
  view.list = decoded.facts.list;
  if (const auto* list = list_named(*runtime->lists->snapshot, decoded.facts.list)) {
    view.authority = list->authority;
    view.appeal = list->appeal;
  }
  if (context_.store) view.report_url = "/appeal?t=" + token;
  return block_response(request, view, *pages, runtime->config->web, decoded.facts.issued);
}

http::Response WebRoutes::limited(const http::Request& request, std::int64_t retry_after) const {
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const Texts& texts = page.texts;
  http::Response response =
      page.page(429, message_page("message.busy-title", "message.rate-limited", texts));
  response.set("Retry-After", std::to_string(std::max<std::int64_t>(retry_after, 1)));
  return response;
}

http::Response WebRoutes::unavailable(const http::Request& request) const {
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const Texts& texts = page.texts;
  http::Response response =
      page.page(503, message_page("message.busy-title", "message.unavailable", texts));
  response.set("Retry-After", "60");
  return response;
}

http::Response WebRoutes::not_found(const http::Request& request, std::string_view lead_key) const {
  const PageContext page(request, context_.runtime.current(), context_.pages());
  const Texts& texts = page.texts;
  PageSpec spec = message_page("case.title", lead_key, texts);
  spec.links.push_back({"/check", texts.plain("check.title")});
  return page.page(404, spec);
}

}  // namespace shelter::proxy::web
