#include "proxy/web/block_page.h"

#include <ctime>
#include <kainjow/mustache.hpp>

namespace shelter::proxy::web {
namespace {

namespace mustache = kainjow::mustache;

bool is_link(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:") ||
         url.starts_with("tel:");
}

std::string_view who_key(const BlockView& view) {
  switch (view.kind) {
    case PageKind::legal:
      return "who.authority";
    case PageKind::venue:
      return "who.venue";
    case PageKind::security:
      return "who.operator";
    default:
      break;
  }
  const bool own_settings = view.reason == policy::Reason::paused ||
                            view.reason == policy::Reason::schedule ||
                            view.reason == policy::Reason::profile_deny;
  return own_settings || view.household ? "who.household" : "who.operator";
}

std::string_view why_key(const BlockView& view) {
  switch (view.reason) {
    case policy::Reason::paused:
      return "reason.paused";
    case policy::Reason::schedule:
      return "reason.schedule";
    case policy::Reason::profile_deny:
      return "reason.profile-deny";
    case policy::Reason::bypass:
      return "reason.bypass";
    default:
      return "reason.category";
  }
}

// The values catalog texts may insert.
mustache::data values_for(const BlockView& view, const Pages& pages, const Catalog& catalog,
                          const config::WebConfig& settings) {
  mustache::data values;
  values.set("organisation", settings.organisation);
  values.set("venue", settings.venue.name.empty() ? settings.organisation : settings.venue.name);
  values.set("response_time", settings.response_time);
  values.set("authority", view.authority);
  values.set("schedule", view.schedule_name);
  values.set("until", format_utc(view.until, pages.text(catalog, "when-format")));
  // The category's words are inserted (and escaped) by the text that uses them, so an unknown
  // category's fallback is rendered here without escaping, once.
  std::string_view words = pages.text(catalog, "category." + view.category);
  if (words.empty()) {
    mustache::data raw_category;
    raw_category.set("category", view.category);
    values.set("category",
               pages.text_template(catalog, "category.other").render(raw_category, Inserts::raw));
  } else {
    values.set("category", std::string(words));
  }
  return values;
}

mustache::data link(std::string url, std::string text) {
  mustache::data d;
  set_moved(d, "url", std::move(url));
  set_moved(d, "text", std::move(text));
  return d;
}

mustache::data links_for(const BlockView& view, const Pages& pages, const Catalog& catalog,
                         const config::WebConfig& settings) {
  mustache::data links{mustache::data::type::list};
  auto label = [&](std::string_view key) { return std::string(pages.text(catalog, key)); };
  switch (view.kind) {
    case PageKind::legal:
      if (!view.report_url.empty()) {
        push_moved(links, link(view.report_url, label("label.appeal")));
      } else if (is_link(view.appeal)) {
        push_moved(links, link(view.appeal, label("label.appeal")));
      }
      links.push_back(
          link(settings.hotline.url, label("label.hotline") + " (" + settings.hotline.name + ")"));
      links.push_back(link(settings.adult_help.url,
                           label("label.adult-help") + " (" + settings.adult_help.name + ")"));
      return links;
    case PageKind::not_blocked:
      return links;
    case PageKind::child:
    case PageKind::teen:
      links.push_back(link(settings.helpline.url,
                           label("label.helpline") + " (" + settings.helpline.name + ")"));
      break;
    default:
      break;
  }
  if (!view.report_url.empty()) {
    push_moved(links, link(view.report_url, label("label.report")));
  } else if (!settings.contact.empty()) {
    push_moved(links, link(settings.contact, label("label.report")));
  }
  if (!view.venue_url.empty()) push_moved(links, link(view.venue_url, label("label.venue")));
  return links;
}

}  // namespace

std::string_view kind_name(PageKind kind) {
  static constexpr std::string_view kNames[] = {"child",    "teen",  "general",    "venue",
                                                "security", "legal", "not-blocked"};
  return kNames[static_cast<std::size_t>(kind)];
}

BlockView view_of(const policy::Decision& decision, std::string site, policy::Audience audience,
                  bool household) {
  BlockView view;
  view.site = std::move(site);
  view.household = household;
  view.reason = decision.reason;
  if (decision.verdict != policy::Verdict::block) {
    view.kind = PageKind::not_blocked;
    return view;
  }
  view.category = std::string(decision.category);
  if (decision.list != nullptr) {
    view.list = decision.list->id;
    view.authority = decision.list->authority;
    view.appeal = decision.list->appeal;
  }
  if (decision.reason == policy::Reason::schedule && decision.schedule != nullptr) {
    view.schedule_name = decision.schedule->name;
  }
  if (decision.valid_until != policy::kNever) view.until = decision.valid_until;
  if (decision.ede == policy::BlockEde::censored) {
    view.kind = PageKind::legal;
    view.site.clear();  // a legal list's entries are never shown, not even the host
  } else if (decision.ede == policy::BlockEde::blocked) {
    view.kind = PageKind::security;
  } else {
    static constexpr PageKind kByAudience[] = {PageKind::general, PageKind::child, PageKind::teen,
                                               PageKind::venue};
    view.kind = kByAudience[static_cast<std::size_t>(audience)];
  }
  return view;
}

bool may_ask(const BlockView& view) {
  const bool parental_kind = view.kind == PageKind::child || view.kind == PageKind::teen;
  const bool parental_reason =
      view.reason == policy::Reason::list || view.reason == policy::Reason::profile_deny;
  return parental_kind && parental_reason && view.household;
}

bool wants_page(const http::Request& request) {
  const auto dest = request.header("sec-fetch-dest");
  const auto mode = request.header("sec-fetch-mode");
  if (dest || mode) return dest == "document" || mode == "navigate";
  const std::string_view accept = request.header("accept").value_or("");
  return accept.find("text/html") != std::string_view::npos;
}

std::optional<std::string> PageCache::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = pages_.find(key);
  if (it == pages_.end()) return std::nullopt;
  return it->second;
}

void PageCache::store(std::string key, std::string body) {
  std::lock_guard lock(mutex_);
  if (pages_.size() >= kCapacity) pages_.clear();  // bounded, and simple: refilled in moments
  pages_.emplace(std::move(key), std::move(body));
}

void PageCache::clear() {
  std::lock_guard lock(mutex_);
  pages_.clear();
}

http::Response block_response(const http::Request& request, const BlockView& view,
                              const Pages& pages, const config::WebConfig& settings,
                              std::int64_t now, PageCache* cache) {
  if (view.kind != PageKind::not_blocked && !wants_page(request)) {
    http::Response tiny = http::text_response(403, "blocked");
    tiny.set("Vary", "Sec-Fetch-Dest, Sec-Fetch-Mode, Accept");
    return tiny;
  }
  const Catalog& catalog = pages.choose(request.header("accept-language").value_or(""));
  http::Response response;
  response.status = view.kind == PageKind::not_blocked ? 200 : 403;
  response.set("Content-Security-Policy", pages.content_security_policy());
  response.set("Content-Language", catalog.lang);
  response.set("Vary", "Accept-Language, Sec-Fetch-Dest, Sec-Fetch-Mode, Accept");
  // Everything the page shows, to the minute (its clock).
  std::string key;
  if (cache != nullptr) {
    for (const std::string_view part :
         {std::string_view(catalog.lang), kind_name(view.kind), std::string_view(view.site),
          std::string_view(view.category), std::string_view(view.authority),
          std::string_view(view.appeal), std::string_view(view.schedule_name),
          std::string_view(view.report_url), std::string_view(view.ask_csrf),
          std::string_view(view.venue_url)}) {
      key += part;
      key += '\0';
    }
    key += std::to_string(static_cast<int>(view.reason)) + (view.household ? "h" : "-") +
           std::to_string(view.until) + "/" + std::to_string(now / 60);
    if (std::optional<std::string> body = cache->find(key)) {
      response.body = std::move(*body);
      return response;
    }
  }
  response.body = render_page(view, pages, catalog, settings, now);
  if (cache != nullptr) cache->store(std::move(key), response.body);
  return response;
}

std::string render_page(const BlockView& view, const Pages& pages, const Catalog& catalog,
                        const config::WebConfig& settings, std::int64_t now) {
  const std::string kind(kind_name(view.kind));
  mustache::data values = values_for(view, pages, catalog, settings);
  // Catalog texts are templates of our own; what they insert ({{organisation}}, {{category}},
  // ...) is escaped by the renderer, so their output goes into the page as it is.
  auto text = [&](std::string_view key) {
    return pages.text_template(catalog, key).render(values);
  };

  mustache::data page;
  page.set("lang", catalog.lang);
  page.set("dir", catalog.dir);
  page.set("kind", kind);
  page.set("css", pages.css());
  page.set("title", text(kind + ".title"));
  page.set("heading", text(kind + ".heading"));
  page.set("lead", text(kind + ".lead"));
  // A legal list's entries are never shown, not even the host, whoever built the view.
  if (!view.site.empty() && view.kind != PageKind::legal) page.set("site", view.site);
  for (const char* label : {"site", "who", "why", "when", "next"})
    page.set(std::string("label_") + label, text(std::string("label.") + label));
  page.set("who", text(who_key(view)));
  page.set("blocked", view.kind != PageKind::not_blocked);
  page.set("why", text(why_key(view)));
  page.set("when", format_utc(now, pages.text(catalog, "when-format")));
  page.set("when_iso", format_utc(now, "%Y-%m-%dT%H:%M:%SZ"));
  mustache::data steps{mustache::data::type::list};
  for (const Template& step : pages.list_templates(catalog, kind + ".steps"))
    steps.push_back(step.render(values));
  const bool reports = view.kind != PageKind::legal && view.kind != PageKind::not_blocked;
  if (reports && (!settings.contact.empty() || !view.report_url.empty())) {
    steps.push_back(text(kind + ".report"));
  }
  page.set("has_steps", !steps.list_value().empty());
  page.set("steps", steps);
  if (!view.ask_csrf.empty() && may_ask(view)) {
    mustache::data ask;
    ask.set("action", std::string(kAskPath));
    ask.set("csrf", view.ask_csrf);
    ask.set("button", text(view.kind == PageKind::child ? "ask.button-child" : "ask.button-teen"));
    page.set("ask", ask);
  }
  mustache::data links = links_for(view, pages, catalog, settings);
  page.set("has_links", !links.list_value().empty());
  page.set("links", links);
  if (auto note = text(kind + ".note"); !note.empty()) page.set("note", note);
  page.set("footer", text("footer"));

  return pages.page().render(page);
}

}  // namespace shelter::proxy::web
