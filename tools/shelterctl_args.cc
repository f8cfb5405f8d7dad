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

namespace shelter::tools::ctl {
namespace {

constexpr std::string_view kOverview =
    R"help(Usage: shelterctl [--admin URL] [--token-file FILE] COMMAND [ARGS]

The operator's tool over shelterd's admin API (HTTP on loopback, with a bearer token).

Commands:
  appeals list [--all|--closed] [--json]
  appeals show ID [--json]
  appeals decide ID uphold|overturn|refer --reason TEXT [--by NAME] [--json]
  requests list [--all|--answered] [--household H] [--json]
  requests answer ID 15m|1h|today|always|keep-blocked [--by NAME] [--json]
  help [appeals|requests]

Options (anywhere on the line):
  --admin URL        the admin API: http://ADDRESS:PORT with a literal IPv4 address, a
                     bracketed IPv6 address or localhost (default $SHELTER_ADMIN, else
                     http://127.0.0.1:9300; shelterd's admin.listen)
  --token-file FILE  read the bearer token from FILE: its first line that is neither empty nor
                     a # comment. Without this option the token is $SHELTER_ADMIN_TOKEN, else
                     the one in /etc/shelter/admin.token
  --help             this help; `shelterctl help appeals` for one command
  --version          print the version

Exit status: 0 done; 1 the server answered with an error (its text and status are printed);
2 bad usage or no token; 3 the admin API cannot be reached.
)help";

constexpr std::string_view kAppeals = R"help(Usage:
  shelterctl appeals list [--all|--closed] [--json]
  shelterctl appeals show ID [--json]
  shelterctl appeals decide ID uphold|overturn|refer --reason TEXT [--by NAME] [--json]

Appeals against a block, from a child, a parent or a webmaster, arriving by the operator's
pages, an authority or a venue.

  list      the open appeals (--closed: decided ones; --all: both), newest first: id, age,
            route, status, reporter, site ("(legal list)" for a site on a legal list) and
            list/category
  show      every field of one appeal, one a line, times in ISO 8601 UTC
  decide    uphold (the block stays), overturn (the site is allowed on every node within
            seconds) or refer (hand it to whoever keeps the list); prints the new status
  --reason TEXT  why: required, recorded with the decision
  --by NAME      who decided (default: $SUDO_USER, else $USER, else your login name)
  --json         print the server's JSON as it came instead of a table or summary
)help";

constexpr std::string_view kRequests = R"help(Usage:
  shelterctl requests list [--all|--answered] [--household H] [--json]
  shelterctl requests answer ID 15m|1h|today|always|keep-blocked [--by NAME] [--json]

Requests from a household's device to open a blocked site.

  list      the waiting requests (--answered: answered or expired ones; --all: both), newest
            first; --household H for one household's only
  answer    allow the site for 15 minutes, an hour, the rest of today or always, or keep it
            blocked; prints the new status
  --by NAME      who answered (default: $SUDO_USER, else $USER, else your login name)
  --json         print the server's JSON as it came instead of a table or summary
)help";

enum class Arg { kNone, kValue };

// Every option, and whether it takes a value.
const std::map<std::string_view, Arg, std::less<>> kOptions = {
    {"admin", Arg::kValue}, {"token-file", Arg::kValue}, {"reason", Arg::kValue},
    {"by", Arg::kValue},    {"household", Arg::kValue},  {"all", Arg::kNone},
    {"closed", Arg::kNone}, {"answered", Arg::kNone},    {"json", Arg::kNone},
    {"help", Arg::kNone},   {"version", Arg::kNone},
};

struct Scanned {
  std::vector<std::string_view> words;
  std::map<std::string_view, std::string, std::less<>> options;  // name -> value ("" for flags)
  std::string error;
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
    if (out.options.contains(name)) {
      out.error = "--" + std::string(name) + " is given twice";
      return out;
    }
    std::string value;
    if (known->second == Arg::kValue) {
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
    out.options.emplace(name, std::move(value));
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
  std::string_view group;  // "appeals", "requests"
  std::string_view name;   // "list", ...
  Action action;
  std::size_t operands;                     // words after the two command words
  std::array<std::string_view, 4> options;  // unused places empty
};

// The options every command takes are admin, token-file and help; these are the others.
constexpr std::array<CommandSpec, 5> kCommands = {{
    {"appeals", "list", Action::kAppealsList, 0, {"all", "closed", "json"}},
    {"appeals", "show", Action::kAppealsShow, 1, {"json"}},
    {"appeals", "decide", Action::kAppealsDecide, 2, {"reason", "by", "json"}},
    {"requests", "list", Action::kRequestsList, 0, {"all", "answered", "household", "json"}},
    {"requests", "answer", Action::kRequestsAnswer, 2, {"by", "json"}},
}};

// The command's operands and options into `inv`; returns an error or "".
std::string fill(const CommandSpec& spec, const Scanned& scanned, Invocation& inv) {
  const std::string command = std::string(spec.group) + " " + std::string(spec.name);
  for (const auto& [name, value] : scanned.options) {
    if (one_of(name, {"admin", "token-file", "help", "version"})) continue;
    if (!contains(spec.options, name))
      return "--" + std::string(name) + " is not an option of '" + command + "'";
  }
  const std::size_t given = scanned.words.size() - 2;
  if (given < spec.operands) {
    return spec.operands == 1 ? "'" + command + "' needs an ID"
                              : "'" + command + "' needs an ID and " +
                                    (spec.action == Action::kAppealsDecide
                                         ? "an outcome (uphold, overturn or refer)"
                                         : "an answer (15m, 1h, today, always or keep-blocked)");
  }
  if (given > spec.operands)
    return "unexpected '" + std::string(scanned.words[2 + spec.operands]) + "' after '" + command +
           "'";
  auto option = [&](std::string_view name) -> const std::string* {
    auto it = scanned.options.find(name);
    return it == scanned.options.end() ? nullptr : &it->second;
  };
  inv.action = spec.action;
  inv.json = option("json") != nullptr;
  if (spec.operands > 0) {
    inv.id = scanned.words[2];
    if (inv.id.empty() || inv.id == "." || inv.id == "..") return "'" + inv.id + "' is not an ID";
  }
  if (spec.operands > 1) inv.verb = scanned.words[3];
  if (const std::string* by = option("by")) {
    inv.by = trim(*by);
    if (inv.by.empty()) return "--by needs a name";
  }
  switch (spec.action) {
    case Action::kAppealsList:
      if (option("all") && option("closed")) return "give --all or --closed, not both";
      inv.status = option("all") ? "all" : option("closed") ? "closed" : "open";
      break;
    case Action::kAppealsDecide:
      if (!one_of(inv.verb, {"uphold", "overturn", "refer"}))
        return "the outcome is uphold, overturn or refer, not '" + inv.verb + "'";
      if (const std::string* reason = option("reason")) inv.reason = trim(*reason);
      if (inv.reason.empty()) return "say why with --reason TEXT: it is recorded with the decision";
      break;
    case Action::kRequestsList:
      if (option("all") && option("answered")) return "give --all or --answered, not both";
      inv.status = option("all") ? "all" : option("answered") ? "answered" : "waiting";
      if (const std::string* household = option("household")) {
        inv.household = trim(*household);
        if (inv.household.empty()) return "--household needs a household";
      }
      break;
    case Action::kRequestsAnswer:
      if (!one_of(inv.verb, {"15m", "1h", "today", "always", "keep-blocked"}))
        return "the answer is 15m, 1h, today, always or keep-blocked, not '" + inv.verb + "'";
      break;
    default:
      break;
  }
  return {};
}

ParseResult help_for(const Scanned& scanned, std::size_t first_topic_word) {
  ParseResult result;
  if (first_topic_word == 0 && !scanned.words.empty() && scanned.words[0] == "help")
    first_topic_word = 1;
  std::string_view topic =
      scanned.words.size() > first_topic_word ? scanned.words[first_topic_word] : "";
  if (help_text(topic).empty()) {
    result.error = "no help on '" + std::string(topic) + "'; try appeals or requests";
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
    if (!scanned.words.empty()) result.topic = scanned.words[0];
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
  result.topic = group;
  if (group != "appeals" && group != "requests") {
    result.topic.clear();
    result.error = "unknown command '" + std::string(group) + "'";
    return result;
  }
  if (scanned.words.size() < 2) {
    result.error = "'" + std::string(group) + "' needs a command: " +
                   (group == "appeals" ? "list, show or decide" : "list or answer");
    return result;
  }
  for (const CommandSpec& spec : kCommands) {
    if (spec.group != group || spec.name != scanned.words[1]) continue;
    Invocation inv;
    if (auto it = scanned.options.find("admin"); it != scanned.options.end())
      inv.admin = it->second;
    if (auto it = scanned.options.find("token-file"); it != scanned.options.end())
      inv.token_file = it->second;
    if (std::string error = fill(spec, scanned, inv); !error.empty()) {
      result.error = std::move(error);
      return result;
    }
    result.invocation = std::move(inv);
    return result;
  }
  result.error =
      "unknown command '" + std::string(group) + " " + std::string(scanned.words[1]) + "'";
  return result;
}

std::string_view help_text(std::string_view topic) {
  if (topic.empty()) return kOverview;
  if (topic == "appeals") return kAppeals;
  if (topic == "requests") return kRequests;
  return {};
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
      call.post = true;
      call.target = "/v1/appeals/" + percent_encode(inv.id) + "/decision";
      call.body = boost::json::serialize(
          boost::json::object{{"outcome", inv.verb}, {"reason", inv.reason}, {"by", inv.by}});
      break;
    case Action::kRequestsList:
      call.target = "/v1/requests?status=" + inv.status;
      if (!inv.household.empty()) call.target += "&household=" + percent_encode(inv.household);
      break;
    case Action::kRequestsAnswer:
      call.post = true;
      call.target = "/v1/requests/" + percent_encode(inv.id) + "/answer";
      call.body = boost::json::serialize(boost::json::object{{"answer", inv.verb}, {"by", inv.by}});
      break;
    case Action::kHelp:
    case Action::kVersion:
      break;
  }
  return call;
}

}  // namespace shelter::tools::ctl
