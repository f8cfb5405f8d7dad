#pragma once
// Cases as JSON: how the stores keep them and the admin API shows them. Reading is strict (a
// stored record that does not read back is reported, never half-used).

#include <optional>
#include <string>
#include <string_view>

#include "proxy/cases/case.h"

namespace shelter::proxy::cases {

/// What a JSON text shows of an appeal.
enum class Detail : std::uint8_t {
  summary,  ///< lists: no contact, no URL, no household, no secret hash
  full,     ///< one case for the operator: contact, URL and household too (a legal list's URL
            ///< included: the operator refers it), never the secret hash
  stored,   ///< everything, for the store
};

std::string to_json(const Appeal& appeal, Detail detail);
std::string to_json(const AccessRequest& request);
std::string to_json(const Grant& grant);
std::string to_json(const OperatorAllow& allow);

/// Null, with the reason in `error`, when `text` is not a stored record of that kind.
std::optional<Appeal> appeal_from_json(std::string_view text, std::string& error);
std::optional<AccessRequest> request_from_json(std::string_view text, std::string& error);
std::optional<Grant> grant_from_json(std::string_view text, std::string& error);
std::optional<OperatorAllow> allow_from_json(std::string_view text, std::string& error);

}  // namespace shelter::proxy::cases
