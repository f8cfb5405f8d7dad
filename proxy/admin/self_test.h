#pragma once
// The self-test an authority asks its members to run (the IWF: every quarter): the configured
// names and URLs that must be blocked (its test URLs) and those that must not be, decided on
// this node by the lists and profiles in force, for the configured client (admin.self-test).
// The report names the node and the time and is signed with the node's token key, so that it
// can be filed as evidence and checked later by any node holding the key.
//
//   GET  /v1/self-test           the report (200 whether it passed or not: "passed" says)
//   POST /v1/self-test/verify    {"valid": true|false} for a report given back

#include <cstdint>
#include <optional>
#include <string>

#include "proxy/server/runtime.h"
#include "proxy/web/signed_token.h"

namespace shelter::proxy::admin {

/// The client the self-test decides for: admin.self-test.client, else an address no binding
/// can name.
net::Address self_test_client(const server::Runtime& runtime);

/// Runs the self-test now; the signed report (JSON). `node`: this node's name. `stored`: the
/// client's household as the store has it, when this node does not hold it yet (explain_subject).
std::string self_test_report(const server::Runtime& runtime, const web::TokenKeys& keys,
                             const std::string& node, std::int64_t now,
                             const profiles::Household* stored = nullptr);

/// Whether `report_json` is a report a holder of `keys` signed, unchanged. nullopt when it is
/// not a report at all.
std::optional<bool> verify_self_test(std::string_view report_json, const web::TokenKeys& keys);

}  // namespace shelter::proxy::admin
