#pragma once
// shelterctl's one HTTP/1.1 exchange with the admin API. Asio and Beast stay in the .cc.

#include <optional>
#include <string>
#include <string_view>

#include "tools/shelterctl_args.h"

namespace shelter::tools::ctl {

struct HttpAnswer {
  int status = 0;
  std::string reason;  ///< the reason phrase as sent
  std::string body;
};

enum class Failure {
  kNone,
  kConnect,    ///< no connection to any of the addresses (refused, unreachable, timed out)
  kTransport,  ///< connected, but no whole answer (reset, timed out, not HTTP)
  kTooLarge,   ///< the answer's body is over kBodyLimit
};

struct Exchange {
  std::optional<HttpAnswer> answer;  ///< set when failure is kNone
  Failure failure = Failure::kNone;
  std::string error;  ///< what went wrong, for a message
};

inline constexpr std::size_t kBodyLimit = 8 * 1024 * 1024;
inline constexpr int kTimeoutSeconds = 10;

/// Sends `call` with `Authorization: Bearer token` to `address` (trying its addresses in
/// order) and reads the answer; at most kTimeoutSeconds for the whole exchange. Blocks.
Exchange http_exchange(const AdminAddress& address, const ApiCall& call, std::string_view token,
                       std::string_view user_agent);

}  // namespace shelter::tools::ctl
