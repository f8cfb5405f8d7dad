#pragma once
// Structured DNS errors (draft-ietf-dnsop-structured-dns-error): a client that sends an Extended
// DNS Error option with INFO-CODE 0 and no text in its query says it reads I-JSON in EXTRA-TEXT.
// Such a client gets the block as minified JSON: "c" contacts (mailto: and tel: only), "j" the
// justification, "s" a sub-error (6, DNS operator policy, with Blocked; none otherwise), "o" the
// organisation, "l" the language; and never EDE 4 (Forged Answer). Pure.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/dns/wire.h"

namespace shelter::proxy::dns {

/// Whether a query's OPT options ask for structured errors: an EDE option of exactly two bytes,
/// INFO-CODE 0. Options that do not parse ask for nothing.
bool requests_structured_errors(Bytes options);

struct StructuredError {
  std::vector<std::string> contacts;  ///< mailto: or tel: URIs; other schemes are left out
  std::string justification;          ///< "j"
  std::optional<std::uint16_t> suberror;
  std::string organisation;  ///< "o"; empty: left out
  std::string language = "en";
};

/// Keeps an EXTRA-TEXT short enough for UDP answers: past this, "j" then "o" are dropped.
inline constexpr std::size_t kStructuredErrorBudget = 200;

/// The minified JSON, within `budget` bytes when dropping "j" and "o" gets it there (contacts
/// are never cut); "" when there is no contact, since "c" is mandatory.
std::string structured_error_json(const StructuredError& error,
                                  std::size_t budget = kStructuredErrorBudget);

}  // namespace shelter::proxy::dns
