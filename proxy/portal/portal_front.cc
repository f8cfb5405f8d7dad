#include "proxy/portal/portal_front.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>

#include "proxy/admin/admin_api.h"
#include "proxy/cases/rules.h"
#include "proxy/clock.h"
#include "proxy/http/cookies.h"
#include "proxy/http/form.h"
#include "proxy/log.h"
#include "proxy/portal/access_code.h"
#include "proxy/portal/password.h"
#include "proxy/portal/portal_pages.h"
#include "proxy/portal/portal_settings.h"
#include "proxy/portal/session.h"
#include "proxy/web/case_pages.h"
#include "proxy/web/csrf.h"

namespace shelter::proxy::portal {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kSignInForm = "portal-sign-in";
constexpr std::int64_t kFormLifetime = 3600;  // a sign-in form left open for an hour still works
constexpr std::size_t kMinPassword = 10;
constexpr std::size_t kAppealsShown = 20;  // the household's newest reports of wrong blocking
// Verified when a household has no password or does not exist, so that the time a sign-in
// takes does not tell which households exist (a hash of a random password at the default cost).
const std::string& decoy_hash() {
  static const std::string kDecoy = hash_password("decoy password never used for an account");
  return kDecoy;
}

http::Response redirect(std::string location) {
  http::Response r;
  r.status = 303;
  r.set("Location", std::move(location));
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

// Fetch Metadata and Origin: a form of ours posts same-origin; another site's page cannot.
// Browsers send "Origin: null" for our own forms too (the pages' no-referrer policy), so a
// null origin decides nothing: Sec-Fetch-Site, then the session's CSRF token, do.
bool cross_site(const http::Request& request) {
  if (const auto site = request.header("sec-fetch-site")) {
    return *site != "same-origin" && *site != "none";
  }
  const std::optional<std::string_view> origin = request.header("origin");
  if (!origin || *origin == "null") return false;
  const std::size_t scheme = origin->find("://");
  if (scheme == std::string_view::npos) return true;
  auto lower = [](std::string_view text) {
    std::string out(text);
    for (char& c : out)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  return lower(origin->substr(scheme + 3)) != lower(request.header("host").value_or(""));
}

std::string field(const http::Form& form, std::string_view name) {
  return std::string(form.get(name).value_or(""));
}

bool valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// "0.4": seconds with one decimal, for "active everywhere after 0.4 s".
std::string seconds_text(std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", s < 0.1 ? 0.1 : s);
  return text;
}

std::optional<Notice> notice_of(const http::Request& request) {
  http::FormResult query = http::parse_form(request.query());
  if (!query.form) return std::nullopt;
  const std::string key(query.form->get("notice").value_or(""));
  static const std::vector<std::string_view> kKnown = {
      "saved",    "saved-pending", "paused",       "resumed",
      "answered", "signed-out",    "password-set", "dismissed"};
  if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) return std::nullopt;
  Notice notice;
  notice.key = key;
  // Only numbers are carried over from the address: nothing else is reflected.
  auto number = [&](std::string_view name, std::string_view fallback) {
    const std::string v(query.form->get(name).value_or(""));
    const bool ok = !v.empty() && v.size() <= 6 && std::all_of(v.begin(), v.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    return ok ? v : std::string(fallback);
  };
  notice.values["seconds"] = number("s", "1");
  notice.values["applied"] = number("a", "?");
  notice.values["nodes"] = number("n", "?");
  return notice;
}

}  // namespace

// What a page is written with: the pages in force, the reader's language, the settings. Made
// once per request by handle() and lent to the handler it calls.
struct Wording {
  Wording(const PortalDeps& deps, const http::Request& request)
      : pages(deps.pages()),
        runtime(deps.runtime.current()),
        texts(*pages, pages->choose(request.header("accept-language").value_or("")),
              runtime->config->web, &runtime->query_log) {}
  std::shared_ptr<const web::Pages> pages;
  std::shared_ptr<const server::Runtime> runtime;
  web::Texts texts;
};

namespace {

http::Response html(unsigned status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A short page saying what went wrong (portal.message.<what>-title and <what>): unavailable,
// not-found, refused (CSRF, cross-site), invalid (a choice the page does not offer), expired.
http::Response problem(unsigned status, std::string_view what, const Wording& w) {
  const std::string key = "portal.message." + std::string(what);
  return html(status, portal_message_page(key + "-title", key, w.texts));
}

}  // namespace

struct PortalFront::Session {
  portal::Session token;
  Account account;
};

std::shared_ptr<asio::ssl::context> portal_tls_context(const config::PortalConfig& settings) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  try {
    context->use_certificate_chain_file(settings.certificate);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("portal.certificate " + settings.certificate +
                             " does not load: " + e.code().message());
  }
  try {
    context->use_private_key_file(settings.key, asio::ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("portal.key " + settings.key + " does not load (or does not match " +
                             "the certificate): " + e.code().message());
  }
  return context;
}

PortalFront::PortalFront(asio::io_context& io, const config::PortalConfig& settings,
                         PortalDeps deps)
    : settings_(settings),
      deps_(std::move(deps)),
      https_(!settings.certificate.empty()),
      throttle_(ThrottleSettings{.per_address = settings.sign_in_rate}) {
  std::shared_ptr<asio::ssl::context> tls;
  if (https_) tls = portal_tls_context(settings);
  (void)decoy_hash();  // computed once now, not during someone's first sign-in
  http::ServerLimits limits;
  limits.max_connections_per_client = 32;
  for (const net::Endpoint& endpoint : settings.listen) {
    servers_.push_back(std::make_unique<http::Server>(
        io, endpoint, limits, [this](const http::Request& r) { return handle(r); }, "portal", tls));
  }
}

PortalFront::~PortalFront() {
  stop();
  hashing_.join();
}

std::vector<net::Endpoint> PortalFront::local_endpoints() const {
  std::vector<net::Endpoint> out;
  for (const auto& s : servers_)
    out.push_back(s->local_endpoint());
  return out;
}

void PortalFront::stop() {
  for (auto& s : servers_)
    s->close();
}

std::string PortalFront::cookie_name() const {
  // __Host-: the browser keeps it to this host, path /, and HTTPS only.
  return https_ ? "__Host-shelter-portal" : "shelter-portal";
}

namespace {

// The hashing itself, as plain coroutines spawned on the hashing thread (a capturing lambda
// coroutine would keep its captures in the lambda, which GCC 12 destroys too early).
asio::awaitable<bool> verify_hash(std::string password, std::string hash) {
  co_return verify_password(password, hash) == PasswordCheck::match;
}

asio::awaitable<std::string> make_hash(std::string password) {
  co_return hash_password(password);
}

}  // namespace

asio::awaitable<bool> PortalFront::password_matches(std::string password, std::string hash) {
  co_return co_await asio::co_spawn(hashing_, verify_hash(std::move(password), std::move(hash)),
                                    asio::use_awaitable);
}

asio::awaitable<std::string> PortalFront::new_password_hash(std::string password) {
  co_return co_await asio::co_spawn(hashing_, make_hash(std::move(password)), asio::use_awaitable);
}

http::Response PortalFront::signed_in(const Account& account, std::string_view notice) {
  const std::int64_t lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(settings_.session_lifetime).count();
  // A sign-out revokes up to the next second: a session made within it counts from then.
  const std::int64_t issued = std::max(clock::now(), account.sessions_valid_after);
  http::SetCookie cookie{.name = cookie_name(),
                         .value = issue_session(*deps_.keys, account.household, issued, lifetime),
                         .max_age = lifetime,
                         .secure = https_,
                         .http_only = true,
                         .same_site = http::SameSite::strict};
  http::Response r = redirect(notice.empty() ? "/" : "/?notice=" + std::string(notice));
  r.set("Set-Cookie", http::set_cookie_value(cookie));
  return r;
}

asio::awaitable<std::optional<PortalFront::Session>> PortalFront::session_of(
    const http::Request& request) {
  const std::string_view cookies = request.header("cookie").value_or("");
  const std::optional<std::string_view> token = http::find_cookie(cookies, cookie_name());
  if (!token) co_return std::nullopt;
  std::optional<portal::Session> session = read_session(*deps_.keys, *token, clock::now());
  if (!session) co_return std::nullopt;
  std::optional<Account> account = co_await deps_.accounts->get(session->household);
  if (!account || revoked(*session, account->sessions_valid_after)) co_return std::nullopt;
  co_return Session{std::move(*session), std::move(*account)};
}

asio::awaitable<http::Response> PortalFront::handle(const http::Request& request) {
  const Wording w(deps_, request);
  const std::string_view path = request.path();
  const bool post = request.method == "POST";
  std::optional<http::Response> answer;
  if (request.method != "GET" && request.method != "HEAD" && !post) {
    answer = problem(405, "invalid", w);
    answer->set("Allow", "GET, POST");
  } else if (post && cross_site(request)) {
    answer = problem(403, "refused", w);
  }
  try {
    if (answer) {
      // answered above
    } else if (path == "/sign-in") {
      answer = co_await sign_in(request, post, w);
    } else if (path == "/first-access") {
      answer = co_await first_access(request, post, w);
    } else if (std::optional<Session> session = co_await session_of(request); !session) {
      answer = redirect("/sign-in");
    } else if (path == "/" && !post) {
      answer = co_await home(request, *session, w);
    } else if (path == "/settings" && !post) {
      answer = co_await settings(request, *session, w);
    } else if (path == "/settings") {
      answer = co_await save_settings(request, *session, w);
    } else if (post && (path == "/profile" || path == "/pause")) {
      answer = co_await change(request, *session, w);
    } else if (post && path == "/answer") {
      answer = co_await this->answer(request, *session, w);
    } else if (post && path == "/new-device") {
      answer = co_await new_device(request, *session, w);
    } else if (post && path == "/sign-out") {
      answer = co_await sign_out(request, *session, w);
    } else {
      answer = problem(404, "not-found", w);
    }
  } catch (const AccountStoreUnavailable& e) {
    log_warn(std::string("portal: ") + e.what());
  } catch (const profiles::HouseholdStoreUnavailable& e) {
    log_warn(std::string("portal: ") + e.what());
  } catch (const cases::StoreUnavailable& e) {
    log_warn(std::string("portal: ") + e.what());
  }
  if (!answer) answer = problem(503, "unavailable", w);
  answer->set("Content-Security-Policy", portal_csp(*w.pages));
  if (https_) answer->set("Strict-Transport-Security", "max-age=31536000");
  co_return std::move(*answer);
}

asio::awaitable<http::Response> PortalFront::sign_in(const http::Request& request, bool post,
                                                     const Wording& w) {
  const std::int64_t now = clock::now();
  SignInView view;
  view.csrf = web::csrf_token(*deps_.keys, kSignInForm, request.client, now);
  view.notice = notice_of(request);
  auto answer = [&](unsigned status) {
    http::Response r;
    r.status = status;
    r.body = sign_in_page(view, w.texts);
    return r;
  };
  if (!post) co_return answer(200);
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form) co_return answer(400);
  const http::Form& form = *parsed.form;
  view.household = field(form, "household").substr(0, 64);
  if (!web::csrf_valid(*deps_.keys, field(form, "csrf"), kSignInForm, request.client, now,
                       kFormLifetime)) {
    view.error_key = "csrf";
    co_return answer(403);
  }
  const http::Admission admitted = throttle_.check(view.household, request.client, clock::now_ms());
  if (!admitted.allowed) {
    view.error_key = "throttled";
    http::Response r = answer(429);
    r.set("Retry-After", std::to_string(admitted.retry_after_seconds));
    co_return r;
  }
  std::optional<Account> account;
  if (valid_name(view.household)) account = co_await deps_.accounts->get(view.household);
  const bool usable = account && !account->password_hash.empty();
  const bool match = co_await password_matches(field(form, "password"),
                                               usable ? account->password_hash : decoy_hash());
  if (!usable || !match) {
    throttle_.failed(view.household, clock::now_ms());
    view.error_key = "sign-in-failed";
    co_return answer(401);
  }
  throttle_.succeeded(view.household);
  if (needs_rehash(account->password_hash)) {
    account->password_hash = co_await new_password_hash(field(form, "password"));
    co_await deps_.accounts->put(*account);
  }
  co_return signed_in(*account, "");
}

asio::awaitable<http::Response> PortalFront::first_access(const http::Request& request, bool post,
                                                          const Wording& w) {
  const std::int64_t now = clock::now();
  FirstAccessView view;
  view.csrf = web::csrf_token(*deps_.keys, kSignInForm, request.client, now);
  auto answer = [&](unsigned status) {
    http::Response r;
    r.status = status;
    r.body = first_access_page(view, w.texts);
    return r;
  };
  if (!post) co_return answer(200);
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form) co_return answer(400);
  const http::Form& form = *parsed.form;
  view.household = field(form, "household").substr(0, 64);
  if (!web::csrf_valid(*deps_.keys, field(form, "csrf"), kSignInForm, request.client, now,
                       kFormLifetime)) {
    view.error_key = "csrf";
    co_return answer(403);
  }
  const std::string password = field(form, "password");
  if (password.size() < kMinPassword || password.size() > kMaxPasswordBytes) {
    view.error_key = "password-short";
    co_return answer(400);
  }
  if (password != field(form, "password2")) {
    view.error_key = "password-mismatch";
    co_return answer(400);
  }
  const http::Admission admitted = throttle_.check(view.household, request.client, clock::now_ms());
  if (!admitted.allowed) {
    view.error_key = "throttled";
    http::Response r = answer(429);
    r.set("Retry-After", std::to_string(admitted.retry_after_seconds));
    co_return r;
  }
  std::optional<Account> account;
  if (valid_name(view.household)) account = co_await deps_.accounts->get(view.household);
  const bool valid = account && !account->access_code_digest.empty() &&
                     now < account->access_code_expires &&
                     access_code_matches(field(form, "code"), account->access_code_digest);
  if (!valid) {
    throttle_.failed(view.household, clock::now_ms());
    view.error_key = "code-failed";
    co_return answer(401);
  }
  throttle_.succeeded(view.household);
  // One use: the code goes, and every older session with it.
  account->password_hash = co_await new_password_hash(password);
  account->access_code_digest.clear();
  account->access_code_expires = 0;
  account->sessions_valid_after = now;
  co_await deps_.accounts->put(*account);
  if (deps_.audit) {
    admin::AuditEntry entry{.at = now,
                            .who = "portal:" + account->household,
                            .action = "account.password",
                            .target = account->household,
                            .detail = "first access"};
    co_await deps_.audit->record(std::move(entry));
  }
  co_return signed_in(*account, "password-set");
}

asio::awaitable<http::Response> PortalFront::home(const http::Request& request, const Session& s,
                                                  const Wording& w) {
  const std::string& id = s.token.household;
  std::optional<config::HouseholdConfig> household = co_await deps_.households->get(id);
  HomeView view;
  view.household = id;
  view.now = clock::now();
  view.notice = notice_of(request);
  if (household) {
    view.profile = household->profile;
    view.paused_until = household->paused_until;
    for (const config::DeviceConfig& d : household->devices) {
      DeviceView device{.id = d.id, .profile = d.profile, .paused_until = d.paused_until};
      for (const policy::MacAddress& mac : d.macs)
        device.macs.push_back(policy::format_mac(mac));
      for (const policy::Cidr& prefix : d.addresses)
        device.addresses.push_back(prefix.to_string());
      view.devices.push_back(std::move(device));
    }
    for (const config::ProfileConfig& own : household->profiles) {
      view.profiles.push_back(own.name);
      view.own_bases[own.name] = own.base;
    }
  }
  if (view.profile.empty()) view.profile = w.runtime->profiles->default_profile().name;
  for (const config::ProfileConfig& preset : config::presets().profiles)
    view.profiles.push_back(preset.name);
  for (const config::ProfileConfig& p : w.runtime->config->profiles)
    view.profiles.push_back(p.name);
  if (deps_.cases) {
    cases::RequestQuery query;
    query.household = id;
    for (const cases::AccessRequest& r : co_await deps_.cases->requests(query)) {
      view.requests.push_back(
          RequestView{.id = r.id, .device = r.device, .site = r.site, .created = r.created});
    }
  }
  if (deps_.cases) view.appeals = co_await household_appeals(id, *w.runtime);
  view.activity = co_await activity_of(household ? &*household : nullptr, id);
  for (const char* form : {"profile", "pause", "answer", "sign-out", "new-device"})
    view.csrf[form] = session_csrf(*deps_.keys, s.token, form);
  http::Response r;
  r.body = home_page(view, w.texts);
  co_return r;
}

// The household's own reports of wrong blocking, newest first, as the page shows them: a legal
// list's without its site or URL, a referred one with the authority that keeps the list.
asio::awaitable<std::vector<AppealView>> PortalFront::household_appeals(
    std::string household, const server::Runtime& runtime) {
  cases::AppealQuery query{.which = cases::AppealQuery::Which::all,
                           .household = std::move(household),
                           .limit = kAppealsShown};
  std::vector<AppealView> out;
  for (const cases::Appeal& a : co_await deps_.cases->appeals(std::move(query))) {
    AppealView view{.site = a.legal ? std::string() : a.site,
                    .created = a.created,
                    .status = std::string(cases::status_name(a.status)),
                    .decision_reason = a.decision_reason};
    for (const blocklist::ListInfo& list : runtime.lists->snapshot->lists()) {
      if (a.legal && list.id == a.list) view.authority = list.authority;
    }
    out.push_back(std::move(view));
  }
  co_return out;
}

asio::awaitable<http::Response> PortalFront::change(const http::Request& request, const Session& s,
                                                    const Wording& w) {
  const auto started = std::chrono::steady_clock::now();
  const bool pause = request.path() == "/pause";
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form) co_return problem(400, "invalid", w);
  const http::Form& form = *parsed.form;
  if (!session_csrf_valid(*deps_.keys, field(form, "csrf"), s.token, pause ? "pause" : "profile")) {
    co_return problem(403, "refused", w);
  }
  const std::string device = field(form, "device");
  const std::string profile = field(form, "profile");
  const std::string span = field(form, "for");
  const std::int64_t now = clock::now();
  const std::shared_ptr<const server::Runtime>& runtime = w.runtime;
  std::int64_t until = 0;
  if (pause) {
    if (span == "15m") {
      until = now + 15 * 60;
    } else if (span == "1h") {
      until = now + 3600;
    } else if (span == "today") {
      until = *cases::grant_end(cases::Answer::today, now, *runtime->zone_of(s.token.household));
    } else if (span != "resume") {
      co_return problem(400, "invalid", w);
    }
  }
  profiles::HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
    if (!h) throw profiles::HouseholdRejected({"this household is not set up yet"});
    std::int64_t* paused_until = &h->paused_until;
    std::string* chosen = &h->profile;
    if (!device.empty()) {
      auto it = std::find_if(h->devices.begin(), h->devices.end(),
                             [&](const config::DeviceConfig& d) { return d.id == device; });
      if (it == h->devices.end()) throw profiles::HouseholdRejected({"no such device"});
      paused_until = &it->paused_until;
      chosen = &it->profile;
    }
    if (pause) {
      *paused_until = until;
    } else {
      *chosen = profile;
    }
    return h;
  };
  profiles::EditOutcome outcome;
  try {
    outcome =
        co_await deps_.households->edit(s.token.household, std::move(edit), runtime->profiles);
  } catch (const profiles::HouseholdRejected& e) {
    log_info(std::string("portal: a change was refused: ") + e.what());
    co_return problem(400, "invalid", w);
  }
  if (deps_.audit) {
    admin::AuditEntry entry{
        .at = now,
        .who = "portal:" + s.token.household,
        .action = pause ? "device.pause" : "device.profile",
        .target = device.empty() ? s.token.household : s.token.household + "/" + device,
        .detail = pause ? span : profile};
    co_await deps_.audit->record(std::move(entry));
  }
  if (pause) co_return redirect(span == "resume" ? "/?notice=resumed" : "/?notice=paused");
  co_return co_await saved(started, outcome.version);
}

// "Saved. Active everywhere after 0.4 s": from the parent's press to the moment every node
// filters with the change (a fleet's nodes report the version they applied), or how many have
// after a second.
asio::awaitable<http::Response> PortalFront::saved(std::chrono::steady_clock::time_point started,
                                                   std::uint64_t version) {
  const profiles::InForce reach =
      co_await deps_.households->wait_in_force(version, std::chrono::seconds(1));
  if (reach.everywhere()) {
    co_return redirect("/?notice=saved&s=" +
                       seconds_text(std::chrono::steady_clock::now() - started));
  }
  co_return redirect("/?notice=saved-pending&a=" + std::to_string(reach.applied) +
                     "&n=" + std::to_string(reach.nodes));
}

namespace {

// The settings form of one device ("" = the household), as `input` fills it.
SettingsView settings_view(const config::HouseholdConfig& household, std::string device,
                           SettingsInput input, const server::Runtime& runtime) {
  SettingsView view;
  view.household = household.id;
  view.device = std::move(device);
  view.bands = band_choices(runtime.config->profiles, input.band);
  view.input = std::move(input);
  view.time_zone =
      household.time_zone.empty() ? runtime.config->subscribers.time_zone : household.time_zone;
  return view;
}

http::Response settings_response(unsigned status, const SettingsView& view, const Wording& w) {
  return html(status, settings_page(view, w.texts));
}

}  // namespace

asio::awaitable<http::Response> PortalFront::settings(const http::Request& request,
                                                      const Session& s, const Wording& w) {
  http::FormResult query = http::parse_form(request.query());
  const std::string device = query.form ? field(*query.form, "device") : std::string();
  std::string id = s.token.household;
  std::optional<config::HouseholdConfig> household = co_await deps_.households->get(std::move(id));
  const std::string& fallback = w.runtime->profiles->default_profile().name;
  std::optional<std::string> current;
  if (household) current = current_profile(*household, device, fallback);
  if (!current) co_return problem(404, "not-found", w);
  const ProfileSources sources{.household = &household->profiles,
                               .operator_profiles = &w.runtime->config->profiles};
  SettingsView view = settings_view(*household, device, settings_of(*current, sources), *w.runtime);
  view.csrf = session_csrf(*deps_.keys, s.token, "settings");
  co_return settings_response(200, view, w);
}

asio::awaitable<http::Response> PortalFront::save_settings(const http::Request& request,
                                                           const Session& s, const Wording& w) {
  const auto started = std::chrono::steady_clock::now();
  // Two lists of up to 50 sites or pages each, and a box per category.
  const http::FormLimits limits{.max_fields = 64, .max_name_bytes = 64, .max_value_bytes = 32768};
  http::FormResult parsed = http::parse_form(request.body, limits);
  if (!parsed.form) co_return problem(400, "invalid", w);
  const http::Form& form = *parsed.form;
  if (!session_csrf_valid(*deps_.keys, field(form, "csrf"), s.token, "settings")) {
    co_return problem(403, "refused", w);
  }
  const std::string device = field(form, "device");
  const std::optional<SettingsInput> input = read_settings_form(form);
  if (!input) co_return problem(400, "invalid", w);
  const std::shared_ptr<const server::Runtime>& runtime = w.runtime;
  const std::string fallback = runtime->profiles->default_profile().name;
  // Set by the edit, which the store may run more than once: the last run is what counts.
  SettingsChange change;
  std::optional<config::HouseholdConfig> shown;
  profiles::HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
    if (!h) throw profiles::HouseholdRejected({"this household is not set up yet"});
    shown = h;
    change = apply_settings(*h, device, *input, runtime->config->profiles, fallback);
    if (change.refused) throw profiles::HouseholdRejected({"not a device or band of the page"});
    if (!change.errors.empty()) throw profiles::HouseholdRejected({"the settings have mistakes"});
    return h;
  };
  bool written = false;
  std::uint64_t version = 0;
  try {
    std::string id = s.token.household;
    std::shared_ptr<const profiles::ProfileBook> book = runtime->profiles;
    const profiles::EditOutcome outcome =
        co_await deps_.households->edit(std::move(id), std::move(edit), std::move(book));
    written = outcome.changed;
    version = outcome.version;
  } catch (const profiles::HouseholdRejected& e) {
    log_info(std::string("portal: settings were refused: ") + e.what());
    if (change.errors.empty() || !shown) co_return problem(400, "invalid", w);
    // The parent's input back, each mistake beside its field; nothing was written.
    SettingsView view = settings_view(*shown, device, *input, *runtime);
    view.errors = std::move(change.errors);
    view.csrf = field(form, "csrf");
    co_return settings_response(400, view, w);
  }
  if (deps_.audit && written) {
    admin::AuditEntry entry{
        .at = clock::now(),
        .who = "portal:" + s.token.household,
        .action = "device.settings",
        .target = device.empty() ? s.token.household : s.token.household + "/" + device,
        .detail = change.detail};
    co_await deps_.audit->record(std::move(entry));
  }
  co_return co_await saved(started, version);
}

asio::awaitable<http::Response> PortalFront::answer(const http::Request& request, const Session& s,
                                                    const Wording& w) {
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form) co_return problem(400, "invalid", w);
  const http::Form& form = *parsed.form;
  if (!session_csrf_valid(*deps_.keys, field(form, "csrf"), s.token, "answer")) {
    co_return problem(403, "refused", w);
  }
  const std::optional<cases::Answer> given = cases::parse_answer(field(form, "answer"));
  if (!given || !deps_.cases) co_return problem(400, "invalid", w);
  std::optional<cases::AccessRequest> found = co_await deps_.cases->request(field(form, "id"));
  // Another household's request is answered like one that does not exist.
  if (!found || found->household != s.token.household) co_return problem(404, "not-found", w);
  std::string by = "parent (portal)";
  try {
    co_await admin::answer_access_request(*deps_.cases, *w.runtime, std::move(*found), *given,
                                          std::move(by));
  } catch (const cases::RuleViolation&) {
    // Answered already (another parent, another tab): the page shows how things stand.
  } catch (const cases::CaseConflict&) {
  }
  co_return redirect("/?notice=answered");
}

asio::awaitable<http::Response> PortalFront::sign_out(const http::Request& request,
                                                      const Session& s, const Wording& w) {
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form ||
      !session_csrf_valid(*deps_.keys, field(*parsed.form, "csrf"), s.token, "sign-out")) {
    co_return problem(403, "refused", w);
  }
  Account account = s.account;
  // Every session of the household issued until now ends (whole seconds: the next one on).
  account.sessions_valid_after = clock::now() + 1;
  co_await deps_.accounts->put(account);
  http::SetCookie gone{.name = cookie_name(),
                       .value = "",
                       .max_age = 0,
                       .secure = https_,
                       .http_only = true,
                       .same_site = http::SameSite::strict};
  http::Response r = redirect("/sign-in?notice=signed-out");
  r.set("Set-Cookie", http::set_cookie_value(gone));
  co_return r;
}

// ---- "This week" and "New devices" (proxy/profiles/household_activity.h)

namespace {

bool bound_in(const config::HouseholdConfig& household, const policy::MacAddress& mac) {
  return std::any_of(household.devices.begin(), household.devices.end(),
                     [&](const config::DeviceConfig& d) {
                       return std::find(d.macs.begin(), d.macs.end(), mac) != d.macs.end();
                     });
}

}  // namespace

// The household's counts and its new devices; a MAC bound since it was seen is not listed.
// Nothing (the sections are left out) when the node keeps no activity or its store fails.
asio::awaitable<std::optional<ActivitySection>> PortalFront::activity_of(
    const config::HouseholdConfig* household, std::string id) {
  if (!deps_.activity) co_return std::nullopt;
  profiles::ActivityView read;
  try {
    read = co_await deps_.activity->read(std::move(id), clock::now());
  } catch (const std::exception& e) {
    log_warn(std::string("portal: household activity: ") + e.what());
    co_return std::nullopt;
  }
  ActivitySection section{.this_week = std::move(read.this_week),
                          .last_week = std::move(read.last_week)};
  for (const profiles::DeviceSighting& d : read.new_devices) {
    const std::optional<policy::MacAddress> mac = policy::parse_mac(d.mac);
    if (!mac || (household != nullptr && bound_in(*household, *mac))) continue;
    section.new_devices.push_back(NewDeviceView{.mac = d.mac, .first = d.first, .last = d.last});
  }
  co_return section;
}

// A new device attached to one of the household's devices, added as a device of its own, or
// dismissed. Only a MAC the household's own list shows can be bound here: another household's
// (or any other) is refused as not found.
asio::awaitable<http::Response> PortalFront::new_device(const http::Request& request,
                                                        const Session& s, const Wording& w) {
  const auto started = std::chrono::steady_clock::now();
  http::FormResult parsed = http::parse_form(request.body);
  if (!parsed.form || !deps_.activity) co_return problem(400, "invalid", w);
  const http::Form& form = *parsed.form;
  if (!session_csrf_valid(*deps_.keys, field(form, "csrf"), s.token, "new-device")) {
    co_return problem(403, "refused", w);
  }
  const std::string action = field(form, "action");
  const std::string device = action == "attach" ? field(form, "device") : field(form, "name");
  const std::optional<policy::MacAddress> mac = policy::parse_mac(field(form, "mac"));
  if (!mac || (action != "dismiss" && !valid_name(device)) ||
      (action != "attach" && action != "add" && action != "dismiss")) {
    co_return problem(400, "invalid", w);
  }
  const std::string text = policy::format_mac(*mac);
  std::string household = s.token.household;
  std::optional<ActivitySection> listed = co_await activity_of(nullptr, household);
  if (!listed || std::none_of(listed->new_devices.begin(), listed->new_devices.end(),
                              [&](const NewDeviceView& d) { return d.mac == text; })) {
    co_return problem(404, "not-found", w);
  }
  const std::int64_t now = clock::now();
  if (action == "dismiss") {
    co_await deps_.activity->settle(household, text, now);
    co_return redirect("/?notice=dismissed");
  }
  const bool attach = action == "attach";
  profiles::HouseholdEdit edit = [&](std::optional<config::HouseholdConfig> h) {
    if (!h) throw profiles::HouseholdRejected({"this household is not set up yet"});
    auto it = std::find_if(h->devices.begin(), h->devices.end(),
                           [&](const config::DeviceConfig& d) { return d.id == device; });
    if (attach == (it == h->devices.end())) {
      throw profiles::HouseholdRejected({attach ? "no such device" : "that name is taken"});
    }
    if (!attach) {
      config::DeviceConfig added;
      added.id = device;
      it = h->devices.insert(h->devices.end(), std::move(added));
    }
    if (std::find(it->macs.begin(), it->macs.end(), *mac) == it->macs.end())
      it->macs.push_back(*mac);
    return h;
  };
  profiles::EditOutcome outcome;
  try {
    std::string id = household;
    std::shared_ptr<const profiles::ProfileBook> book = w.runtime->profiles;
    outcome = co_await deps_.households->edit(std::move(id), std::move(edit), std::move(book));
  } catch (const profiles::HouseholdRejected& e) {
    log_info(std::string("portal: a new device was not bound: ") + e.what());
    co_return problem(400, "invalid", w);
  } catch (const profiles::BindingTaken& e) {
    log_info(std::string("portal: a new device was not bound: ") + e.what());
    co_return problem(409, "invalid", w);
  }
  co_await deps_.activity->settle(household, text, now);
  if (deps_.audit) {
    admin::AuditEntry entry{.at = now,
                            .who = "portal:" + s.token.household,
                            .action = attach ? "device.bind" : "device.add",
                            .target = s.token.household + "/" + device,
                            .detail = "mac " + text};
    co_await deps_.audit->record(std::move(entry));
  }
  co_return co_await saved(started, outcome.version);
}

}  // namespace shelter::proxy::portal
