#pragma once
// Check a site: what the network's lists (not a household's settings) say about a host or URL
// that anyone types in. Pure. A legal list is only ever reported as "restricted by its
// authority" for the host, whatever page was typed: the answer never confirms which URL of a
// site is listed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "blocklist/snapshot.h"
#include "policy/entry_set.h"

namespace shelter::proxy::web {

struct SiteCheck {
  enum class Verdict : std::uint8_t {
    open,       ///< nothing blocks it
    allowed,    ///< an operator allowed it after an appeal
    blocked,    ///< a list blocks it (or the page typed)
    pages,      ///< some pages of the host are listed; the rest is open
    authority,  ///< a legal list restricts the host or pages on it: never which
  } verdict = Verdict::open;
  std::string site;  ///< the host, normalised
  /// The deciding list and its category. For `authority`, the legal list, which an appeal's
  /// referral names: check a site never shows it.
  std::string list;
  std::string category;
  std::string authority;
  std::string appeal;  ///< the legal list's own appeal route
};

std::string_view verdict_name(SiteCheck::Verdict verdict);  ///< "open", ..., "restricted"

/// The host of what someone typed: "example.com", "https://Example.com/page?q", "例え.jp".
/// Null when it names no site. `path` gets the canonical path when a URL was typed.
std::optional<std::string> typed_host(std::string_view input, std::string* path = nullptr);

/// What the lists say about `input`. Null when it names no site.
std::optional<SiteCheck> check_site(std::string_view input, const blocklist::Snapshot& lists,
                                    const policy::EntrySet* operator_allow);

}  // namespace shelter::proxy::web
