#pragma once
// A legal list's appeal is referred to the list's authority, which alone decides: the referral
// carries what such authorities ask for (the URL, the operator, the date and time, the
// reporter's reason) and goes out through what the operator configured: a program that gets it
// as JSON on its standard input (to mail it, or to call the authority's API), and/or a webhook
// it is POSTed to.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/cases/case.h"
#include "proxy/config/config.h"

namespace shelter::proxy::cases {

/// The referral as JSON (I-JSON; the contact only when the reporter gave one).
std::string referral_json(const Appeal& appeal, std::string_view organisation);

/// Delivers it: runs cases.referral-command and/or POSTs to cases.referral-webhook, each within
/// 10 seconds. Blocking: call it away from the web and DNS threads. `delivered` when every
/// configured way succeeded; nothing configured is "not delivered: nothing configured".
Referral deliver_referral(const Appeal& appeal, const config::CasesConfig& config,
                          std::string_view organisation, std::int64_t now);

}  // namespace shelter::proxy::cases
