#pragma once
// The venue's acceptable-use page (GET /venue on the public listener, when `web.venue` is set):
// its terms, what its Wi-Fi filters and why (in the block page's words for the categories),
// what is kept of browsing (nothing, or what the query log keeps: Texts::said), how to report a
// wrong block, and its contact. Pure: the route gathers what the reader's profile blocks here
// (filtered_categories).

#include <string>
#include <vector>

#include "blocklist/snapshot.h"
#include "policy/category.h"
#include "policy/profile.h"
#include "proxy/config/config.h"
#include "proxy/web/case_pages.h"
#include "proxy/web/page_spec.h"

namespace shelter::proxy::web {

/// The path of the venue page on the public listener.
constexpr std::string_view kVenuePath = "/venue";

/// What the venue page needs beyond the configuration.
struct VenueFacts {
  /// Categories blocked for the reader here ("adult", "malware"), in the snapshot's order.
  std::vector<std::string> categories{};
  /// Where a wrong block is reported: the appeal form, else web.contact; "" when neither.
  std::string report_url{};
};

/// The categories `profile` blocks that a list of `lists` has (a category no list has blocks
/// nothing), and the legal lists' categories, which apply to everyone.
std::vector<std::string> filtered_categories(const policy::Profile& profile,
                                             const policy::CategoryBits& bits,
                                             const blocklist::Snapshot& lists);

/// The page in the reader's language (`texts`), the venue from `texts.settings().venue`.
PageSpec venue_page(const VenueFacts& facts, const Texts& texts);

/// Where the block page links to the venue page: the venue page on the appeal form's server
/// (blocking.appeal-url's scheme, host and port, then kVenuePath). "" when no venue is
/// configured or the appeal URL has no host.
std::string venue_page_url(const config::Config& config);

}  // namespace shelter::proxy::web
