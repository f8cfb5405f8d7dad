#include "proxy/web/venue_page.h"

#include <algorithm>

namespace shelter::proxy::web {
namespace {

// A category's words as the block page says them; an unknown category as its own name.
std::string category_words(const std::string& category, const Texts& texts) {
  const std::string key = "category." + category;
  const std::string_view words = texts.pages().text(texts.catalog(), key);
  if (words.empty() || words.find("{{") != std::string_view::npos) return category;
  return texts.plain(key);
}

// The venue's phone number as a tel: URI ("+44 20 7946 0000" -> "tel:+442079460000").
std::string tel_uri(std::string_view phone) {
  std::string out = "tel:";
  for (char ch : phone) {
    if ((ch >= '0' && ch <= '9') || ch == '+') out += ch;
  }
  return out;
}

Section filtered_section(const VenueFacts& facts, const Texts& texts) {
  Section s{.id = "filtered", .heading_html = texts("venue-page.filtered-heading")};
  if (facts.categories.empty()) {
    s.texts_html.push_back(texts("venue-page.filtered-none"));
    return s;
  }
  s.texts_html.push_back(texts("venue-page.filtered-lead"));
  // Several categories share words (malware and botnet are both "harmful software").
  std::vector<std::string> words;
  for (const std::string& category : facts.categories) {
    std::string w = category_words(category, texts);
    if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(std::move(w));
  }
  s.items = std::move(words);
  s.closing_html.push_back(texts("venue-page.filtered-why"));
  return s;
}

Section report_section(const VenueFacts& facts, const Texts& texts) {
  Section s{.id = "report", .heading_html = texts("venue-page.report-heading")};
  s.texts_html.push_back(texts("venue-page.report"));
  if (!facts.report_url.empty()) {
    s.links.push_back({.url = facts.report_url, .text = texts.plain("label.report")});
  }
  s.links.push_back({.url = "/check", .text = texts.plain("venue-page.check")});
  return s;
}

Section contact_section(const config::VenueConfig& venue, const Texts& texts) {
  Section s{.id = "contact", .heading_html = texts("venue-page.contact-heading")};
  if (!venue.email.empty()) {
    s.links.push_back({.url = "mailto:" + venue.email,
                       .text = texts.plain("venue-page.email", {{"email", venue.email}}),
                       .left_to_right = true});
  }
  if (!venue.phone.empty()) {
    s.links.push_back({.url = tel_uri(venue.phone),
                       .text = texts.plain("venue-page.phone", {{"phone", venue.phone}}),
                       .left_to_right = true});
  }
  if (!venue.web.empty()) {
    s.links.push_back({.url = venue.web,
                       .text = texts.plain("venue-page.web", {{"web", venue.web}}),
                       .left_to_right = true});
  }
  return s;
}

}  // namespace

std::vector<std::string> filtered_categories(const policy::Profile& profile,
                                             const policy::CategoryBits& bits,
                                             const blocklist::Snapshot& lists) {
  const std::uint64_t mask =
      profile.all_categories ? blocklist::kAllCategories : bits.mask(profile.blocked);
  std::vector<std::string> out;
  const std::vector<std::string>& categories = lists.categories();
  for (std::size_t i = 0; i < categories.size() && i < blocklist::kMaxCategories; ++i) {
    if ((mask >> i) & 1U) out.push_back(categories[i]);
  }
  for (const blocklist::ListInfo& list : lists.lists()) {
    if (list.legal && std::find(out.begin(), out.end(), list.category) == out.end()) {
      out.push_back(list.category);
    }
  }
  return out;
}

PageSpec venue_page(const VenueFacts& facts, const Texts& texts) {
  const config::VenueConfig& venue = texts.settings().venue;
  PageSpec spec;
  spec.kind = "venue";
  spec.title_html = texts("venue-page.title");
  spec.heading_html = texts("venue-page.heading");
  spec.lead_html = texts("venue-page.lead");
  if (!venue.terms.empty()) {
    spec.sections.push_back(Section{.id = "terms",
                                    .heading_html = texts("venue-page.terms-heading"),
                                    .paragraphs = venue.terms});
  }
  spec.sections.push_back(filtered_section(facts, texts));
  spec.sections.push_back(Section{.id = "privacy",
                                  .heading_html = texts("venue-page.privacy-heading"),
                                  .texts_html = {texts.said("venue-page.privacy")}});
  spec.sections.push_back(report_section(facts, texts));
  if (!venue.email.empty() || !venue.phone.empty() || !venue.web.empty()) {
    spec.sections.push_back(contact_section(venue, texts));
  }
  spec.footer_html = texts("footer");
  return spec;
}

std::string venue_page_url(const config::Config& config) {
  if (config.web.venue.name.empty()) return {};
  const std::string& appeal = config.blocking.appeal_url;
  const std::size_t scheme = appeal.find("://");
  if (scheme == std::string::npos) return {};
  const std::size_t host_end = appeal.find_first_of("/?#", scheme + 3);
  const std::string origin = appeal.substr(0, host_end);
  if (origin.size() == scheme + 3) return {};
  return origin + std::string(kVenuePath);
}

}  // namespace shelter::proxy::web
