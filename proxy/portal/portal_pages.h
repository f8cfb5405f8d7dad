#pragma once
// The parents' portal's pages: sign in, first access, the household's home page, a device's
// settings and short messages. Pure, like proxy/web/case_pages.h: the portal's handlers gather
// the facts into the views below, these functions say them in the reader's language (a
// web::Texts) and return a whole HTML document, rendered from the portal template
// (portal.mustache) with page.css and portal.css inline. Every value of a view is escaped;
// only catalog texts are HTML.
//
// Routes and fields the pages post (every POST form carries a hidden `csrf` with its form's
// token): /sign-in {household, password}; /first-access {household, code, password,
// password2}; /profile {device ("" = the household), profile ("" = the household's)};
// /pause {device, for = 15m | 1h | today | resume}; /answer {id, answer = 15m | 1h | today |
// always | keep-blocked}; /new-device {mac, action = attach | add | dismiss, device (attach),
// name (add)}; /sign-out; /settings {device, shown-band, band, block (repeated: the
// boxes ticked), allow, deny (one site a line), safe-search = on, bedtime = on, bedtime-from,
// bedtime-to (HH:MM), bedtime-days = daily | sun-thu | the days set now}.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::proxy::web {
class Pages;
class Texts;
}  // namespace shelter::proxy::web

namespace shelter::proxy::portal {

struct DeviceView {
  std::string id{};                      // "tablet"
  std::vector<std::string> macs{};       // how it is recognised: "02:00:5e:10:00:01"
  std::vector<std::string> addresses{};  // "192.0.2.7/32"
  std::string profile{};                 // "" = the household's
  std::int64_t paused_until = 0;         // > now: paused until then (UTC seconds)
};

struct RequestView {  // a child's "ask my parent" waiting for an answer
  std::string id{};
  std::string device{};
  std::string site{};
  std::int64_t created = 0;
};

/// A report of wrong blocking ("Report a mistake") sent from one of the household's devices.
struct AppealView {
  std::string site{};  // "" for a legal list's block: its site is never shown
  std::int64_t created = 0;
  std::string status{};           // "open", "upheld", "overturned", "referred" (cases::status_name)
  std::string decision_reason{};  // shown for upheld and overturned appeals
  std::string authority{};        // referred: who keeps the list ("" = not known)
};

/// A device that joined with a private (randomised) MAC address no device is bound to.
struct NewDeviceView {
  std::string mac{};  // "02:00:5e:10:00:01"
  std::int64_t first = 0;
  std::int64_t last = 0;
};

/// "This week" and "New devices" (proxy/profiles/household_activity.h): blocks by category (a
/// list category or the household's own reason: paused, schedule, profile-deny, bypass).
struct ActivitySection {
  std::map<std::string, std::uint64_t> this_week{};
  std::map<std::string, std::uint64_t> last_week{};
  std::vector<NewDeviceView> new_devices{};
};

/// A line at the top of the page about what just happened: the catalog's `portal.notice.<key>`
/// with `values` inserted (escaped). Keys: saved {seconds}, paused, resumed, answered,
/// signed-out, password-set, dismissed. A key the catalogs lack shows nothing.
struct Notice {
  std::string key{};
  std::map<std::string, std::string> values{};
};

/// The categories the settings page offers, in its order (the vocabulary of
/// proxy/config/presets.yaml). "security" is one box for malware, phishing, botnet and
/// cryptojacking, which the presets always block or allow together.
inline constexpr std::array<std::string_view, 16> kSettingsCategories = {
    "adult",   "sex-education", "gambling",   "violence", "weapons",      "drugs",
    "alcohol", "hate",          "self-harm",  "dating",   "social-media", "chat",
    "games",   "proxy-vpn",     "doh-bypass", "security"};

/// What the settings form holds, as shown or as a parent posted it (sites and times as typed).
struct SettingsInput {
  std::string band{};        // the age band (a profile) the settings start from
  std::string shown_band{};  // the band the boxes were drawn for, carried through the form
  std::vector<std::string> blocked{};  // the boxes ticked, in kSettingsCategories' order
  std::string allow{};                 // always allowed: one site or page a line
  std::string deny{};                  // always blocked
  bool safe_search = false;
  bool bedtime = false;
  std::string bedtime_from{};  // "21:00"
  std::string bedtime_to{};
  std::string bedtime_days{};  // "daily", "sun-thu", or other days as parse_days reads them
  bool operator==(const SettingsInput&) const = default;
};

/// What is wrong with one field: the catalog's `portal.error.<key>`, `values` inserted (escaped).
struct FieldError {
  std::string key{};
  std::map<std::string, std::string> values{};
};

/// The settings page of one device, or of the whole household (`device` empty).
struct SettingsView {
  std::string household{};
  std::string device{};
  std::vector<std::string> bands{};  // the age-band choices, in order
  SettingsInput input{};
  // field ("allow", "deny", "bedtime-from", "bedtime-to") -> what is wrong with it
  std::map<std::string, FieldError> errors{};
  std::string time_zone{};  // the household's, for "times are in ..."
  std::string csrf{};       // the "settings" form's token
};

struct HomeView {
  std::string household{};
  // the household's profile name ("" never: the handler resolves the default)
  std::string profile{};
  std::int64_t paused_until = 0;  // the whole household
  std::int64_t now = 0;
  std::vector<DeviceView> devices{};
  std::vector<std::string> profiles{};  // the choices, in order
  // the household's own profiles -> their base, so that a parent's changes read as
  // "Ages 9 to 12, with your changes" rather than as a profile's name
  std::map<std::string, std::string> own_bases{};
  std::vector<RequestView> requests{};
  std::vector<AppealView> appeals{};  // newest first
  std::optional<Notice> notice{};
  // form name -> token: "profile", "pause", "answer", "sign-out", "new-device"
  std::map<std::string, std::string> csrf{};
  // null: the node keeps no household activity, the sections are not shown
  std::optional<ActivitySection> activity{};
};

/// `error_key`: "" or one of sign-in-failed, throttled, csrf (`portal.error.<key>`).
struct SignInView {
  std::string household{};
  std::string error_key{};
  std::string csrf{};
  std::optional<Notice> notice{};
};

/// `error_key`: "" or one of code-failed, password-short, password-mismatch, throttled, csrf.
struct FirstAccessView {
  std::string household{};
  std::string error_key{};
  std::string csrf{};
};

std::string sign_in_page(const SignInView&, const web::Texts&);
std::string first_access_page(const FirstAccessView&, const web::Texts&);
std::string home_page(const HomeView&, const web::Texts&);
/// "Change what is blocked": the age band, a box per category, sites always allowed and always
/// blocked, safe search and bedtime, in one form; each error next to its field and in the
/// summary at the top.
std::string settings_page(const SettingsView&, const web::Texts&);
/// A short page that says one thing, with a link back to the home page. The keys are whole
/// catalog keys, such as "portal.message.unavailable-title" and "portal.message.unavailable".
std::string portal_message_page(std::string_view title_key, std::string_view lead_key,
                                const web::Texts&);
/// The Content-Security-Policy of every portal page: no script, the two inline stylesheets
/// (page.css, portal.css) by their hashes; computed once when the pages load.
const std::string& portal_csp(const web::Pages&);

}  // namespace shelter::proxy::portal
