#pragma once
// The block page: who blocked what, why and when, in words for its reader (a child, a teen, an
// adult, a visitor of a public Wi-Fi), with what they can do next. Pure: the web front decides
// again for the requester and hands this the facts; nothing here does I/O.
//
// Only top-level navigations get the page (Sec-Fetch-Dest: document or Sec-Fetch-Mode:
// navigate; without Fetch Metadata, an Accept that names text/html). Images, scripts, API calls
// and apps get a tiny 403, so that a page with 40 blocked trackers does not render 40 pages.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "policy/decide.h"
#include "proxy/config/config.h"
#include "proxy/http/message.h"
#include "proxy/web/pages.h"

namespace shelter::proxy::web {

/// Where "Ask my parent" posts, on the blocked host itself (its name resolves to the block
/// address): a path no site's page can be confused with.
inline constexpr std::string_view kAskPath = "/.shelter/ask";

/// Which page: the reason's class first (legal, security), then the reader's age band.
enum class PageKind : std::uint8_t { child, teen, general, venue, security, legal, not_blocked };

/// "child", "teen", "general", "venue", "security", "legal", "not-blocked".
std::string_view kind_name(PageKind kind);

/// What the page says, from the decision made again for the requester.
struct BlockView {
  PageKind kind = PageKind::general;
  std::string site;      ///< the host asked for; never shown on a legal page
  std::string category;  ///< the deciding rule's category ("adult")
  policy::Reason reason = policy::Reason::list;
  std::string authority;      ///< the list's authority (legal pages)
  std::string appeal;         ///< the list's appeal route (legal pages)
  std::string schedule_name;  ///< reason == schedule
  std::int64_t until = 0;     ///< reason == paused or schedule: when it ends (UTC seconds)
  bool household = false;     ///< the requester was identified: their household's settings
  std::string list;           ///< the deciding list's id
  /// "Report a mistake": the appeal form with this block's decision token ("" = web.contact).
  std::string report_url;
  /// "Ask my parent": the form's CSRF token ("" = no button: not a parental block, or the
  /// requester's household is unknown).
  std::string ask_csrf;
  /// The venue's page (web.venue; venue_page.h), linked from the page ("" = none: no venue,
  /// or a child's, teen's or legal page).
  std::string venue_url;
};

/// Whether the requester may "Ask my parent" about this block: a parental block (a list
/// category or the household's own deny entry) on a child's or teen's page, of an identified
/// household. Never for legal, security, venue, schedule or pause blocks.
bool may_ask(const BlockView& view);

/// The page for `decision` on `site`, for a subscriber whose profile has `audience`.
BlockView view_of(const policy::Decision& decision, std::string site, policy::Audience audience,
                  bool household);

/// Rendered pages, by what they show and the minute they show it: the same blocked site is
/// asked for again and again (a child reloads, a page retries), and rendering costs more than
/// serving. Bounded; the web front empties it when the pages or the configuration change.
/// Thread-safe.
class PageCache {
 public:
  static constexpr std::size_t kCapacity = 1024;
  std::optional<std::string> find(const std::string& key) const;
  void store(std::string key, std::string body);
  void clear();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> pages_;
};

/// Whether `request` is a top-level navigation that should get the page.
bool wants_page(const http::Request& request);

/// The page's HTML for `view` in `catalog`'s language, at `now`.
std::string render_page(const BlockView& view, const Pages& pages, const Catalog& catalog,
                        const config::WebConfig& settings, std::int64_t now);

/// The response to a request for a blocked site: the page (from `cache` when it holds it), or
/// the tiny 403.
http::Response block_response(const http::Request& request, const BlockView& view,
                              const Pages& pages, const config::WebConfig& settings,
                              std::int64_t now, PageCache* cache = nullptr);

}  // namespace shelter::proxy::web
