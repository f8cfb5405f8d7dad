#include "tools/shelterctl_args.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <map>

#include "tools/shelterctl_households.h"

namespace shelter::tools::ctl {
namespace {

enum class Arg { kNone, kValue, kRepeated };

// Every option, and whether it takes a value (kRepeated: a value, and may be given again).
const std::map<std::string_view, Arg, std::less<>> kOptions = {
    {"admin", Arg::kValue},     {"token-file", Arg::kValue}, {"reason", Arg::kValue},
    {"by", Arg::kValue},        {"household", Arg::kValue},  {"all", Arg::kNone},
    {"closed", Arg::kNone},     {"answered", Arg::kNone},    {"json", Arg::kNone},
    {"help", Arg::kNone},       {"version", Arg::kNone},     {"after", Arg::kValue},
    {"limit", Arg::kValue},     {"profile", Arg::kValue},    {"time-zone", Arg::kValue},
    {"device", Arg::kValue},    {"address", Arg::kRepeated}, {"mac", Arg::kRepeated},
    {"cpe-id", Arg::kRepeated}, {"file", Arg::kValue},       {"from", Arg::kValue},
    {"to", Arg::kValue},        {"csv", Arg::kNone},         {"node", Arg::kRepeated},
};

struct Scanned {
  std::vector<std::string_view> words;
  // name -> its values in order (one "" for a flag)
  std::map<std::string_view, std::vector<std::string>, std::less<>> options;
  std::string error;

  // The option's (first) value, or null when it was not given.
  const std::string* option(std::string_view name) const {
    auto it = options.find(name);
    return it == options.end() ? nullptr : &it->second.front();
  }
};

// Splits the line into command words and options, checking only the options' own syntax.
Scanned scan(const std::vector<std::string_view>& args) {
  Scanned out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      out.words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h") arg = "--help";
    if (!arg.starts_with("--")) {
      out.error = "unknown option '" + std::string(arg) + "'";
      return out;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (std::size_t eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto known = kOptions.find(name);
    if (known == kOptions.end()) {
      out.error = "unknown option '--" + std::string(name) + "'";
      return out;
    }
    if (known->second != Arg::kRepeated && out.options.contains(name)) {
      out.error = "--" + std::string(name) + " is given twice";
      return out;
    }
    std::string value;
    if (known->second != Arg::kNone) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        out.error = "--" + std::string(name) + " needs a value";
        return out;
      }
    } else if (inline_value) {
      out.error = "--" + std::string(name) + " takes no value";
      return out;
    }
    out.options[name].push_back(std::move(value));
  }
  return out;
}

std::string trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  std::size_t end = text.find_last_not_of(kSpace);
  return std::string(text.substr(begin, end - begin + 1));
}

template <typename Choices>
bool contains(const Choices& choices, std::string_view word) {
  return std::find(choices.begin(), choices.end(), word) != choices.end();
}

bool one_of(std::string_view word, std::initializer_list<std::string_view> choices) {
  return contains(choices, word);
}

struct CommandSpec {
  std::string_view group;  // "appeals", "requests", ...
  std::string_view name;   // "list", ...; empty for a group that is one command ("audit")
  Action action;
  std::size_t operands;                     // words after the command words
  std::array<std::string_view, 6> options;  // unused places empty
  std::string_view needs;                   // the operands, for "'appeals show' needs an ID"
};

// The options every command takes are admin, token-file and help; these are the others.
// clang-format off
constexpr std::array<CommandSpec, 25> kCommands = {{
    {"appeals", "list", Action::kAppealsList, 0, {"all", "closed", "json"}, ""},
    {"appeals", "show", Action::kAppealsShow, 1, {"json"}, "an ID"},
    {"appeals", "decide", Action::kAppealsDecide, 2, {"reason", "by", "json"},
     "an ID and an outcome (uphold, overturn or refer)"},
    {"requests", "list", Action::kRequestsList, 0, {"all", "answered", "household", "json"}, ""},
    {"requests", "answer", Action::kRequestsAnswer, 2, {"by", "json"},
     "an ID and an answer (15m, 1h, today, always or keep-blocked)"},
    {"household", "list", Action::kHouseholdList, 0, {"after", "limit", "json"}, ""},
    {"household", "show", Action::kHouseholdShow, 1, {"json"}, "a household ID"},
    {"household", "add", Action::kHouseholdAdd, 1,
     {"profile", "time-zone", "address", "mac", "cpe-id", "json"}, "a household ID"},
    {"household", "remove", Action::kHouseholdRemove, 1, {"json"}, "a household ID"},
    {"household", "access-code", Action::kHouseholdAccessCode, 1, {"json"}, "a household ID"},
    {"device", "bind", Action::kDeviceBind, 2, {"mac", "address", "profile", "json"},
     "a household ID and a device name"},
    {"device", "unbind", Action::kDeviceUnbind, 2, {"mac", "address", "json"},
     "a household ID and a device name"},
    {"profile", "set", Action::kProfileSet, 2, {"device", "json"}, "a household ID and a profile"},
    {"profile", "list", Action::kProfileList, 0, {"household", "after", "limit", "json"}, ""},
    {"profile", "show", Action::kProfileShow, 1, {"household", "json"}, "a profile name"},
    {"profile", "put", Action::kProfilePut, 2, {"file", "json"},
     "a household ID and a profile name"},
    {"profile", "remove", Action::kProfileRemove, 2, {"json"},
     "a household ID and a profile name"},
    {"audit", "", Action::kAudit, 0, {"limit", "json"}, ""},
    {"lists", "status", Action::kListsStatus, 0, {"json"}, ""},
    {"lists", "reload", Action::kListsReload, 0, {"json"}, ""},
    {"node", "drain", Action::kNodeDrain, 0, {"json"}, ""},
    {"node", "undrain", Action::kNodeUndrain, 0, {"json"}, ""},
    {"explain", "", Action::kExplain, 2, {"json"}, "a client address and a name or URL"},
    {"self-test", "", Action::kSelfTest, 0, {"node", "json"}, ""},
    {"report", "", Action::kReport, 0, {"from", "to", "csv", "json"}, ""},
}};
// clang-format on

bool known_group(std::string_view group) {
  return std::any_of(kCommands.begin(), kCommands.end(),
                     [&](const CommandSpec& spec) { return spec.group == group; });
}

// "list, show or decide": the commands of `group`.
std::string commands_of(std::string_view group) {
  std::vector<std::string_view> names;
  for (const CommandSpec& spec : kCommands)
    if (spec.group == group) names.push_back(spec.name);
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::string check_name(std::string_view what, const std::string& name) {
  if (valid_name(name)) return {};
  return "'" + name + "' is not a " + std::string(what) +
         ": give 1 to 64 letters, digits, '.', '_' or '-'";
}

// --limit N: a whole number from 1 (the server says how many it allows at most).
std::string read_limit(const Scanned& scanned, int& limit) {
  const std::string* text = scanned.option("limit");
  if (text == nullptr) return {};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || limit < 1)
    return "--limit takes a whole number from 1, not '" + *text + "'";
  return {};
}

// Every value of a repeatable option, trimmed; an error names an empty one.
std::string read_values(const Scanned& scanned, std::string_view name, std::string_view what,
                        std::vector<std::string>& out) {
  auto it = scanned.options.find(name);
  if (it == scanned.options.end()) return {};
  for (const std::string& value : it->second) {
    out.push_back(trim(value));
    if (out.back().empty()) return "--" + std::string(name) + " needs " + std::string(what);
  }
  return {};
}

// A single-valued option, trimmed; an error when it was given empty.
std::string read_value(const Scanned& scanned, std::string_view name, std::string_view what,
                       std::string& out) {
  const std::string* value = scanned.option(name);
  if (value == nullptr) return {};
  out = trim(*value);
  return out.empty() ? "--" + std::string(name) + " needs " + std::string(what) : "";
}

// The operands and options of appeals and requests commands.
std::string fill_cases(const Scanned& scanned, std::size_t first, Invocation& inv) {
  inv.id = scanned.words[first];
  if (inv.id.empty() || inv.id == "." || inv.id == "..") return "'" + inv.id + "' is not an ID";
  if (inv.action == Action::kAppealsShow) return {};
  inv.verb = scanned.words[first + 1];
  if (std::string error = read_value(scanned, "by", "a name", inv.by); !error.empty()) return error;
  if (inv.action == Action::kAppealsDecide) {
    if (!one_of(inv.verb, {"uphold", "overturn", "refer"}))
      return "the outcome is uphold, overturn or refer, not '" + inv.verb + "'";
    if (const std::string* reason = scanned.option("reason")) inv.reason = trim(*reason);
    if (inv.reason.empty()) return "say why with --reason TEXT: it is recorded with the decision";
  } else if (!one_of(inv.verb, {"15m", "1h", "today", "always", "keep-blocked"})) {
    return "the answer is 15m, 1h, today, always or keep-blocked, not '" + inv.verb + "'";
  }
  return {};
}

// profile list and show: --household H asks for that household's own profiles; without it,
// the presets and operator profiles (which page: --after NAME, --limit N).
std::string fill_profile_query(const Scanned& scanned, std::size_t first, Invocation& inv) {
  std::string error = read_value(scanned, "household", "a household ID", inv.household);
  if (error.empty() && !inv.household.empty()) error = check_name("household ID", inv.household);
  if (inv.action == Action::kProfileShow) {
    inv.profile = scanned.words[first];
    if (error.empty()) error = check_name("profile name", inv.profile);
  }
  if (const std::string* after = scanned.option("after")) {
    inv.after = *after;
    if (error.empty()) error = check_name("profile name", inv.after);
  }
  if (error.empty() && !inv.household.empty() &&
      (scanned.option("after") || scanned.option("limit")))
    error =
        "--after and --limit page the presets and operator profiles; a household's own "
        "profiles come in one answer";
  return error;
}

// The household, device, profile and audit commands' operands and options.
std::string fill_households(const Scanned& scanned, std::size_t first, Invocation& inv) {
  const auto& words = scanned.words;
  std::string error;
  auto then = [&error](std::string next) {
    if (error.empty()) error = std::move(next);
  };
  if (inv.action == Action::kHouseholdList) {
    if (const std::string* after = scanned.option("after")) {
      inv.after = *after;
      then(check_name("household ID", inv.after));
    }
  } else if (inv.action == Action::kProfileList || inv.action == Action::kProfileShow) {
    then(fill_profile_query(scanned, first, inv));
  } else if (inv.action != Action::kAudit) {
    inv.id = words[first];
    then(check_name("household ID", inv.id));
  }
  then(read_limit(scanned, inv.limit));
  then(read_value(scanned, "profile", "a profile", inv.profile));
  then(read_value(scanned, "time-zone", "a time zone, such as Europe/London", inv.time_zone));
  then(read_values(scanned, "address", "an address", inv.addresses));
  then(read_values(scanned, "mac", "a MAC address", inv.macs));
  then(read_values(scanned, "cpe-id", "a CPE id", inv.cpe_ids));
  if (inv.action == Action::kDeviceBind || inv.action == Action::kDeviceUnbind) {
    inv.device = words[first + 1];
    then(check_name("device name", inv.device));
  }
  if (inv.action == Action::kDeviceBind && inv.macs.empty() && inv.addresses.empty() &&
      inv.profile.empty())
    then("say what to bind: --mac, --address or --profile");
  if (inv.action == Action::kProfilePut || inv.action == Action::kProfileRemove) {
    inv.profile = words[first + 1];
    then(check_name("profile name", inv.profile));
  }
  if (inv.action == Action::kProfilePut) {
    then(read_value(scanned, "file", "a file, or - for standard input", inv.file));
    if (inv.file.empty()) then("give the profile's JSON with --file FILE (- reads standard input)");
  }
  if (inv.action == Action::kProfileSet) {
    inv.profile = trim(words[first + 1]);
    if (inv.profile.empty()) then("'profile set' needs a profile");
    if (const std::string* device = scanned.option("device")) {
      inv.device = *device;
      then(check_name("device name", inv.device));
    }
  }
  return error;
}

// report: the period (checked by the server, which says what is wrong) and the output.
std::string fill_report(const Scanned& scanned, Invocation& inv) {
  if (inv.json && scanned.option("csv")) return "give --csv or --json, not both";
  inv.csv = scanned.option("csv") != nullptr;
  std::string error = read_value(scanned, "from", "a date (YYYY-MM-DD)", inv.from);
  if (error.empty()) error = read_value(scanned, "to", "a date (YYYY-MM-DD)", inv.to);
  return error;
}

// The command's operands and options into `inv`; returns an error or "".
std::string fill(const CommandSpec& spec, const Scanned& scanned, Invocation& inv) {
  std::string command(spec.group);
  if (!spec.name.empty()) command += " " + std::string(spec.name);
  for (const auto& [name, value] : scanned.options) {
    if (one_of(name, {"admin", "token-file", "help", "version"})) continue;
    if (!contains(spec.options, name))
      return "--" + std::string(name) + " is not an option of '" + command + "'";
  }
  const std::size_t first = spec.name.empty() ? 1 : 2;
  const std::size_t given = scanned.words.size() - first;
  if (given < spec.operands) return "'" + command + "' needs " + std::string(spec.needs);
  if (given > spec.operands)
    return "unexpected '" + std::string(scanned.words[first + spec.operands]) + "' after '" +
           command + "'";
  inv.action = spec.action;
  inv.json = scanned.option("json") != nullptr;
  switch (spec.action) {
    case Action::kAppealsList:
      if (scanned.option("all") && scanned.option("closed"))
        return "give --all or --closed, not both";
      inv.status = scanned.option("all") ? "all" : scanned.option("closed") ? "closed" : "open";
      return {};
    case Action::kRequestsList:
      if (scanned.option("all") && scanned.option("answered"))
        return "give --all or --answered, not both";
      inv.status = scanned.option("all")        ? "all"
                   : scanned.option("answered") ? "answered"
                                                : "waiting";
      return read_value(scanned, "household", "a household", inv.household);
    case Action::kAppealsShow:
    case Action::kAppealsDecide:
    case Action::kRequestsAnswer:
      return fill_cases(scanned, first, inv);
    case Action::kListsStatus:
    case Action::kListsReload:
    case Action::kNodeDrain:
    case Action::kNodeUndrain:
      return {};
    case Action::kSelfTest:
      if (scanned.option("admin") && scanned.options.contains("node"))
        return "give the nodes with --node, not --admin as well";
      return read_values(scanned, "node", "a node's admin URL", inv.nodes);
    case Action::kReport:
      return fill_report(scanned, inv);
    case Action::kExplain:
      inv.id = trim(scanned.words[first]);        // the client's address
      inv.verb = trim(scanned.words[first + 1]);  // the name or URL
      if (inv.id.empty() || inv.verb.empty())
        return "'explain' needs a client address and a name or URL";
      return {};
    default:
      return fill_households(scanned, first, inv);
  }
}

ParseResult help_for(const Scanned& scanned, std::size_t first_topic_word) {
  ParseResult result;
  if (first_topic_word == 0 && !scanned.words.empty() && scanned.words[0] == "help")
    first_topic_word = 1;
  std::string_view topic =
      scanned.words.size() > first_topic_word ? scanned.words[first_topic_word] : "";
  if (help_text(topic).empty()) {
    result.error = "no help on '" + std::string(topic) +
                   "'; try appeals, requests, household, device, profile or audit";
    return result;
  }
  result.invocation.emplace();
  result.invocation->action = Action::kHelp;
  result.invocation->help_topic = topic;
  return result;
}

}  // namespace

ParseResult parse_args(const std::vector<std::string_view>& args) {
  Scanned scanned = scan(args);
  ParseResult result;
  if (!scanned.error.empty()) {
    result.error = std::move(scanned.error);
    if (!scanned.words.empty() && known_group(scanned.words[0])) result.topic = scanned.words[0];
    return result;
  }
  if (scanned.options.contains("version")) {
    result.invocation.emplace();
    result.invocation->action = Action::kVersion;
    return result;
  }
  if (scanned.options.contains("help")) return help_for(scanned, 0);
  if (scanned.words.empty()) {
    result.error = "give a command";
    return result;
  }
  if (scanned.words[0] == "help") return help_for(scanned, 1);
  const std::string_view group = scanned.words[0];
  if (!known_group(group)) {
    result.error = "unknown command '" + std::string(group) + "'";
    return result;
  }
  result.topic = group;
  for (const CommandSpec& spec : kCommands) {
    if (spec.group != group) continue;
    if (!spec.name.empty() && (scanned.words.size() < 2 || spec.name != scanned.words[1])) continue;
    Invocation inv;
    if (const std::string* admin = scanned.option("admin")) inv.admin = *admin;
    if (const std::string* file = scanned.option("token-file")) inv.token_file = *file;
    if (std::string error = fill(spec, scanned, inv); !error.empty()) {
      result.error = std::move(error);
      return result;
    }
    result.invocation = std::move(inv);
    return result;
  }
  if (scanned.words.size() < 2) {
    result.error = "'" + std::string(group) + "' needs a command: " + commands_of(group);
    return result;
  }
  result.error =
      "unknown command '" + std::string(group) + " " + std::string(scanned.words[1]) + "'";
  return result;
}

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_ipv4(const std::string& text) {
  in_addr out{};
  return ::inet_pton(AF_INET, text.c_str(), &out) == 1;
}

bool is_ipv6(const std::string& text) {
  in6_addr out{};
  return ::inet_pton(AF_INET6, text.c_str(), &out) == 1;
}

}  // namespace

AdminAddressResult parse_admin_url(std::string_view url) {
  AdminAddressResult result;
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    result.error = "give http://ADDRESS:PORT (the admin API is plain HTTP on loopback)";
    return result;
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    result.error = "give only http://ADDRESS:PORT, no path";
    return result;
  }
  if (rest.find('@') != std::string_view::npos) {
    result.error =
        "no user name in the URL; the token comes from SHELTER_ADMIN_TOKEN "
        "or --token-file";
    return result;
  }
  std::string host;
  std::string_view port_text;
  AdminAddress address;
  if (rest.starts_with('[')) {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos || !is_ipv6(std::string(rest.substr(1, close - 1)))) {
      result.error = "not a literal IPv6 address in brackets";
      return result;
    }
    host = rest.substr(1, close - 1);
    address.addresses = {host};
    address.host_header = "[" + host + "]";
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      result.error = "unexpected '" + std::string(rest) + "' after the address";
      return result;
    }
    port_text = rest.empty() ? rest : rest.substr(1);
  } else {
    std::size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    port_text = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (host == "localhost") {
      address.addresses = {"127.0.0.1", "::1"};
    } else if (is_ipv4(host)) {
      address.addresses = {host};
    } else {
      result.error = (host.find(':') != std::string::npos
                          ? "put an IPv6 address in brackets: http://[::1]:9300"
                          : "give a literal IP address or localhost (no name lookups)");
      return result;
    }
    address.host_header = host;
  }
  std::optional<std::uint16_t> port = parse_port(port_text);
  if (!port) {
    result.error = (port_text.empty() ? "give the port, as in http://127.0.0.1:9300"
                                      : "the port must be a number from 1 to 65535");
    return result;
  }
  address.port = *port;
  address.host_header += ":" + std::to_string(*port);
  address.url = "http://" + address.host_header;
  result.address = std::move(address);
  return result;
}

std::string token_from_text(std::string_view text) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string line = trim(text.substr(0, end));
    if (!line.empty() && line[0] != '#') return line;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
}

bool token_is_valid(std::string_view token) {
  return !token.empty() &&
         std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string default_by(std::string_view sudo_user, std::string_view user,
                       std::string_view passwd_name) {
  for (std::string_view name : {sudo_user, user, passwd_name})
    if (std::string trimmed = trim(name); !trimmed.empty()) return trimmed;
  return {};
}

std::string percent_encode(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                  c == '-';
         });
}

ApiCall api_call(const Invocation& inv) {
  ApiCall call;
  switch (inv.action) {
    case Action::kAppealsList:
      call.target = "/v1/appeals?status=" + inv.status;
      break;
    case Action::kAppealsShow:
      call.target = "/v1/appeals/" + percent_encode(inv.id);
      break;
    case Action::kAppealsDecide:
      call.method = Method::kPost;
      call.target = "/v1/appeals/" + percent_encode(inv.id) + "/decision";
      call.body = boost::json::serialize(
          boost::json::object{{"outcome", inv.verb}, {"reason", inv.reason}, {"by", inv.by}});
      break;
    case Action::kRequestsList:
      call.target = "/v1/requests?status=" + inv.status;
      if (!inv.household.empty()) call.target += "&household=" + percent_encode(inv.household);
      break;
    case Action::kRequestsAnswer:
      call.method = Method::kPost;
      call.target = "/v1/requests/" + percent_encode(inv.id) + "/answer";
      call.body = boost::json::serialize(boost::json::object{{"answer", inv.verb}, {"by", inv.by}});
      break;
    case Action::kListsStatus:
      call.target = "/v1/lists";
      break;
    case Action::kSelfTest:
      call.target = "/v1/self-test";
      break;
    case Action::kReport: {
      call.target = inv.csv ? "/v1/transparency.csv" : "/v1/transparency";
      std::string query;
      if (!inv.from.empty()) query += "&from=" + percent_encode(inv.from);
      if (!inv.to.empty()) query += "&to=" + percent_encode(inv.to);
      if (!query.empty()) call.target += "?" + query.substr(1);
      break;
    }
    case Action::kListsReload:
      call.method = Method::kPost;
      call.target = "/v1/lists/reload";
      break;
    case Action::kNodeDrain:
    case Action::kNodeUndrain:
      call.method = inv.action == Action::kNodeDrain ? Method::kPost : Method::kDelete;
      call.target = "/v1/node/drain";
      break;
    case Action::kExplain:
      // A name has no '/' or ':'; anything else is read as a URL.
      call.target = "/v1/explain?client=" + percent_encode(inv.id) +
                    (inv.verb.find_first_of("/:") == std::string::npos ? "&site=" : "&url=") +
                    percent_encode(inv.verb);
      break;
    case Action::kHelp:
    case Action::kVersion:
      break;
    default:
      call = household_call(inv);
      break;
  }
  return call;
}

}  // namespace shelter::tools::ctl
