#include "proxy/web/case_pages.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <kainjow/mustache.hpp>
#include <utility>

#include "proxy/cases/rules.h"

namespace shelter::proxy::web {
namespace {

namespace mustache = kainjow::mustache;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

PageSpec base_spec(std::string kind, std::string_view title_key, const Texts& texts) {
  PageSpec spec;
  spec.kind = std::move(kind);
  spec.title_html = texts(title_key);
  spec.footer_html = texts("footer");
  return spec;
}

}  // namespace

Texts::Texts(const Pages& pages, const Catalog& catalog, const config::WebConfig& settings,
             const config::QueryLogConfig* query_log)
    : pages_(pages),
      catalog_(catalog),
      settings_(settings),
      query_log_(query_log != nullptr && query_log->enabled ? query_log : nullptr) {
  auto common = std::make_shared<mustache::data>();
  common->set("organisation", settings_.organisation);
  common->set("venue",
              settings_.venue.name.empty() ? settings_.organisation : settings_.venue.name);
  common->set("response_time", settings_.response_time);
  common_ = std::move(common);
}

std::string Texts::operator()(std::string_view key,
                              const std::map<std::string, std::string>& extra) const {
  return render(key, extra, true);
}

std::string Texts::plain(std::string_view key,
                         const std::map<std::string, std::string>& extra) const {
  return render(key, extra, false);
}

std::string Texts::render(std::string_view key, const std::map<std::string, std::string>& extra,
                          bool escaped) const {
  const Template& text = pages_.text_template(catalog_, key);
  if (text.plain()) return text.text();  // most texts insert nothing: no values to build
  const Inserts inserts = escaped ? Inserts::escaped : Inserts::raw;
  if (extra.empty()) return text.render(*common_, inserts);
  mustache::data own;
  for (const auto& [name, value] : extra)
    own.set(name, value);
  return text.render({common_.get(), &own}, inserts);
}

std::string Texts::said(std::string_view key) const {
  if (query_log_ == nullptr) return (*this)(key);
  // A duration as `group`.<unit>.<form> ("query-log.for.days.other": "{{n}} days"): the
  // largest whole unit, then the number's plural form; the catalog's own forms first ("two"
  // and "few", 3 to 10 after the hundreds, are Arabic's), else "one" or "other".
  auto words = [&](std::string_view group, std::chrono::milliseconds span) {
    const std::int64_t s = std::max<std::int64_t>(1, (span.count() + 999) / 1000);
    const auto [unit, n] = s % 86400 == 0  ? std::pair{"days", s / 86400}
                           : s % 3600 == 0 ? std::pair{"hours", s / 3600}
                                           : std::pair{"minutes", (s + 59) / 60};
    const std::string base = std::string(group) + "." + unit + ".";
    const char* form = n == 1                          ? "one"
                       : n == 2                        ? "two"
                       : n % 100 >= 3 && n % 100 <= 10 ? "few"
                                                       : "other";
    if (catalog_.texts.count(base + form) == 0) form = n == 1 ? "one" : "other";
    return plain(base + form, {{"n", std::to_string(n)}});
  };
  return (*this)(std::string(key) + "-logged",
                 {{"retention", words("query-log.for", query_log_->retention)},
                  {"rotation", words("query-log.every", query_log_->key_rotation)}});
}

std::string Texts::time(std::int64_t unix_time) const {
  return format_utc(unix_time, pages_.text(catalog_, "when-format"));
}

PageSpec appeal_form_page(const AppealInput& input, const FormErrors& errors,
                          const std::string& authority, const Texts& texts, bool venue) {
  PageSpec spec = base_spec("general", "appeal.title", texts);
  spec.heading_html = texts("appeal.heading");
  spec.lead_html = authority.empty() ? texts("appeal.lead")
                                     : texts("appeal.lead-legal", {{"authority", authority}});
  auto error_of = [&](const std::string& field) -> std::string {
    auto it = errors.find(field);
    return it == errors.end() ? std::string() : texts(it->second);
  };
  for (const std::string field : {"form", "url", "reporter", "why", "contact"}) {
    if (auto it = errors.find(field); it != errors.end()) {
      // The summary links to something that takes focus: a radio group's first choice.
      const std::string target = field == "form"       ? "url"
                                 : field == "reporter" ? "reporter-child"
                                                       : field;
      spec.errors.emplace_back(target, texts(it->second));
    }
  }
  Form form;
  form.action = "/appeal";
  if (!input.token.empty()) form.hidden.emplace_back("t", input.token);
  form.hidden.emplace_back("csrf", input.csrf);
  form.fields.push_back({.type = Field::Type::text,
                         .name = "url",
                         .label_html = texts("appeal.field-url"),
                         .hint_html = texts("appeal.hint-url"),
                         .error_html = error_of("url"),
                         .value = input.url,
                         .max_length = kMaxUrl,
                         .autocomplete = "url",
                         .inputmode = "url",
                         .required = true,
                         .left_to_right = true});
  Field who{.type = Field::Type::choice,
            .name = "reporter",
            .label_html = texts("appeal.field-who"),
            .error_html = error_of("reporter")};
  for (const char* value : {"child", "parent", "webmaster", "other"}) {
    who.choices.push_back({.value = value,
                           .text_html = texts(std::string("appeal.who-") + value),
                           .checked = input.reporter == value});
  }
  form.fields.push_back(std::move(who));
  form.fields.push_back({.type = Field::Type::textarea,
                         .name = "why",
                         .label_html = texts("appeal.field-why"),
                         .hint_html = texts("appeal.hint-why"),
                         .error_html = error_of("why"),
                         .value = input.why,
                         .max_length = kMaxWhy,
                         .required = true});
  form.fields.push_back({.type = Field::Type::text,
                         .name = "contact",
                         .label_html = texts("appeal.field-contact"),
                         .hint_html = texts("appeal.hint-contact"),
                         .error_html = error_of("contact"),
                         .value = input.contact,
                         .max_length = kMaxContact,
                         .autocomplete = "email",
                         .left_to_right = true});
  form.submit_html = texts("appeal.submit");
  spec.form = std::move(form);
  spec.note_html = !authority.empty() ? texts("appeal.next-authority", {{"authority", authority}})
                   : venue            ? texts("appeal.next-venue")
                                      : texts("appeal.next-operator");
  return spec;
}

PageSpec appeal_status_page(const cases::Appeal& appeal, const std::string& authority,
                            const Texts& texts) {
  PageSpec spec = base_spec("general", "case.title", texts);
  const std::map<std::string, std::string> values{{"id", appeal.id}, {"authority", authority}};
  spec.heading_html = texts("case.heading", values);
  const std::string status(cases::status_name(appeal.status));
  const std::string route(cases::route_name(appeal.route));
  const std::string reviewer = texts("case.reviewer-" + route, values);
  std::map<std::string, std::string> lead_values = values;
  lead_values["reviewer"] = texts.plain("case.reviewer-" + route, values);
  spec.lead_html = texts("case." + status + "-lead", lead_values);
  spec.facts.push_back({texts("label.case"), escape(appeal.id), true});
  if (!appeal.legal && !appeal.site.empty()) {
    spec.facts.push_back({texts("label.site"), escape(appeal.site), true});
  }
  spec.facts.push_back({texts("label.status"), texts("case.status-" + status)});
  spec.facts.push_back({texts("label.reviewer"), reviewer});
  spec.facts.push_back({texts("label.received"), escape(texts.time(appeal.created)), true});
  if (appeal.closed()) {
    spec.facts.push_back({texts("label.decided"), escape(texts.time(appeal.decided)), true});
    if (appeal.status != cases::AppealStatus::referred && !appeal.decision_reason.empty()) {
      spec.facts.push_back({texts("label.decision"), escape(appeal.decision_reason)});
    }
  }
  spec.note_html = texts("case.keep-link");
  return spec;
}

PageSpec ask_status_page(const cases::AccessRequest& request, std::int64_t now, bool child,
                         const Texts& texts) {
  const std::string kind = child ? "child" : "teen";
  PageSpec spec = base_spec(kind, "ask.title", texts);
  const std::map<std::string, std::string> values{{"site", request.site},
                                                  {"until", texts.time(request.until)}};
  spec.facts.push_back({texts("label.site"), escape(request.site), true});
  switch (cases::shown_status(request, now)) {
    case cases::RequestStatus::waiting:
      spec.heading_html = texts("ask.waiting-heading");
      spec.lead_html = texts("ask.waiting-lead");
      break;
    case cases::RequestStatus::allowed:
      spec.heading_html = texts("ask.allowed-heading");
      spec.lead_html = request.until == cases::kAlways ? texts("ask.always-lead")
                                                       : texts("ask.allowed-lead", values);
      spec.links.push_back({"http://" + request.site + "/", texts.plain("ask.open-site", values)});
      spec.next_label_html = texts("label.next");
      spec.steps_html.push_back(texts("ask.wait-step"));
      break;
    case cases::RequestStatus::kept_blocked:
      spec.heading_html = texts("ask.kept-heading");
      spec.lead_html = texts("ask.kept-lead");
      break;
    case cases::RequestStatus::expired:
      spec.heading_html = texts("ask.expired-heading");
      spec.lead_html = texts("ask.expired-lead");
      break;
  }
  return spec;
}

PageSpec check_page(const std::string& input, const std::optional<SiteCheck>& check, bool error,
                    const std::string& appeal_url, const Texts& texts) {
  PageSpec spec = base_spec("general", "check.title", texts);
  spec.heading_html = texts("check.heading");
  spec.lead_html = texts("check.lead");
  if (error) spec.errors.emplace_back("site", texts("check.error"));
  if (check) {
    const std::map<std::string, std::string> values{
        {"site", check->site}, {"list", check->list}, {"authority", check->authority}};
    std::map<std::string, std::string> with_category = values;
    std::string_view words = texts.pages().text(texts.catalog(), "category." + check->category);
    with_category["category"] = words.empty() ? check->category : std::string(words);
    using V = SiteCheck::Verdict;
    std::string key;
    switch (check->verdict) {
      case V::open:
        key = "check.open";
        break;
      case V::allowed:
        key = "check.allowed-after-review";
        break;
      case V::blocked:
        key = "check.blocked";
        break;
      case V::pages:
        key = "check.pages";
        break;
      case V::authority:
        key = "check.legal";
        break;
    }
    spec.facts.push_back({texts("label.site"), escape(check->site), true});
    spec.facts.push_back({texts("label.status"), texts(key, with_category)});
    if (check->verdict == V::authority) {
      if (check->appeal.starts_with("http://") || check->appeal.starts_with("https://") ||
          check->appeal.starts_with("mailto:")) {
        spec.links.push_back({check->appeal, texts.plain("check.authority-appeal", values)});
      }
    } else if (check->verdict == V::blocked || check->verdict == V::pages) {
      spec.links.push_back({appeal_url + "?site=" + check->site, texts.plain("check.report")});
    }
  }
  Form form;
  form.method = "get";
  form.action = "/check";
  form.fields.push_back({.type = Field::Type::text,
                         .name = "site",
                         .label_html = texts("check.field"),
                         .error_html = error ? texts("check.error") : std::string(),
                         .value = input,
                         .max_length = kMaxUrl,
                         .autocomplete = "url",
                         .inputmode = "url",
                         .required = true,
                         .left_to_right = true});
  form.submit_html = texts("check.submit");
  spec.form = std::move(form);
  spec.note_html = texts("check.note");
  spec.links.push_back({"/transparency", texts.plain("transparency.link")});
  return spec;
}

PageSpec message_page(std::string_view title_key, std::string_view lead_key, const Texts& texts) {
  PageSpec spec = base_spec("general", title_key, texts);
  spec.heading_html = spec.title_html;
  spec.lead_html = texts(lead_key);
  return spec;
}

}  // namespace shelter::proxy::web
