#pragma once
// Internal to proxy/config: the reader of `web.venue` (a public Wi-Fi's name, terms and
// contact). Kept beside loader.cc's table of keys so that file stays a table.

#include "proxy/config/config.h"
#include "proxy/config/yaml_fields.h"

namespace shelter::proxy::config::detail {

/// `venue: Café Example`, or a mapping {name, terms, contact: {email, phone, web}}; terms are
/// a list of paragraphs or one text whose blank lines separate paragraphs.
Handler venue_into(Ctx& c, VenueConfig& venue);

}  // namespace shelter::proxy::config::detail
