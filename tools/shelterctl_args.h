#pragma once
// shelterctl's command line, admin address and token, and the API call each command makes.
// Pure: no environment, files or sockets here; main passes in what it read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::tools::ctl {

enum class Action {
  kHelp,
  kVersion,
  kAppealsList,
  kAppealsShow,
  kAppealsDecide,
  kRequestsList,
  kRequestsAnswer,
  kHouseholdList,
  kHouseholdShow,
  kHouseholdAdd,
  kHouseholdRemove,
  kHouseholdAccessCode,
  kListsStatus,
  kListsReload,
  kNodeDrain,
  kNodeUndrain,
  kExplain,
  kSelfTest,
  kDeviceBind,
  kDeviceUnbind,
  kProfileSet,
  kProfileList,
  kProfileShow,
  kProfilePut,
  kProfileRemove,
  kAudit,
  kReport,
};

/// One parsed command line. Strings that an option did not set are empty.
struct Invocation {
  Action action = Action::kHelp;
  std::string help_topic;  ///< kHelp: "" (overview) or a command group ("appeals", ...)
  std::string admin;       ///< --admin URL
  std::string token_file;  ///< --token-file FILE
  std::string id;         ///< appeals show/decide, requests answer; the household of the household,
                          ///< device and profile commands
  std::string verb;       ///< the outcome (uphold|overturn|refer) or answer (15m|...|keep-blocked)
  std::string reason;     ///< appeals decide --reason, trimmed, never empty for kAppealsDecide
  std::string by;         ///< --by NAME; empty means the login name (main fills it in)
  std::string status;     ///< list filter sent to the server: open|closed|all, waiting|answered|all
  std::string household;  ///< requests list --household, profile list/show --household
  std::string device;     ///< device bind/unbind DEVICE, profile set --device
  std::string profile;    ///< household add / device bind --profile, profile set PROFILE,
                          ///< profile show/put/remove NAME
  std::string time_zone;  ///< household add --time-zone
  std::vector<std::string> addresses;  ///< --address, in order given (household add, device)
  std::vector<std::string> macs;       ///< --mac
  std::vector<std::string> cpe_ids;    ///< household add --cpe-id
  std::string file;   ///< profile put --file: the profile's JSON from this file ("-": stdin)
  std::string body;   ///< profile put: that JSON, read by main before api_call()
  std::string after;  ///< household list --after: the page after this id
  int limit = 0;      ///< household list, audit --limit; 0: the server's
  bool json = false;  ///< print the server's JSON instead of a table or summary
  bool csv = false;   ///< report --csv: the server's CSV as it is
  std::string from;   ///< report --from YYYY-MM-DD
  std::string to;     ///< report --to YYYY-MM-DD
  /// self-test --node URL (repeated): each node of a fleet in turn, instead of --admin
  std::vector<std::string> nodes;
};

/// Either an invocation or a usage error (with the help topic to point at).
struct ParseResult {
  std::optional<Invocation> invocation;
  std::string error;
  std::string topic;
};

/// Parses argv[1..]. Options may come before or after the command words; `--opt=value` and
/// `--opt value` both work; `--` ends the options. Every option is checked against the command
/// it is given to.
ParseResult parse_args(const std::vector<std::string_view>& args);

/// The help text of `topic` ("" for the overview, "appeals", "requests", "household",
/// "device", "profile", "audit"); empty when unknown.
std::string_view help_text(std::string_view topic);

/// Where the admin API is: literal addresses only (no name lookups), `localhost` meaning the
/// IPv4 then the IPv6 loopback address.
struct AdminAddress {
  std::vector<std::string> addresses;  ///< literal addresses to try, in order
  std::uint16_t port = 0;
  std::string host_header;  ///< "127.0.0.1:9300", "[::1]:9300", "localhost:9300"
  std::string url;          ///< normalized, for messages: "http://127.0.0.1:9300"
};

struct AdminAddressResult {
  std::optional<AdminAddress> address;
  std::string error;
};

/// Parses `http://HOST:PORT` (one trailing `/` allowed) where HOST is a literal IPv4 address, a
/// bracketed IPv6 address or `localhost`. Anything else (https, a name, a path, user info, a
/// missing port) is an error that says what is wrong (the caller names where the URL came from).
AdminAddressResult parse_admin_url(std::string_view url);

inline constexpr std::string_view kDefaultAdminUrl = "http://127.0.0.1:9300";
inline constexpr std::string_view kDefaultTokenFile = "/etc/shelter/admin.token";

/// The token in a token file's text: the first line that is neither empty nor a comment (`#`),
/// trimmed of surrounding whitespace. Empty when there is none.
std::string token_from_text(std::string_view text);

/// True when `token` can go into an Authorization header as it is: printable ASCII, no spaces.
bool token_is_valid(std::string_view token);

/// The login name to record as the decider: $SUDO_USER, else $USER, else the password entry's
/// name (each passed in; empty when unset).
std::string default_by(std::string_view sudo_user, std::string_view user,
                       std::string_view passwd_name);

/// `text` with every byte outside RFC 3986's unreserved set percent-encoded: safe as one path
/// segment or query value.
std::string percent_encode(std::string_view text);

/// True for a household or device name the admin API takes: 1 to 64 of [A-Za-z0-9._-], and
/// not "." or ".." (dot segments, which URL handling may remove from a path).
bool valid_name(std::string_view name);

enum class Method { kGet, kPost, kPut, kPatch, kDelete };

/// The HTTP request a command makes. Only for the actions that talk to the server.
struct ApiCall {
  Method method = Method::kGet;
  std::string target;  ///< "/v1/appeals?status=open"
  std::string body;    ///< JSON for POST, PUT and PATCH; empty otherwise
};

/// The command's request. For a command that reads the household first
/// (reads_household_first() in shelterctl_households.h), that GET; change_call() there makes
/// the change from its answer.
ApiCall api_call(const Invocation& invocation);

}  // namespace shelter::tools::ctl
