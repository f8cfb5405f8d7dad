// shelterctl: the operator's command line over shelterd's admin API (appeals against blocks,
// households' access requests, households, devices and profiles, the audit trail). Parsing,
// requests and formatting are in shelterctl_args, shelterctl_households and shelterctl_format
// (unit-tested); this file reads the environment and the token file, makes the HTTP exchange
// (two for a change that reads the household first) and maps the outcome to an exit status.
#include <pwd.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/version.h"
#include "tools/shelterctl_args.h"
#include "tools/shelterctl_client.h"
#include "tools/shelterctl_format.h"
#include "tools/shelterctl_households.h"

namespace {

namespace ctl = shelter::tools::ctl;
namespace json = boost::json;

constexpr int kOk = 0;
constexpr int kServerError = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;
constexpr std::size_t kTokenFileLimit = 64 * 1024;
constexpr std::size_t kProfileFileLimit = 1024 * 1024;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

void print(std::string_view text, std::FILE* to) {
  std::fwrite(text.data(), 1, text.size(), to);
}

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "shelterctl: %s\n", message.c_str());
  return status;
}

int usage_error(const ctl::ParseResult& parsed) {
  std::fprintf(stderr, "shelterctl: %s\nTry 'shelterctl help%s%s'.\n",
               ctl::terminal_safe(parsed.error).c_str(), parsed.topic.empty() ? "" : " ",
               ctl::terminal_safe(parsed.topic).c_str());
  return kUsage;
}

// Reads at most kTokenFileLimit bytes of `path`; false with the reason in `error`.
bool read_small_file(const std::string& path, std::string& text, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = std::strerror(errno);
    return false;
  }
  text.resize(kTokenFileLimit);
  text.resize(std::fread(text.data(), 1, text.size(), file));
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) error = "read error";
  return !failed;
}

// An explicit --token-file wins over SHELTER_ADMIN_TOKEN, which wins over the default file.
bool find_token(const ctl::Invocation& invocation, std::string& token, std::string& error) {
  std::string path = invocation.token_file;
  if (path.empty()) {
    token = ctl::token_from_text(env("SHELTER_ADMIN_TOKEN"));
    if (!token.empty()) {
      if (ctl::token_is_valid(token)) return true;
      error = "SHELTER_ADMIN_TOKEN has spaces or control characters in it";
      return false;
    }
    path = ctl::kDefaultTokenFile;
  }
  std::string text;
  std::string why;
  if (!read_small_file(path, text, why)) {
    error =
        "no admin token: " +
        std::string(invocation.token_file.empty() ? "SHELTER_ADMIN_TOKEN is not set and " : "") +
        "cannot read " + path + " (" + why + ")";
    return false;
  }
  token = ctl::token_from_text(text);
  if (token.empty())
    error = "no admin token in " + path + " (only empty or # comment lines)";
  else if (!ctl::token_is_valid(token))
    error = "the token in " + path + " has spaces or control characters in it";
  return error.empty();
}

// profile put: the JSON of --file FILE ("-": standard input) into invocation.body.
bool read_profile(ctl::Invocation& invocation, std::string& error) {
  std::FILE* file = invocation.file == "-" ? stdin : std::fopen(invocation.file.c_str(), "rb");
  if (file == nullptr) {
    error = "cannot read " + invocation.file + " (" + std::strerror(errno) + ")";
    return false;
  }
  std::string text(kProfileFileLimit + 1, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), file));
  const bool failed = std::ferror(file) != 0;
  if (file != stdin) std::fclose(file);
  const std::string from = invocation.file == "-" ? "standard input" : invocation.file;
  if (failed)
    error = "cannot read " + from + " (read error)";
  else if (text.size() > kProfileFileLimit)
    error = from + " is larger than 1 MiB";
  else if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    error = from + " is empty";
  invocation.body = std::move(text);
  return error.empty();
}

std::string login_name() {
  const passwd* pw = ::getpwuid(::getuid());
  return ctl::default_by(env("SUDO_USER"), env("USER"), pw != nullptr ? pw->pw_name : "");
}

std::string nothing_listed(const ctl::Invocation& invocation) {
  if (invocation.action == ctl::Action::kHouseholdList)
    return invocation.after.empty() ? "no households\n"
                                    : "no households after " + invocation.after + "\n";
  if (invocation.action == ctl::Action::kAudit) return "no audit entries\n";
  const bool appeals = invocation.action == ctl::Action::kAppealsList;
  std::string out = "no ";
  if (invocation.status != "all") out += invocation.status + " ";
  out += appeals ? "appeals" : "requests";
  if (!invocation.household.empty())
    out += " for household " + ctl::terminal_safe(invocation.household);
  return out + "\n";
}

// The array at `key` of a list answer; null when it is not there.
const json::array* list_of(const json::object& answer, std::string_view key) {
  const json::value* items = answer.if_contains(key);
  return items != nullptr ? items->if_array() : nullptr;
}

// The human form of a 2xx answer; false when it is not the shape the contract promises.
bool render(const ctl::Invocation& invocation, const json::value& answer, std::string& out) {
  const std::int64_t now = std::time(nullptr);
  const json::object* object = answer.if_object();
  if (object == nullptr) return false;
  switch (invocation.action) {
    case ctl::Action::kAppealsList:
    case ctl::Action::kRequestsList: {
      const bool appeals = invocation.action == ctl::Action::kAppealsList;
      const json::array* list = list_of(*object, appeals ? "appeals" : "requests");
      if (list == nullptr) return false;
      out = list->empty() ? nothing_listed(invocation)
            : appeals     ? ctl::appeals_table(*list, now)
                          : ctl::requests_table(*list, now);
      return true;
    }
    case ctl::Action::kAppealsShow:
      out = ctl::details(*object, now);
      return true;
    case ctl::Action::kAppealsDecide:
      out = ctl::decision_summary(*object, now);
      return true;
    case ctl::Action::kRequestsAnswer:
      out = ctl::answer_summary(*object, now);
      return true;
    case ctl::Action::kHouseholdList: {
      const json::array* list = list_of(*object, "households");
      if (list == nullptr) return false;
      out = list->empty() ? nothing_listed(invocation) : ctl::households_table(*list);
      const json::value* next = object->if_contains("next");
      if (next != nullptr && next->is_string() && !next->get_string().empty())
        out += ctl::next_page_hint(next->get_string(), invocation.limit);
      return true;
    }
    case ctl::Action::kHouseholdShow:
      out = ctl::household_summary(*object, now);
      return true;
    case ctl::Action::kProfileList: {
      const json::array* list = list_of(*object, "profiles");
      if (list == nullptr) return false;
      out = list->empty() ? "no profiles of " + ctl::terminal_safe(invocation.household) + "\n"
                          : ctl::profiles_table(*list);
      const json::value* next = object->if_contains("next");
      if (next != nullptr && next->is_string() && !next->get_string().empty())
        out += ctl::next_page_hint(next->get_string(), invocation.limit, "profile list");
      return true;
    }
    case ctl::Action::kProfileShow:
      out = ctl::profile_summary(*object);
      return true;
    case ctl::Action::kHouseholdAccessCode:
      out = ctl::access_code_text(*object, now);
      return true;
    case ctl::Action::kListsStatus:
    case ctl::Action::kListsReload: {
      const json::value* status = object->if_contains("status");
      out = status != nullptr && status->is_object() ? ctl::lists_table(status->as_object())
                                                     : ctl::lists_table(*object);
      if (const json::value* reload = object->if_contains("reload"); reload && reload->is_string())
        out = "reload: " + std::string(reload->get_string()) + "\n" + out;
      return true;
    }
    case ctl::Action::kNodeDrain:
    case ctl::Action::kNodeUndrain: {
      const json::value* draining = object->if_contains("draining");
      const json::value* status = object->if_contains("status");
      out = draining != nullptr && draining->is_bool() && draining->get_bool()
                ? "draining: /readyz answers 503 until `shelterctl node undrain`\n"
                : "in service: /readyz answers as the lists and upstreams say\n";
      if (status != nullptr && status->is_object()) out += ctl::lists_table(status->as_object());
      return true;
    }
    case ctl::Action::kExplain:
      out = ctl::explain_text(*object);
      return true;
    case ctl::Action::kSelfTest:
      out = ctl::self_test_text(*object);
      return true;
    case ctl::Action::kReport:
      out = ctl::report_text(*object);
      return true;
    case ctl::Action::kAudit: {
      const json::array* list = list_of(*object, "entries");
      if (list == nullptr) return false;
      out = list->empty() ? nothing_listed(invocation) : ctl::audit_table(*list);
      return true;
    }
    case ctl::Action::kHelp:
    case ctl::Action::kVersion:
      return false;
    default:  // a change: what the household or device is now
      out = ctl::edit_summary(*object, invocation.id, invocation.device, now);
      return true;
  }
}

// The JSON of a 2xx answer; nullopt, with the message printed, otherwise (exit kServerError).
std::optional<json::value> parse_answer(const ctl::AdminAddress& address,
                                        const ctl::HttpAnswer& answer) {
  if (answer.status < 200 || answer.status > 299) {
    fail(kServerError, ctl::server_error_text(answer.status, answer.reason, answer.body));
    return std::nullopt;
  }
  json::error_code ec;
  json::value parsed = json::parse(answer.body, ec);
  if (ec) {
    fail(kServerError, "the answer from " + address.url + " is not JSON (" + ec.message() + ")");
    return std::nullopt;
  }
  return parsed;
}

int print_answer(const ctl::Invocation& invocation, const ctl::AdminAddress& address,
                 const ctl::HttpAnswer& answer) {
  // report --csv: the server's CSV as it is (the server wrote it; nothing to lay out).
  if (invocation.csv && answer.status >= 200 && answer.status <= 299) {
    print(answer.body, stdout);
    return kOk;
  }
  std::optional<json::value> parsed = parse_answer(address, answer);
  if (!parsed) return kServerError;
  if (invocation.json) {
    std::string text = ctl::json_for_terminal(answer.body);
    if (text.empty() || text.back() != '\n') text += '\n';
    std::fputs(text.c_str(), stdout);
    return kOk;
  }
  std::string out;
  if (!render(invocation, *parsed, out))
    return fail(kServerError, "the answer from " + address.url +
                                  " is not what this shelterctl expects; try --json");
  std::fputs(out.c_str(), stdout);
  // A self-test that did not pass is a failure for scripts and schedulers too.
  if (invocation.action == ctl::Action::kSelfTest) {
    const json::value* passed =
        parsed->is_object() ? parsed->as_object().if_contains("passed") : nullptr;
    if (passed == nullptr || !passed->is_bool() || !passed->get_bool()) return kServerError;
  }
  return kOk;
}

// One exchange; nullopt, with the message printed and `status` set, when there is no answer.
std::optional<ctl::HttpAnswer> exchange(const ctl::AdminAddress& admin, const ctl::ApiCall& call,
                                        const std::string& token, int& status) {
  ctl::Exchange exchange =
      ctl::http_exchange(admin, call, token, std::string("shelterctl/") + shelter::kVersion);
  switch (exchange.failure) {
    case ctl::Failure::kNone:
      status = kOk;
      return std::move(exchange.answer);
    case ctl::Failure::kConnect:
      status = fail(kUnreachable,
                    "cannot connect to the admin API at " + admin.url + ": " + exchange.error +
                        "\nIs shelterd running, and is that its admin.listen (in its "
                        "configuration)? Give another address with --admin or SHELTER_ADMIN.");
      break;
    case ctl::Failure::kTransport:
      status = fail(kUnreachable,
                    "no answer from the admin API at " + admin.url + ": " + exchange.error);
      break;
    case ctl::Failure::kTooLarge:
      status =
          fail(kServerError, "the answer from " + admin.url + " is too large: " + exchange.error);
      break;
  }
  return std::nullopt;
}

// self-test --node: each node in the order given. A node that cannot be reached is said and the
// rest are still tested; --json prints the reports as one JSON array.
int self_test_nodes(const ctl::Invocation& invocation, const std::string& token) {
  std::vector<ctl::AdminAddress> nodes;
  for (const std::string& url : invocation.nodes) {
    ctl::AdminAddressResult address = ctl::parse_admin_url(url);
    if (!address.address)
      return fail(kUsage, "--node '" + ctl::terminal_safe(url) + "': " + address.error);
    nodes.push_back(std::move(*address.address));
  }
  const ctl::ApiCall call = ctl::api_call(invocation);
  int worst = kOk;
  std::string reports;  // --json: the bodies, comma-separated
  for (const ctl::AdminAddress& node : nodes) {
    int status = kOk;
    if (!invocation.json) std::printf("== %s\n", ctl::terminal_safe(node.url).c_str());
    std::optional<ctl::HttpAnswer> answer = exchange(node, call, token, status);
    if (answer && invocation.json) {
      std::optional<json::value> parsed = parse_answer(node, *answer);
      const json::value* passed =
          parsed && parsed->is_object() ? parsed->as_object().if_contains("passed") : nullptr;
      status = parsed ? kOk : kServerError;
      if (parsed) reports += (reports.empty() ? "" : ",") + answer->body;
      if (parsed && (passed == nullptr || !passed->is_bool() || !passed->get_bool()))
        status = kServerError;
    } else if (answer) {
      status = print_answer(invocation, node, *answer);
    }
    // Unreachable outranks a failed check: the report is missing, not merely red.
    if (status == kUnreachable || worst == kOk) worst = status == kOk ? worst : status;
  }
  if (invocation.json) {
    std::string text = ctl::json_for_terminal("[" + reports + "]");
    if (text.empty() || text.back() != '\n') text += '\n';
    std::fputs(text.c_str(), stdout);
  }
  return worst;
}

int run(ctl::Invocation invocation) {
  std::string url = invocation.admin;
  std::string source = "--admin";
  if (url.empty()) {
    url = env("SHELTER_ADMIN");
    source = "SHELTER_ADMIN";
  }
  if (url.empty()) url = ctl::kDefaultAdminUrl;
  ctl::AdminAddressResult address = ctl::parse_admin_url(url);
  if (!address.address)
    return fail(kUsage, source + " '" + ctl::terminal_safe(url) + "': " + address.error);
  std::string token;
  std::string error;
  if (!find_token(invocation, token, error)) return fail(kUsage, error);
  if (invocation.by.empty() && (invocation.action == ctl::Action::kAppealsDecide ||
                                invocation.action == ctl::Action::kRequestsAnswer)) {
    invocation.by = login_name();
    if (invocation.by.empty()) return fail(kUsage, "cannot tell who you are; give --by NAME");
  }
  if (invocation.action == ctl::Action::kProfilePut && !read_profile(invocation, error))
    return fail(kUsage, error);
  if (invocation.action == ctl::Action::kSelfTest && !invocation.nodes.empty())
    return self_test_nodes(invocation, token);
  const ctl::AdminAddress& admin = *address.address;
  ctl::ApiCall call = ctl::api_call(invocation);
  int status = kOk;
  if (ctl::reads_household_first(invocation)) {
    // The change depends on what the device has now: read the household, then send it.
    std::optional<ctl::HttpAnswer> household = exchange(admin, call, token, status);
    if (!household) return status;
    std::optional<json::value> parsed = parse_answer(admin, *household);
    if (!parsed) return kServerError;
    ctl::ChangeCall change = ctl::change_call(invocation, *parsed);
    if (!change.call) return fail(kServerError, ctl::terminal_safe(change.error));
    call = std::move(*change.call);
  }
  std::optional<ctl::HttpAnswer> answer = exchange(admin, call, token, status);
  if (!answer) return status;
  return print_answer(invocation, admin, *answer);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print(ctl::help_text(""), stderr);
    return kUsage;
  }
  std::vector<std::string_view> args(argv + 1, argv + argc);
  ctl::ParseResult parsed = ctl::parse_args(args);
  if (!parsed.invocation) return usage_error(parsed);
  switch (parsed.invocation->action) {
    case ctl::Action::kHelp:
      print(ctl::help_text(parsed.invocation->help_topic), stdout);
      return kOk;
    case ctl::Action::kVersion:
      std::printf("shelterctl %s\n", shelter::kVersion);
      return kOk;
    default:
      break;
  }
  try {
    return run(std::move(*parsed.invocation));
  } catch (const std::exception& e) {
    return fail(kServerError, std::string("internal error: ") + e.what());
  }
}
