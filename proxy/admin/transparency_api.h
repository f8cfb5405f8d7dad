#pragma once
// The transparency report on the admin API (cases/transparency.h):
//
//   GET /v1/transparency?from=YYYY-MM-DD&to=YYYY-MM-DD       JSON
//   GET /v1/transparency.csv?from=YYYY-MM-DD&to=YYYY-MM-DD   text/csv, one row per figure
//
// Whole UTC days, the last 30 by default, at most 366; 400 with the reason otherwise.

#include <boost/asio/awaitable.hpp>

#include "proxy/cases/case_store.h"
#include "proxy/http/message.h"
#include "proxy/server/block_tally.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::admin {

boost::asio::awaitable<http::Response> transparency(const http::Request& request,
                                                    const server::RuntimeHolder& runtime,
                                                    server::BlockTally& tally,
                                                    cases::CaseStore* store, bool csv);

}  // namespace shelter::proxy::admin
