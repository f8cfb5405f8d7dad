#pragma once
// The pages beside the block page, as PageSpecs: "Ask my parent"'s status, the appeal form, an
// appeal's status, check a site, and the short messages (busy, rate limited). Pure: handlers
// (public_site.cc) gather the facts, these say them in the reader's language.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "proxy/cases/case.h"
#include "proxy/config/config.h"
#include "proxy/web/page_spec.h"
#include "proxy/web/pages.h"
#include "proxy/web/site_check.h"

namespace shelter::proxy::web {

/// Catalog texts rendered with the values every page may insert ({{organisation}}, {{venue}},
/// {{response_time}}) plus a page's own.
class Texts {
 public:
  /// `query_log`: the query log's settings (null or not enabled: there is no log), for the
  /// texts that say what is kept (said()).
  Texts(const Pages& pages, const Catalog& catalog, const config::WebConfig& settings,
        const config::QueryLogConfig* query_log = nullptr);
  /// The text at `key`, its {{names}} filled from the common values and `extra` (escaped).
  std::string operator()(std::string_view key,
                         const std::map<std::string, std::string>& extra = {}) const;
  /// The same as plain text (nothing escaped): a value to insert into another text.
  std::string plain(std::string_view key,
                    const std::map<std::string, std::string>& extra = {}) const;
  /// A text that says what is kept: the one at `key`, or when the query log is on, the one at
  /// `key` + "-logged", with {{retention}} and {{rotation}} ("for 7 days", "every day") filled.
  std::string said(std::string_view key) const;
  /// A time as the catalog writes times ("when-format").
  std::string time(std::int64_t unix_time) const;
  const Pages& pages() const { return pages_; }
  const Catalog& catalog() const { return catalog_; }
  const config::WebConfig& settings() const { return settings_; }

 private:
  std::string render(std::string_view key, const std::map<std::string, std::string>& extra,
                     bool escaped) const;
  const Pages& pages_;
  const Catalog& catalog_;
  const config::WebConfig& settings_;
  const config::QueryLogConfig* query_log_;       // null when there is no query log
  std::shared_ptr<const TemplateValues> common_;  // organisation, venue, response_time
};

/// What a person typed into the appeal form (or what a block's token pre-filled).
struct AppealInput {
  std::string url{};
  std::string reporter{};  ///< "child", "parent", "webmaster", "other" or ""
  std::string why{};
  std::string contact{};
  std::string token{};  ///< the block's decision token, carried through
  std::string csrf{};
};

/// Field -> catalog key of what is wrong with it.
using FormErrors = std::map<std::string, std::string>;

/// Limits of the appeal form's fields (characters of UTF-8 text).
constexpr std::size_t kMaxUrl = 2000;
constexpr std::size_t kMaxWhy = 2000;
constexpr std::size_t kMaxContact = 200;

/// The appeal form. `authority` set: the block is a legal list's, and the page says from the
/// start that the report goes to that authority; `venue`: a public Wi-Fi's policy, which the
/// venue reviews.
PageSpec appeal_form_page(const AppealInput& input, const FormErrors& errors,
                          const std::string& authority, const Texts& texts, bool venue = false);

/// A case's status page. `secret_url`: this page's own address, shown once so it can be kept.
/// `authority`: the legal list's authority (referred cases).
PageSpec appeal_status_page(const cases::Appeal& appeal, const std::string& authority,
                            const Texts& texts);

/// "Ask my parent": the request's status at `now`.
PageSpec ask_status_page(const cases::AccessRequest& request, std::int64_t now, bool child,
                         const Texts& texts);

/// Check a site: the form, and `check`'s verdict when there is one. `error`: the input does
/// not name a site.
PageSpec check_page(const std::string& input, const std::optional<SiteCheck>& check, bool error,
                    const std::string& appeal_url, const Texts& texts);

/// A short page that says one thing (rate limited, store unavailable, not found).
PageSpec message_page(std::string_view title_key, std::string_view lead_key, const Texts& texts);

}  // namespace shelter::proxy::web
