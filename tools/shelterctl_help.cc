// shelterctl's help texts: the overview and one per command group.
#include <string_view>

#include "tools/shelterctl_args.h"

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
  household list [--after ID] [--limit N] [--json]
  household show ID [--json]
  household add ID [--profile P] [--time-zone Z] [--address CIDR]... [--mac MAC]...
                [--cpe-id X]... [--json]
  household remove ID [--json]
  household access-code ID [--json]
  device bind HOUSEHOLD DEVICE [--mac MAC]... [--address CIDR]... [--profile P] [--json]
  device unbind HOUSEHOLD DEVICE [--mac MAC]... [--address CIDR]... [--json]
  profile set HOUSEHOLD PROFILE [--device DEVICE] [--json]
  profile list [--household H] [--after NAME] [--limit N] [--json]
  profile show NAME [--household H] [--json]
  profile put HOUSEHOLD NAME --file FILE|- [--json]
  profile remove HOUSEHOLD NAME [--json]
  audit [--limit N] [--json]
  lists status|reload [--json]
  node drain|undrain [--json]
  explain CLIENT NAME|URL [--json]
  self-test [--node URL]... [--json]
  report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv|--json]
  help [appeals|requests|household|device|profile|audit|lists|node|explain|self-test|report]

Options (anywhere on the line):
  --admin URL        the admin API: http://ADDRESS:PORT with a literal IPv4 address, a
                     bracketed IPv6 address or localhost (default $SHELTER_ADMIN, else
                     http://127.0.0.1:9300; shelterd's admin.listen)
  --token-file FILE  read the bearer token from FILE: its first line that is neither empty nor
                     a # comment. Without this option the token is $SHELTER_ADMIN_TOKEN, else
                     the one in /etc/shelter/admin.token
  --help             this help; `shelterctl help household` for one command
  --version          print the version

Exit status: 0 done; 1 the server answered with an error (its text, reasons and status are
printed) or refused a change before sending it (no such device or binding); 2 bad usage or no
token; 3 the admin API cannot be reached.
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

constexpr std::string_view kHousehold = R"help(Usage:
  shelterctl household list [--after ID] [--limit N] [--json]
  shelterctl household show ID [--json]
  shelterctl household add ID [--profile P] [--time-zone Z] [--address CIDR]... [--mac MAC]...
                              [--cpe-id X]... [--json]
  shelterctl household remove ID [--json]
  shelterctl household access-code ID [--json]

Households: who a client is (its address, the MAC its router reports, or the router's CPE id)
and which profile filters it.

  list      the households in id order, a page at a time (--limit N: its size; otherwise the
            server's): id, profile, number of devices and of bindings (the household's and its
            devices' addresses, MACs and CPE ids); prints the command for the next page
  show      the profile, time zone, pause, bindings, devices and the household's own profiles
  add       a new household; --address, --mac and --cpe-id may be given more than once. A bare
            address is one host (203.0.113.7 is 203.0.113.7/32)
  remove    the household and its devices; its addresses get the default profile again
  access-code
            a one-time code for the household's parents to sign in to the portal the first
            time and choose a password (shown once; a new code replaces an unused one)
  --json    print the server's JSON as it came instead of a table or summary

An ID is 1 to 64 letters, digits, '.', '_' or '-'.

Example:
  shelterctl household add smith --profile 9-12 --time-zone Europe/London \
      --address 203.0.113.7 --address 2001:db8:7::/48
)help";

constexpr std::string_view kDevice = R"help(Usage:
  shelterctl device bind HOUSEHOLD DEVICE [--mac MAC]... [--address CIDR]... [--profile P]
                         [--json]
  shelterctl device unbind HOUSEHOLD DEVICE [--mac MAC]... [--address CIDR]... [--json]

A household's devices: a MAC (reported by the household's router) or addresses of their own,
with a profile of their own or the household's.

  bind      adds the MACs and addresses to the device, creating it when it is new; bindings it
            has already are kept once (MACs compared without regard to case). --profile sets
            its profile; without it the device keeps its own (a new one: the household's)
  unbind    without --mac or --address removes the device; with them removes only those
            bindings (one the device does not have is an error)
  --json    print the server's JSON as it came instead of a summary

bind and unbind of bindings read the household, then send the device whole: a change someone
makes to the same device in between is replaced.

Example:
  shelterctl device bind smith tablet --mac 02:00:5e:10:00:01 --profile under-9
)help";

constexpr std::string_view kProfile = R"help(Usage:
  shelterctl profile set HOUSEHOLD PROFILE [--device DEVICE] [--json]
  shelterctl profile list [--household H] [--after NAME] [--limit N] [--json]
  shelterctl profile show NAME [--household H] [--json]
  shelterctl profile put HOUSEHOLD NAME --file FILE|- [--json]
  shelterctl profile remove HOUSEHOLD NAME [--json]

Profiles say what is blocked. The presets (under-9, 9-12, 13-14, 15-17, adult, public-wifi,
and all-lists) are built into shelterd and the operator's profiles are in its configuration
file: list and show them here, change them in the file and reload shelterd (SIGHUP). A
household may have profiles of its own (the portal writes <device>-custom): put and remove
them here.

  set       sets the profile of a household, or with --device of one of its devices (which
            must exist). PROFILE is a preset, an operator profile or one of the household's own
  list      the presets and operator profiles, by name, a page at a time (--after, --limit);
            with --household the household's own profiles and what uses each
  show      one profile's fields (base, block, unblock, allow, deny, safe search, bedtime and
            other schedules); with --household one of the household's own
  put       creates or replaces the household's profile NAME from a JSON object in FILE (- reads
            standard input), spelled as in a households file: {"base": "9-12", "unblock":
            ["games"], "deny": ["example.com"]}. NAME cannot be a preset's or operator
            profile's name. What `profile show --household H NAME --json` prints puts back as
            it is
  remove    deletes the household's profile NAME; refused (exit 1) while the household, a
            device or another of its profiles uses it, naming them
  --json    print the server's JSON as it came instead of a table or summary

Example:
  shelterctl profile set smith 13-14
  shelterctl profile set smith under-9 --device tablet
  shelterctl profile list
  shelterctl profile show 9-12
  echo '{"base": "9-12", "unblock": ["games"]}' | shelterctl profile put smith homework --file -
  shelterctl profile set smith homework --device laptop
  shelterctl profile list --household smith
  shelterctl profile remove smith homework
)help";

constexpr std::string_view kAudit = R"help(Usage:
  shelterctl audit [--limit N] [--json]

The admin API's audit trail, newest first: when (UTC), who (the admin token's name), the
action, its target and what changed. It records changes, never browsing.

  --limit N  at most N entries (the server's default otherwise)
  --json     print the server's JSON as it came instead of a table

Example:
  shelterctl audit --limit 20
)help";

constexpr std::string_view kLists = R"help(Usage:
  shelterctl lists status [--json]
  shelterctl lists reload [--json]

The block lists in force on the node (what /readyz says): the node's state (ready, degraded,
unready), then each list: legal or not, its entries, the last load's result, the age of the
version in force, stale or not, and why a new version was refused.

  status   the lists as they are
  reload   read every list again now (as a changed file would), then the status; a broken
           file is refused and its last good version kept (docs/list-updates.md)

Example:
  shelterctl lists reload
)help";

constexpr std::string_view kNode = R"help(Usage:
  shelterctl node drain [--json]
  shelterctl node undrain [--json]

Takes the node out of service before a stop or an upgrade, and puts it back: while it drains,
/readyz answers 503 ("draining"), so a load balancer or the routing daemon's health check moves
the traffic to the other nodes, and the node goes on answering whatever still reaches it. A
restarted node starts in service. Prints the state, then the lists (as `lists status`).
Audited (node.drain, node.undrain). docs/deploy-fleet.md, "Rolling upgrades".

Example:
  shelterctl --admin http://192.0.2.11:9300 node drain
)help";

constexpr std::string_view kExplain = R"help(Usage:
  shelterctl explain CLIENT NAME|URL [--json]

What a client would get for a name (as DNS answers it) or a URL (as the proxy checks it), and
why: the household and device its address is bound to, the profile, the verdict, and the list,
category and rule that decided. Nothing is sent to the site. A legal list's listed URLs are
never shown.

Examples:
  shelterctl explain 203.0.113.7 social.example
  shelterctl explain 203.0.113.7 http://shared.example/a/page.html
)help";

constexpr std::string_view kSelfTest = R"help(Usage:
  shelterctl self-test [--node URL]... [--json]

Checks the node's blocking now: every name or URL of admin.self-test.block must be blocked and
every one of admin.self-test.allow must not be, as decided by the lists and profiles in force
for admin.self-test.client. Prints the report (the node, the time, each check) and its
signature (the node's token key over the report: POST it to /v1/self-test/verify to check it
later). Exits 1 when a check failed.

  --node URL  test this node's admin API instead of --admin; give it once per node of a fleet.
              Each node's report is printed in turn (--json: a JSON array of the reports, in
              the order given); a node that cannot be reached is said and the others are still
              tested. Exits 3 when a node could not be reached, else 1 when a check failed on
              any node. Each quarter, for example:

  shelterctl self-test --node http://10.0.0.11:9300 --node http://10.0.0.12:9300 --json \
    > self-test-$(date +%F).json
)help";

constexpr std::string_view kReport = R"help(Usage:
  shelterctl report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--csv|--json]

The transparency report over whole UTC days (default: the last 30; at most 366): blocks per
list and category (a household's own settings as "parental-controls"), the appeals received
(by route; upheld, overturned, referred, still open; median and 90th-percentile time to a
decision) and the access requests received (granted, kept blocked, expired, waiting; the same
times). Counts only: never a site, a URL, a household or a device. A period older than what
cases.retention keeps is marked incomplete. --csv prints one row per figure
(section,list,category,measure,value), as GET /v1/transparency.csv does.

  shelterctl report --from 2026-01-01 --to 2026-03-31 --csv > report-2026-q1.csv
)help";

}  // namespace

std::string_view help_text(std::string_view topic) {
  if (topic.empty()) return kOverview;
  if (topic == "appeals") return kAppeals;
  if (topic == "requests") return kRequests;
  if (topic == "household") return kHousehold;
  if (topic == "device") return kDevice;
  if (topic == "profile") return kProfile;
  if (topic == "audit") return kAudit;
  if (topic == "lists") return kLists;
  if (topic == "node") return kNode;
  if (topic == "explain") return kExplain;
  if (topic == "self-test") return kSelfTest;
  if (topic == "report") return kReport;
  return {};
}

}  // namespace shelter::tools::ctl
