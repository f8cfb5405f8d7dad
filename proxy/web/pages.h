#pragma once
// The web front's wording and look as data: a page template (mustache), its stylesheet, and one
// message catalog per language (YAML). Built into shelterd; `web.pages-directory` replaces any
// of them and adds languages (docs/block-page.md), so an operator rewords a page or adds a
// language without C++. Loaded, checked and parsed once per (re)load; immutable after, and
// shared by every thread that renders.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/web/template.h"

namespace shelter::proxy::web {

/// One language's texts. Keys are dotted paths ("child.heading"); a list ("child.steps") is
/// kept apart. A key a catalog lacks falls back to English.
struct Catalog {
  std::string lang = "en";  ///< a BCP 47 tag, as in the file's name
  std::string dir = "ltr";  ///< "ltr" or "rtl"
  std::map<std::string, std::string, std::less<>> texts;
  std::map<std::string, std::vector<std::string>, std::less<>> lists;
  /// `texts` and `lists` parsed: every text is itself a template (Pages::load fills these).
  std::map<std::string, Template, std::less<>> text_templates;
  std::map<std::string, std::vector<Template>, std::less<>> list_templates;
};

class Pages {
 public:
  /// The built-in pages, overlaid with what `directory` holds (page.mustache, page.css,
  /// portal.mustache, portal.css, locales/<tag>.yaml). Errors name the file and what is wrong;
  /// then nothing is returned.
  static std::shared_ptr<const Pages> load(const std::string& directory,
                                           std::vector<std::string>& errors);

  /// The catalog for an Accept-Language header (q-values honoured, a region falls back to its
  /// language, "*" and no match to English).
  const Catalog& choose(std::string_view accept_language) const;
  const Catalog& english() const { return catalogs_.front(); }
  const std::vector<Catalog>& catalogs() const { return catalogs_; }

  /// A text of `catalog`, else English's, else "".
  std::string_view text(const Catalog& catalog, std::string_view key) const;
  const std::vector<std::string>& list(const Catalog& catalog, std::string_view key) const;
  /// The same, parsed: what a page renders with its values.
  const Template& text_template(const Catalog& catalog, std::string_view key) const;
  const std::vector<Template>& list_templates(const Catalog& catalog, std::string_view key) const;

  const std::string& page_template() const { return page_.text(); }
  /// page.mustache, parsed.
  const Template& page() const { return page_; }
  const std::string& css() const { return css_; }
  /// The parents' portal's template and the stylesheet it adds to css() (proxy/portal).
  const std::string& portal_template() const { return portal_page_.text(); }
  const Template& portal_page() const { return portal_page_; }
  const std::string& portal_css() const { return portal_css_; }
  /// The Content-Security-Policy of a page: no script, the inline stylesheet by its hash.
  const std::string& content_security_policy() const { return csp_; }
  /// The portal's: both stylesheets by their hashes, images from itself.
  const std::string& portal_content_security_policy() const { return portal_csp_; }

 private:
  std::vector<Catalog> catalogs_;  // English first
  Template page_;
  std::string css_;
  Template portal_page_;
  std::string portal_css_;
  std::string csp_;
  std::string portal_csp_;
};

/// An inline stylesheet as a Content-Security-Policy source: 'sha256-<its SHA-256, base64>'.
std::string style_source(std::string_view css);

/// A UTC time in strftime's `format` (a catalog's "when-format"; empty: "%Y-%m-%d %H:%M UTC").
std::string format_utc(std::int64_t unix_time, std::string_view format);

/// The language tags of an Accept-Language header, best first (q=0 dropped), lower-cased.
std::vector<std::string> preferred_languages(std::string_view accept_language);

}  // namespace shelter::proxy::web
