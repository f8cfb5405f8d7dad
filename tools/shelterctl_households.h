#pragma once
// The requests of shelterctl's household, device, profile and audit commands, and the change
// that device bind/unbind and profile set --device make from the household they read first.
// Pure: the household is a parameter.

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tools/shelterctl_args.h"

namespace shelter::tools::ctl {

/// The request of a household, device, profile or audit command (api_call() calls this).
/// Names must have passed valid_name() (parse_args checks them), so the path needs no encoding.
ApiCall household_call(const Invocation& invocation);

/// True for device bind, device unbind with --mac or --address, and profile set --device: their
/// first request reads the household (GET /v1/households/H), and change_call() decides the
/// change from it.
bool reads_household_first(const Invocation& invocation);

/// The change, or why there is none (the device is missing, a binding to remove is not the
/// device's, or the household is not the shape the API promises).
struct ChangeCall {
  std::optional<ApiCall> call;
  std::string error;
};

/// device bind: PUT the device whole, its MACs and addresses merged with the new ones (each
/// binding once: MACs compared without regard to case or separators, addresses as networks,
/// so 203.0.113.7 is 203.0.113.7/32), keeping its other fields unless --profile is given.
/// device unbind: PUT the device without the given bindings. profile set --device: PATCH the
/// household's device's profile. `household` is the GET's answer.
ChangeCall change_call(const Invocation& invocation, const boost::json::value& household);

/// True when two MAC addresses are the same: hex digits compared without regard to case, ':',
/// '-' and '.' ignored.
bool same_mac(std::string_view a, std::string_view b);

/// True when two addresses or CIDR prefixes are the same network: a bare address is a host
/// (/32 or /128), host bits are ignored, IPv6 in any spelling. Text that is not an address is
/// compared as it is.
bool same_address(std::string_view a, std::string_view b);

}  // namespace shelter::tools::ctl
