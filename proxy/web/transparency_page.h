#pragma once
// The public transparency report page (GET /transparency on the public listener): a plain GET
// form for the period and the report's figures as tables, in the reader's language, in the
// block page's style. Pure: the route gathers the report (server/block_tally.h).

#include <string>

#include "proxy/cases/transparency.h"
#include "proxy/web/case_pages.h"
#include "proxy/web/page_spec.h"

namespace shelter::proxy::web {

/// The page for the period the reader typed (`from`, `to`, as typed). `report` null: the
/// period did not read (`bad`), and the form says so.
PageSpec transparency_page(const std::string& from, const std::string& to,
                           const cases::Report* report, bool bad, const Texts& texts);

}  // namespace shelter::proxy::web
