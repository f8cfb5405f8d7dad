#include "proxy/portal/portal_pages.h"

#include <algorithm>
#include <array>
#include <kainjow/mustache.hpp>
#include <utility>

#include "proxy/web/case_pages.h"
#include "proxy/web/pages.h"

namespace shelter::proxy::portal {
namespace {

namespace mustache = kainjow::mustache;
using Values = std::map<std::string, std::string>;

// Mustache renders a section for any string, even an empty one: set only what there is.
void set_text(mustache::data& d, const std::string& name, std::string value) {
  if (!value.empty()) d.set(name, std::move(value));
}

bool has_text(const web::Texts& texts, std::string_view key) {
  return !texts.pages().text(texts.catalog(), key).empty();
}

std::string token(const HomeView& view, const std::string& form) {
  auto it = view.csrf.find(form);
  return it == view.csrf.end() ? std::string() : it->second;
}

// A profile as the parent reads it: the catalog's name of an age band, a parent's changes to
// one ("Ages 9 to 12, with your changes"), else its own name (plain text: it goes into option
// elements and other texts).
std::string profile_name(const std::string& profile, const web::Texts& texts,
                         const std::map<std::string, std::string>& own_bases) {
  const std::string key = "portal.band." + profile + ".name";
  if (has_text(texts, key)) return texts.plain(key);
  const auto own = own_bases.find(profile);
  if (own == own_bases.end() || own->second.empty()) return profile;
  const std::string band_key = "portal.band." + own->second + ".name";
  const std::string band = has_text(texts, band_key) ? texts.plain(band_key) : own->second;
  return texts.plain("portal.band.custom", {{"band", band}, {"name", profile}});
}

std::string profile_name(const std::string& profile, const web::Texts& texts) {
  return profile_name(profile, texts, {});
}

std::string profile_about(const std::string& profile, const web::Texts& texts) {
  const std::string key = "portal.band." + profile + ".about";
  return has_text(texts, key) ? texts(key) : std::string();
}

std::string notice_html(const std::optional<Notice>& notice, const web::Texts& texts) {
  if (!notice || notice->key.empty()) return {};
  const std::string key = "portal.notice." + notice->key;
  return has_text(texts, key) ? texts(key, notice->values) : std::string();
}

// The parts every portal page has.
mustache::data shell(std::string_view title_key, const web::Texts& texts) {
  mustache::data page;
  page.set("lang", texts.catalog().lang);
  page.set("dir", texts.catalog().dir);
  page.set("css", texts.pages().css());
  page.set("portal_css", texts.pages().portal_css());
  page.set("title", texts(title_key));
  page.set("heading", texts(title_key));
  page.set("footer", texts("footer"));
  return page;
}

std::string render(const mustache::data& page, const web::Texts& texts) {
  return texts.pages().portal_page().render(page);
}

mustache::data button(std::string value, std::string text_html, bool secondary) {
  mustache::data b;
  web::set_moved(b, "value", std::move(value));
  web::set_moved(b, "text", std::move(text_html));
  b.set("secondary", secondary);
  return b;
}

// The error summary at the top; `field`: the input it links to, "" for none.
void set_error(mustache::data& page, const std::string& error_html, const std::string& field,
               const web::Texts& texts) {
  if (error_html.empty()) return;
  mustache::data e;
  e.set("text", error_html);
  set_text(e, "field", field);
  mustache::data errors{mustache::data::type::list};
  web::push_moved(errors, std::move(e));
  page.set("errors_present", true);
  page.set("label_errors", texts("label.errors"));
  web::set_moved(page, "errors", std::move(errors));
}

struct Input {
  std::string name{};
  std::string type = "text";
  std::string label_html{};
  std::string hint_html{};
  std::string error_html{};
  std::string value{};
  std::string autocomplete{};
  std::string autocapitalize = "none";
  std::size_t max_length = 200;
};

mustache::data input_data(const Input& in) {
  mustache::data d;
  d.set("name", in.name);
  d.set("type", in.type);
  d.set("label", in.label_html);
  set_text(d, "hint", in.hint_html);
  set_text(d, "error", in.error_html);
  std::string described;
  if (!in.hint_html.empty()) described = in.name + "-hint";
  if (!in.error_html.empty()) described += (described.empty() ? "" : " ") + in.name + "-error";
  set_text(d, "describedby", described);
  d.set("value", in.value);
  d.set("autocomplete", in.autocomplete);
  d.set("autocapitalize", in.autocapitalize);
  d.set("maxlength", std::to_string(in.max_length));
  return d;
}

void set_form(mustache::data& page, const std::string& action, const std::string& csrf,
              const std::vector<Input>& inputs, std::string submit_html) {
  mustache::data form;
  form.set("action", action);
  form.set("csrf", csrf);
  mustache::data fields{mustache::data::type::list};
  for (const Input& in : inputs)
    web::push_moved(fields, input_data(in));
  web::set_moved(form, "fields", std::move(fields));
  web::set_moved(form, "submit", std::move(submit_html));
  web::set_moved(page, "form", std::move(form));
}

void set_links(mustache::data& page,
               const std::vector<std::pair<std::string, std::string>>& links) {
  mustache::data items{mustache::data::type::list};
  for (const auto& [url, text] : links) {
    mustache::data l;
    l.set("url", url);
    l.set("text", text);
    web::push_moved(items, std::move(l));
  }
  page.set("links", true);
  web::set_moved(page, "link_items", std::move(items));
}

Input household_input(const std::string& value, const web::Texts& texts) {
  return {.name = "household",
          .label_html = texts("portal.field.household"),
          .hint_html = texts("portal.field.household-hint"),
          .value = value,
          .autocomplete = "username",
          .max_length = 64};
}

// A pause form: `device` "" is the whole household. While paused, "resume" comes first.
mustache::data pause_form(const std::string& device, bool paused, std::string legend_html,
                          const std::string& csrf, const web::Texts& texts) {
  mustache::data p;
  p.set("pause_csrf", csrf);
  p.set("pause_device", device);
  web::set_moved(p, "pause_legend", std::move(legend_html));
  mustache::data buttons{mustache::data::type::list};
  if (paused) web::push_moved(buttons, button("resume", texts("portal.pause.resume"), false));
  for (const char* value : {"15m", "1h", "today"})
    web::push_moved(buttons, button(value, texts(std::string("portal.pause.") + value), true));
  web::set_moved(p, "pause_buttons", std::move(buttons));
  return p;
}

mustache::data requests_data(const HomeView& view, const web::Texts& texts) {
  mustache::data r;
  r.set("requests_heading", texts("portal.requests.heading"));
  if (view.requests.empty()) r.set("requests_none", texts("portal.requests.none"));
  r.set("answer_csrf", token(view, "answer"));
  mustache::data items{mustache::data::type::list};
  for (const RequestView& request : view.requests) {
    mustache::data item;
    item.set("request_id", request.id);
    const Values values{{"site", request.site}, {"device", request.device}};
    item.set("question", texts(request.device.empty() ? "portal.requests.question-no-device"
                                                      : "portal.requests.question",
                               values));
    item.set("asked", texts("portal.requests.asked", {{"when", texts.time(request.created)}}));
    mustache::data answers{mustache::data::type::list};
    for (const char* value : {"15m", "1h", "today", "always", "keep-blocked"}) {
      answers.push_back(button(value, texts(std::string("portal.answer.") + value),
                               std::string_view(value) == "keep-blocked"));
    }
    web::set_moved(item, "answers", std::move(answers));
    web::push_moved(items, std::move(item));
  }
  web::set_moved(r, "request_items", std::move(items));
  return r;
}

// "Reports of wrong blocking": each report's site, when, its status in plain words and the
// decision's reason. A legal list's site is never named (as on the public status page).
mustache::data appeals_data(const HomeView& view, const web::Texts& texts) {
  mustache::data a;
  a.set("appeals_heading", texts("portal.appeals.heading"));
  a.set("appeals_lead", texts("portal.appeals.lead"));
  if (view.appeals.empty()) a.set("appeals_none", texts("portal.appeals.none"));
  a.set("label_reported", texts("portal.appeals.reported"));
  a.set("label_status", texts("portal.appeals.status"));
  a.set("label_reason", texts("portal.appeals.reason"));
  mustache::data items{mustache::data::type::list};
  std::size_t n = 0;
  for (const AppealView& appeal : view.appeals) {
    mustache::data item;
    item.set("n", std::to_string(++n));
    if (appeal.site.empty()) {
      item.set("appeal_title", texts("portal.appeals.legal-site"));
    } else {
      item.set("appeal_title", texts("portal.appeals.site", {{"site", appeal.site}}));
    }
    item.set("appeal_when", texts.time(appeal.created));
    const bool unnamed = appeal.status == "referred" && appeal.authority.empty();
    item.set("appeal_status",
             texts("portal.appeals.status-" + appeal.status + (unnamed ? "-unnamed" : ""),
                   {{"authority", appeal.authority}}));
    item.set("appeal_waiting", appeal.status == "open");
    if (appeal.status != "referred") set_text(item, "appeal_reason", appeal.decision_reason);
    web::push_moved(items, std::move(item));
  }
  web::set_moved(a, "appeal_items", std::move(items));
  return a;
}

mustache::data everyone_data(const HomeView& view, const web::Texts& texts) {
  mustache::data e;
  const bool paused = view.paused_until > view.now;
  e.set("everyone_heading", texts("portal.everyone.heading"));
  e.set("everyone_paused", paused);
  e.set("everyone_status",
        paused ? texts("portal.everyone.paused", {{"until", texts.time(view.paused_until)}})
               : texts("portal.everyone.on",
                       {{"profile", profile_name(view.profile, texts, view.own_bases)}}));
  e.set("everyone_settings", texts("portal.settings.link-everyone"));
  e.set("bands_legend", texts("portal.everyone.legend"));
  e.set("bands_hint", texts("portal.everyone.legend-hint"));
  mustache::data bands{mustache::data::type::list};
  std::size_t n = 0;
  for (const std::string& profile : view.profiles) {
    mustache::data b;
    b.set("n", std::to_string(++n));
    b.set("value", profile);
    b.set("name", profile_name(profile, texts, view.own_bases));
    set_text(b, "about", profile_about(profile, texts));
    b.set("checked", profile == view.profile);
    web::push_moved(bands, std::move(b));
  }
  web::set_moved(e, "bands", std::move(bands));
  e.set("pause",
        pause_form("", paused, texts("portal.pause.legend-everyone"), token(view, "pause"), texts));
  return e;
}

mustache::data option(std::string value, std::string text, bool selected) {
  mustache::data o;
  web::set_moved(o, "value", std::move(value));
  web::set_moved(o, "text", std::move(text));
  o.set("selected", selected);
  return o;
}

mustache::data device_data(const DeviceView& device, std::size_t n, const HomeView& view,
                           const web::Texts& texts) {
  mustache::data d;
  const Values named{{"device", device.id}};
  d.set("n", std::to_string(n));
  d.set("device_id", device.id);
  d.set("device_name", device.id);
  mustache::data recognised{mustache::data::type::list};
  for (const auto* list : {&device.macs, &device.addresses}) {
    for (const std::string& id : *list)
      recognised.push_back(mustache::data(id));
  }
  web::set_moved(d, "recognised", std::move(recognised));
  const std::string household = profile_name(view.profile, texts, view.own_bases);
  d.set("device_filter",
        device.profile.empty()
            ? texts("portal.device.same-filter", {{"profile", household}})
            : texts("portal.device.own-filter",
                    {{"profile", profile_name(device.profile, texts, view.own_bases)}}));
  d.set("device_settings", texts("portal.settings.link-device", named));
  const bool paused = device.paused_until > view.now;
  const bool everyone = view.paused_until > view.now;
  d.set("device_paused", paused || everyone);
  d.set("device_status",
        paused ? texts("portal.device.paused", {{"until", texts.time(device.paused_until)}})
        : everyone
            ? texts("portal.device.paused-everyone", {{"until", texts.time(view.paused_until)}})
            : texts("portal.device.on"));
  d.set("choose_label", texts("portal.device.choose", named));
  mustache::data options{mustache::data::type::list};
  options.push_back(option("", texts.plain("portal.device.same", {{"profile", household}}),
                           device.profile.empty()));
  bool listed = device.profile.empty();
  for (const std::string& profile : view.profiles) {
    listed = listed || profile == device.profile;
    options.push_back(
        option(profile, profile_name(profile, texts, view.own_bases), profile == device.profile));
  }
  // A profile that is no longer a choice stays shown, so that Save does not change it unseen.
  if (!listed) {
    options.push_back(
        option(device.profile, profile_name(device.profile, texts, view.own_bases), true));
  }
  web::set_moved(d, "options", std::move(options));
  d.set("pause", pause_form(device.id, paused, texts("portal.pause.legend-device", named),
                            token(view, "pause"), texts));
  return d;
}

mustache::data devices_data(const HomeView& view, const web::Texts& texts) {
  mustache::data d;
  d.set("devices_heading", texts("portal.devices.heading"));
  d.set("devices_lead", texts("portal.devices.lead"));
  if (view.devices.empty()) d.set("devices_none", texts("portal.devices.none"));
  d.set("label_recognised", texts("portal.device.recognised"));
  d.set("not_recognised", texts("portal.device.not-recognised"));
  d.set("label_filter", texts("portal.device.filter"));
  d.set("label_internet", texts("portal.device.internet"));
  mustache::data items{mustache::data::type::list};
  std::size_t n = 0;
  for (const DeviceView& device : view.devices)
    web::push_moved(items, device_data(device, ++n, view, texts));
  web::set_moved(d, "device_items", std::move(items));
  return d;
}

// ---- "This week" and "New devices"

// A block's category in the words of the settings page; the security box's categories as that
// box; the household's own reasons (bedtime, paused) and other categories in plain words.
std::string category_words(const std::string& category, const web::Texts& texts) {
  static const std::map<std::string, std::string, std::less<>> kAsBox = {
      {"malware", "security"},
      {"phishing", "security"},
      {"botnet", "security"},
      {"cryptojacking", "security"}};
  const auto box = kAsBox.find(category);
  const std::string shown = box == kAsBox.end() ? category : box->second;
  for (const std::string& key :
       {"portal.category." + shown, "portal.activity.reason." + shown, "category." + shown}) {
    if (has_text(texts, key)) return texts(key);
  }
  return texts("category.other", {{"category", category}});
}

mustache::data week_data(const ActivitySection& activity, const web::Texts& texts) {
  // Categories that read the same (the security box's four) are one row.
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> rows;
  for (const auto& [category, n] : activity.this_week)
    rows[category_words(category, texts)].first += n;
  for (const auto& [category, n] : activity.last_week)
    rows[category_words(category, texts)].second += n;
  std::vector<std::pair<std::string, std::pair<std::uint64_t, std::uint64_t>>> ordered(rows.begin(),
                                                                                       rows.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.second.first != b.second.first ? a.second.first > b.second.first
                                            : a.second.second > b.second.second;
  });
  mustache::data w;
  w.set("week_heading", texts("portal.activity.heading"));
  w.set("week_privacy", texts.said("portal.activity.privacy"));
  if (ordered.empty()) w.set("week_none", texts("portal.activity.none"));
  w.set("week_caption", texts("portal.activity.caption"));
  w.set("col_kind", texts("portal.activity.kind"));
  w.set("col_this", texts("portal.activity.this-week"));
  w.set("col_last", texts("portal.activity.last-week"));
  mustache::data items{mustache::data::type::list};
  for (const auto& [words, counts] : ordered) {
    mustache::data row;
    row.set("kind", words);
    row.set("this", std::to_string(counts.first));
    row.set("last", std::to_string(counts.second));
    web::push_moved(items, std::move(row));
  }
  web::set_moved(w, "week_rows", std::move(items));
  return w;
}

mustache::data new_devices_data(const HomeView& view, const web::Texts& texts) {
  mustache::data d;
  d.set("new_heading", texts("portal.new-devices.heading"));
  d.set("new_lead", texts("portal.new-devices.lead"));
  if (view.activity->new_devices.empty()) d.set("new_none", texts("portal.new-devices.none"));
  d.set("new_csrf", token(view, "new-device"));
  d.set("label_address", texts("portal.new-devices.address"));
  d.set("attach_label", texts("portal.new-devices.attach-label"));
  d.set("attach", texts("portal.new-devices.attach"));
  d.set("add_label", texts("portal.new-devices.add-label"));
  d.set("add_hint", texts("portal.new-devices.add-hint"));
  d.set("add", texts("portal.new-devices.add"));
  d.set("dismiss", texts("portal.new-devices.dismiss"));
  if (!view.devices.empty()) d.set("can_attach", true);
  mustache::data items{mustache::data::type::list};
  std::size_t n = 0;
  for (const NewDeviceView& device : view.activity->new_devices) {
    mustache::data item;
    item.set("n", std::to_string(++n));
    item.set("mac", device.mac);
    item.set("joined", texts("portal.new-devices.joined", {{"when", texts.time(device.first)}}));
    item.set("seen", texts("portal.new-devices.seen", {{"when", texts.time(device.last)}}));
    mustache::data options{mustache::data::type::list};
    for (const DeviceView& known : view.devices)
      options.push_back(option(known.id, known.id, false));
    web::set_moved(item, "options", std::move(options));
    web::push_moved(items, std::move(item));
  }
  web::set_moved(d, "new_items", std::move(items));
  return d;
}

mustache::data good_to_know(const web::Texts& texts) {
  mustache::data g;
  g.set("good_to_know_heading", texts("portal.about.heading"));
  mustache::data items{mustache::data::type::list};
  items.push_back(mustache::data(texts("portal.about.tell")));
  items.push_back(mustache::data(texts.said("portal.about.history")));
  items.push_back(mustache::data(texts("portal.about.requests")));
  web::set_moved(g, "good_to_know_items", std::move(items));
  return g;
}

// The fields of the settings form that can be wrong, in the page's order.
constexpr std::array<std::string_view, 4> kSettingsFields = {"allow", "deny", "bedtime-from",
                                                             "bedtime-to"};

std::string field_error(const SettingsView& view, std::string_view name, const web::Texts& texts) {
  const auto it = view.errors.find(std::string(name));
  if (it == view.errors.end()) return {};
  return texts("portal.error." + it->second.key, it->second.values);
}

mustache::data band_radios(const SettingsView& view, const web::Texts& texts) {
  mustache::data bands{mustache::data::type::list};
  std::size_t n = 0;
  for (const std::string& profile : view.bands) {
    mustache::data b;
    b.set("n", std::to_string(++n));
    b.set("value", profile);
    b.set("name", profile_name(profile, texts));
    set_text(b, "about", profile_about(profile, texts));
    b.set("checked", profile == view.input.band);
    web::push_moved(bands, std::move(b));
  }
  return bands;
}

mustache::data category_boxes(const SettingsView& view, const web::Texts& texts) {
  mustache::data boxes{mustache::data::type::list};
  for (std::string_view category : kSettingsCategories) {
    mustache::data b;
    b.set("value", std::string(category));
    b.set("label", texts("portal.category." + std::string(category)));
    b.set("checked", std::find(view.input.blocked.begin(), view.input.blocked.end(), category) !=
                         view.input.blocked.end());
    web::push_moved(boxes, std::move(b));
  }
  return boxes;
}

mustache::data site_list(const SettingsView& view, const std::string& name,
                         const std::string& value, const web::Texts& texts) {
  mustache::data l;
  l.set("name", name);
  l.set("label", texts("portal.settings." + name + "-label"));
  l.set("hint", texts("portal.settings." + name + "-hint"));
  set_text(l, "error", field_error(view, name, texts));
  l.set("value", value);
  return l;
}

mustache::data bedtime_data(const SettingsView& view, const web::Texts& texts) {
  const SettingsInput& in = view.input;
  mustache::data b;
  b.set("bedtime_legend", texts("portal.settings.bedtime-legend"));
  b.set("bedtime_hint", texts("portal.settings.bedtime-hint"));
  set_text(b, "zone_note", texts("portal.settings.bedtime-zone", {{"zone", view.time_zone}}));
  b.set("bedtime_label", texts("portal.settings.bedtime-on"));
  b.set("bedtime_checked", in.bedtime);
  mustache::data times{mustache::data::type::list};
  for (const auto& [name, value] :
       {std::pair{"bedtime-from", &in.bedtime_from}, std::pair{"bedtime-to", &in.bedtime_to}}) {
    mustache::data t;
    t.set("name", name);
    t.set("label", texts(std::string("portal.settings.") + name));
    set_text(t, "error", field_error(view, name, texts));
    t.set("value", *value);
    web::push_moved(times, std::move(t));
  }
  web::set_moved(b, "times", std::move(times));
  b.set("days_legend", texts("portal.settings.days-legend"));
  mustache::data days{mustache::data::type::list};
  std::size_t n = 0;
  bool listed = false;
  for (const char* value : {"daily", "sun-thu"}) {
    mustache::data d;
    d.set("n", std::to_string(++n));
    d.set("value", std::string(value));
    d.set("label", texts(std::string("portal.settings.days-") + value));
    d.set("checked", in.bedtime_days == value);
    listed = listed || in.bedtime_days == value;
    web::push_moved(days, std::move(d));
  }
  // Days set another way (the admin API) stay a choice, so that Save does not change them.
  if (!listed) {
    mustache::data d;
    d.set("n", std::to_string(++n));
    d.set("value", in.bedtime_days);
    d.set("label", texts("portal.settings.days-other", {{"days", in.bedtime_days}}));
    d.set("checked", true);
    web::push_moved(days, std::move(d));
  }
  web::set_moved(b, "days", std::move(days));
  return b;
}

mustache::data settings_form(const SettingsView& view, const web::Texts& texts) {
  mustache::data f;
  f.set("csrf", view.csrf);
  f.set("device", view.device);
  f.set("shown_band", view.input.shown_band);
  f.set("band_legend", texts("portal.settings.band-legend"));
  f.set("band_hint", texts("portal.settings.band-hint"));
  web::set_moved(f, "bands", band_radios(view, texts));
  f.set("categories_legend", texts("portal.settings.categories-legend"));
  f.set("categories_hint", texts("portal.settings.categories-hint"));
  web::set_moved(f, "categories", category_boxes(view, texts));
  mustache::data lists{mustache::data::type::list};
  web::push_moved(lists, site_list(view, "allow", view.input.allow, texts));
  web::push_moved(lists, site_list(view, "deny", view.input.deny, texts));
  web::set_moved(f, "lists", std::move(lists));
  f.set("safe_legend", texts("portal.settings.safe-search-legend"));
  f.set("safe_label", texts("portal.settings.safe-search"));
  f.set("safe_checked", view.input.safe_search);
  web::set_moved(f, "bedtime", bedtime_data(view, texts));
  f.set("save", texts("portal.save"));
  return f;
}

}  // namespace

std::string sign_in_page(const SignInView& view, const web::Texts& texts) {
  mustache::data page = shell("portal.sign-in.title", texts);
  page.set("heading", texts("portal.sign-in.heading"));
  set_text(page, "notice", notice_html(view.notice, texts));
  if (!view.error_key.empty()) {
    // Which of the two was wrong is never said, so the summary points at the first field.
    set_error(page, texts("portal.error." + view.error_key),
              view.error_key == "sign-in-failed" ? "household" : "", texts);
  }
  page.set("lead", texts("portal.sign-in.lead"));
  set_form(page, "/sign-in", view.csrf,
           {household_input(view.household, texts),
            {.name = "password",
             .type = "password",
             .label_html = texts("portal.field.password"),
             .autocomplete = "current-password",
             .max_length = 1024}},
           texts("portal.sign-in.submit"));
  set_links(page, {{"/first-access", texts.plain("portal.sign-in.first-access")}});
  page.set("note", texts("portal.sign-in.forgot"));
  return render(page, texts);
}

std::string first_access_page(const FirstAccessView& view, const web::Texts& texts) {
  mustache::data page = shell("portal.first-access.title", texts);
  page.set("heading", texts("portal.first-access.heading"));
  const std::string& key = view.error_key;
  std::string field;
  if (key == "code-failed") field = "household";
  if (key == "password-short") field = "password";
  if (key == "password-mismatch") field = "password2";
  const std::string error = key.empty() ? std::string() : texts("portal.error." + key);
  set_error(page, error, field, texts);
  page.set("lead", texts("portal.first-access.lead"));
  auto error_at = [&](const char* name) { return field == name ? error : std::string(); };
  set_form(page, "/first-access", view.csrf,
           {household_input(view.household, texts),
            {.name = "code",
             .label_html = texts("portal.field.code"),
             .hint_html = texts("portal.field.code-hint"),
             .autocomplete = "one-time-code",
             .autocapitalize = "characters",
             .max_length = 32},
            {.name = "password",
             .type = "password",
             .label_html = texts("portal.field.new-password"),
             .hint_html = texts("portal.field.new-password-hint"),
             .error_html = error_at("password"),
             .autocomplete = "new-password",
             .max_length = 1024},
            {.name = "password2",
             .type = "password",
             .label_html = texts("portal.field.password2"),
             .error_html = error_at("password2"),
             .autocomplete = "new-password",
             .max_length = 1024}},
           texts("portal.first-access.submit"));
  set_links(page, {{"/sign-in", texts.plain("portal.first-access.sign-in")}});
  return render(page, texts);
}

std::string home_page(const HomeView& view, const web::Texts& texts) {
  mustache::data page = shell("portal.home.title", texts);
  page.set("heading", texts("portal.home.heading"));
  page.set("household_line", texts("portal.home.household", {{"household", view.household}}));
  set_text(page, "notice", notice_html(view.notice, texts));
  page.set("lead", texts("portal.home.lead"));
  page.set("save", texts("portal.save"));
  page.set("profile_csrf", token(view, "profile"));
  web::set_moved(page, "requests", requests_data(view, texts));
  web::set_moved(page, "appeals", appeals_data(view, texts));
  web::set_moved(page, "everyone", everyone_data(view, texts));
  web::set_moved(page, "devices", devices_data(view, texts));
  if (view.activity) {
    web::set_moved(page, "new_devices", new_devices_data(view, texts));
    web::set_moved(page, "week", week_data(*view.activity, texts));
  }
  web::set_moved(page, "good_to_know", good_to_know(texts));
  page.set("sign_out", true);
  page.set("sign_out_csrf", token(view, "sign-out"));
  page.set("sign_out_text", texts("portal.sign-out"));
  return render(page, texts);
}

std::string settings_page(const SettingsView& view, const web::Texts& texts) {
  mustache::data page = shell("portal.settings.title", texts);
  page.set("household_line", texts("portal.home.household", {{"household", view.household}}));
  mustache::data errors{mustache::data::type::list};
  for (std::string_view name : kSettingsFields) {
    const std::string text = field_error(view, name, texts);
    if (text.empty()) continue;
    mustache::data e;
    e.set("text", text);
    e.set("field", std::string(name));
    web::push_moved(errors, std::move(e));
  }
  if (!errors.is_empty_list()) {
    page.set("errors_present", true);
    page.set("label_errors", texts("label.errors"));
    web::set_moved(page, "errors", std::move(errors));
  }
  page.set("lead", view.device.empty()
                       ? texts("portal.settings.lead-everyone")
                       : texts("portal.settings.lead-device", {{"device", view.device}}));
  web::set_moved(page, "settings", settings_form(view, texts));
  set_links(page, {{"/", texts.plain("portal.settings.back")}});
  return render(page, texts);
}

std::string portal_message_page(std::string_view title_key, std::string_view lead_key,
                                const web::Texts& texts) {
  mustache::data page = shell(title_key, texts);
  set_text(page, "lead", texts(lead_key));
  set_links(page, {{"/", texts.plain("portal.message.back")}});
  return render(page, texts);
}

const std::string& portal_csp(const web::Pages& pages) {
  return pages.portal_content_security_policy();
}

}  // namespace shelter::proxy::portal
