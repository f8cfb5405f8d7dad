#pragma once
// shelterd's configuration: the sealed result of reading YAML (or the embedded defaults).
// A Config is a plain value; it is validated completely before anyone uses it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/subscribers.h"
#include "proxy/net/endpoint.h"

namespace shelter::proxy::config {

// The configuration names endpoints and addresses by their vocabulary types (proxy/net).
using net::Address;
using net::Cidr;
using net::Endpoint;

/// How a blocked name is answered.
enum class BlockMode { block_page, nxdomain, nodata, refused };

struct DnsConfig {
  /// Where to listen, UDP and TCP on each. Default 127.0.0.1:5300 and [::1]:5300.
  std::vector<Endpoint> listen;
  /// Client networks allowed to query; every other source gets REFUSED.
  std::vector<Cidr> allow_clients;
  /// EDNS0 UDP payload size we advertise and the largest UDP answer we send (RFC 6891; 1232 is
  /// the DNS Flag Day 2020 value). Range 512..4096.
  std::uint16_t udp_payload_size = 1232;
  std::chrono::milliseconds tcp_idle_timeout{10000};
  std::uint32_t max_tcp_connections = 1000;  ///< for the whole process, all threads together
  /// Answers to CHAOS-class TXT queries, NSID-style. Empty (the default): REFUSED. Every
  /// CHAOS query is answered here, never forwarded upstream.
  std::string chaos_version;  ///< for version.bind and version.server
  std::string chaos_id;       ///< for id.server and hostname.bind
};

struct UpstreamConfig {
  /// Resolvers to forward to. Empty in the file means: read `resolv_conf`.
  std::vector<Endpoint> servers;
  std::string resolv_conf = "/etc/resolv.conf";
  std::chrono::milliseconds timeout{1000};  ///< per attempt
  std::uint32_t attempts = 3;               ///< total tries, rotating across healthy upstreams
  /// Queries one UDP socket (one source port) carries before it is replaced. 1 = a fresh random
  /// port for every query (the anti-spoofing default); more saves CPU on a trusted path.
  std::uint32_t queries_per_socket = 1;
};

struct CacheConfig {
  std::uint64_t max_memory_mb = 64;       ///< memory the cached answers may hold, MiB
  std::uint64_t max_entries = 100000;     ///< all threads together; LRU beyond
  std::uint32_t min_ttl = 0;              ///< seconds; TTLs below are raised
  std::uint32_t max_ttl = 86400;          ///< seconds; TTLs above are lowered
  std::uint32_t max_negative_ttl = 3600;  ///< seconds; cap for RFC 2308 negative caching
  std::uint32_t servfail_ttl = 5;         ///< seconds an upstream failure is remembered (0: never)
};

struct BlockingConfig {
  BlockMode mode = BlockMode::block_page;
  std::vector<Address> block_page_ipv4;  ///< A records of the block page
  std::vector<Address> block_page_ipv6;  ///< AAAA records of the block page
  std::uint32_t ttl = 60;                ///< TTL of block answers, seconds
  /// Base URL of the appeal page; the EDE EXTRA-TEXT names it.
  std::string appeal_url = "http://127.0.0.1:8080/appeal";
  /// Who to contact about a block (mailto: and tel: URIs): the "c" of structured DNS errors.
  /// Empty: clients that ask for structured errors get the plain text.
  std::vector<std::string> contact;
};

/// One blocklist source.
struct ListConfig {
  std::string id;
  /// "domains", "hosts", "adblock", "rpz", "urls" (IWF-style CSV) or "squidguard" (a directory
  /// of category folders, each with `domains` and `urls` files).
  std::string format = "domains";
  std::string path;  ///< file (or squidguard directory); relative to the config file
  /// "block", or "allow" for an allowlist: every entry becomes an exception.
  std::string action = "block";
  /// squidguard: folder name -> category. Only mapped folders are read.
  std::vector<std::pair<std::string, std::string>> categories;
  std::vector<std::string> entries;  ///< inline entries (used by the embedded demo list)
  std::string category;              ///< e.g. "csam", "adult", "malware"
  bool legal = false;                ///< authority list: always enforced
  /// Its URL-level entries steer their hosts to the proxy (blocklist::ListInfo::steer). The
  /// loader resolves the default: off for adblock and RPZ (browser-side filters), on for the
  /// other formats (`urls`, `squidguard` pages) and always for a legal list.
  bool steer = true;
  /// HTTPS to a host with this list's pages, which the proxy cannot check page by page: refused
  /// (true) or passed (false). `lists[N].https-pages`, else `proxy.https-pages`.
  bool https_block = false;
  std::string https_pages;  ///< as given: "pass", "block" or "" (proxy.https-pages)
  std::string authority;
  std::string appeal;  ///< appeal route for this list; defaults to blocking.appeal_url
  /// This list's own limits (list-updates gives the defaults): the share of malformed lines
  /// and of lost entries that refuses a new version, and the age past which it is stale.
  std::optional<double> max_malformed;
  std::optional<double> max_shrink;
  std::optional<std::chrono::milliseconds> max_age;
  /// `lists[N]`, and the 1-based line of its `path` in the configuration file (0 when not from
  /// a file), so a list that cannot be read is reported where its path is given.
  std::string key_path;
  int line = 0;
};

/// Where the filtering HTTP/TLS proxy is reached by clients. A name that has URL-level entries
/// only is answered with these addresses, so the proxy can check each full URL.
struct ProxyConfig {
  std::vector<Address> address_ipv4;
  std::vector<Address> address_ipv6;
  /// Names always steered (exactly, not their subdomains), so that being steered says little
  /// about a name being listed (docs/lists.md, "Steering"). Normalised.
  std::vector<std::string> cover_names;
  bool enabled() const { return !address_ipv4.empty() || !address_ipv6.empty(); }

  /// The HTTP proxy (docs/proxy.md): steered (origin-form with Host), explicit (absolute-form
  /// and CONNECT) and transparent (REDIRECT/TPROXY) requests. Port 80 on the proxy addresses in
  /// production. Empty: no HTTP proxy on this node.
  std::vector<Endpoint> http_listen;
  /// The TLS-SNI proxy: reads the ClientHello's server name, splices allowed hosts to the
  /// origin, answers blocked ones with a TLS alert. Port 443 in production.
  std::vector<Endpoint> tls_listen;
  /// The origin port a steered TLS connection goes to (the port clients meant: 443).
  std::uint16_t tls_origin_port = 443;
  /// Who may use the proxy. Empty in the file means dns.allow-clients: never an open proxy.
  std::vector<Cidr> clients;
  /// Origin ports requests may go to; others are refused (403) and counted.
  std::vector<std::uint16_t> ports{80, 443};
  /// Origins in ranges the SSRF guard refuses (loopback, private, link-local, ...) that are
  /// allowed anyway: a test network, an intranet the operator means to filter.
  std::vector<Cidr> private_origins;
  /// DNS servers that resolve origin names (never shelterd's own, filtered, answers). Empty:
  /// upstream.servers.
  std::vector<Endpoint> resolvers;
  /// Threads that run the proxy's connections (each with its own listeners and resolver).
  std::uint32_t threads = 1;
  std::chrono::milliseconds connect_timeout{10'000};  ///< to an origin
  std::chrono::milliseconds idle_timeout{60'000};     ///< no byte either way on a relay
  std::chrono::milliseconds hello_timeout{5'000};     ///< a TLS client's first bytes to its SNI
  std::uint32_t max_connections = 20'000;             ///< per thread, every client
  std::uint32_t max_connections_per_client = 512;     ///< per client address, per thread
  /// HTTPS to a host that has listed pages cannot be checked page by page without decrypting:
  /// "pass" splices it (under-block), "block" refuses the host (over-block). The default of
  /// every list's own `https-pages`. docs/proxy.md.
  std::string https_pages = "pass";
  /// Managed networks only (schools, venues whose devices trust the operator's CA): a blocked
  /// HTTPS host is answered with the real block page over TLS, with a short-lived certificate
  /// minted for the name and signed by this CA, instead of a TLS alert. Forwarded connections
  /// are never decrypted. Both paths empty: off (the default).
  struct ManagedTls {
    std::string ca_certificate;  ///< PEM
    std::string ca_key;          ///< PEM, unencrypted, readable only by shelterd
    std::chrono::milliseconds certificate_lifetime{std::chrono::hours(24)};
    bool enabled() const { return !ca_certificate.empty(); }
  };
  ManagedTls managed_tls;
  /// Transparent (inline) interception with TPROXY: the listeners take IP_TRANSPARENT (needs
  /// CAP_NET_ADMIN), and a connection's local address is the origin it was meant for.
  /// REDIRECT needs nothing here: the original destination is read from conntrack.
  bool tproxy = false;
};

/// A compiled snapshot (`shelter-compile`) to load instead of reading the lists.
struct SnapshotConfig {
  std::string path;  ///< empty: compile the lists at start-up and on reload
  /// How often the file is checked for a new version (0: only on SIGHUP).
  std::chrono::milliseconds check_interval{1000};
};

/// Fail-safe list updates (docs/list-updates.md): a new version of a list replaces the last
/// good one only when it passes these checks, and last good versions outlive a restart.
struct ListUpdatesConfig {
  /// Where the last good version of each list (or snapshot) is kept. Empty: in memory only,
  /// so a restart with a broken file has nothing to fall back on.
  std::string state_directory;
  /// How often list files are checked for a new version (0: only on SIGHUP).
  std::chrono::milliseconds check_interval{1000};
  double max_malformed = 0.03;     ///< share of malformed lines that refuses a list
  double max_shrink = 0.25;        ///< share of entries an ordinary list may lose at once
  double max_shrink_legal = 0.10;  ///< the same for legal (authority) lists
  /// Age of the version in force past which a list is stale (0: never). Authority lists are
  /// published at least daily, so two days means a missed update and then some.
  std::chrono::milliseconds max_age{0};
  std::chrono::milliseconds max_age_legal{std::chrono::hours(48)};
};

/// A link shown on the block page: a helpline, a hotline, a help service.
struct PageLink {
  std::string name;
  std::string url;  ///< http(s):, mailto: or tel:
};

/// A public Wi-Fi's venue (`web.venue`; docs/deploy-hotspot.md): a café, a library, a town
/// hall. Its name alone (`venue: Café Example`) or a mapping with its terms and contact.
struct VenueConfig {
  std::string name;  ///< empty: no venue (pages name the organisation; no /venue page)
  /// The venue's terms of use, in plain paragraphs (shown escaped, one <p> each).
  std::vector<std::string> terms;
  std::string email;  ///< "help@cafe.example" (shown as a mailto: link)
  std::string phone;  ///< "+44 20 7946 0000" (shown as a tel: link)
  std::string web;    ///< an http(s): URL
};

/// The web front (docs/block-page.md): the block page on the block addresses.
/// "5/hour": at most `count` in `period`, refilled evenly.
struct RateConfig {
  std::uint32_t count = 0;
  std::chrono::seconds period{0};
  bool operator==(const RateConfig&) const = default;
};

struct WebConfig {
  /// Where browsers sent to the block address arrive: the block-page-ipv4/-ipv6 addresses,
  /// port 80, in production. Empty: no block page listener (a DNS-only node).
  std::vector<Endpoint> block_listen;
  std::uint32_t threads = 1;  ///< threads serving the web listeners
  /// Limits of every web connection (the HTTP core's; docs/block-page.md).
  std::chrono::milliseconds header_timeout{10'000};  ///< a request's first byte to its end
  std::chrono::milliseconds idle_timeout{60'000};    ///< keep-alive between requests
  std::uint32_t max_connections = 4096;
  std::uint32_t max_connections_per_client = 64;
  std::uint32_t max_requests_per_connection = 100;
  /// Who runs this network, as the pages name it ("Example ISP").
  std::string organisation = "this network's operator";
  /// Where a mistake is reported until the appeal pages are there (mailto: or http(s):).
  std::string contact;
  /// How soon a report is answered, in words shown on the page ("2 working days").
  std::string response_time = "5 working days";
  /// The venue of a public Wi-Fi (public-wifi profile): its name, shown as who blocked, and
  /// its acceptable-use page (GET /venue on the public listener, linked from the block page).
  VenueConfig venue;
  PageLink helpline{"Child Helpline International", "https://childhelplineinternational.org/"};
  PageLink hotline{"INHOPE", "https://www.inhope.org/"};
  /// Confidential help for adults worried about their own thoughts or behaviour.
  PageLink adult_help{"Stop It Now", "https://www.stopitnow.org/"};
  /// Templates and message catalogs to use instead of the built-in ones (docs/block-page.md).
  std::string pages_directory;
  /// The public pages (check a site, appeal form, case status) for anyone, subscriber or not.
  /// Empty: none on this node (a DNS-only node, or the pages run elsewhere).
  std::vector<Endpoint> public_listen;
  /// Keys that sign decision tokens and form tokens ("id secret" lines). Empty: a random key
  /// per start (fine for one box; a fleet shares a file so any node reads another's links).
  std::string token_keys_file;
  /// How long a block page's "Report a mistake" link carries its facts.
  std::chrono::milliseconds token_lifetime{std::chrono::hours(24)};
  /// Per client address (IPv6: per /64).
  RateConfig appeal_rate{5, std::chrono::hours(1)};
  RateConfig ask_rate{10, std::chrono::hours(1)};
  RateConfig check_rate{60, std::chrono::minutes(1)};
};

/// Appeals and access requests (`cases:`).
struct CasesConfig {
  /// How long people's words are kept (docs/appeals.md).
  std::chrono::seconds contact_after_close{std::chrono::hours(24 * 30)};
  std::chrono::seconds closed_appeal{std::chrono::hours(24 * 365)};
  std::chrono::seconds request{std::chrono::hours(24 * 7)};
  std::chrono::seconds waiting_request{std::chrono::hours(24)};
  /// How a referral reaches a list authority: a program (argv; the referral as JSON on its
  /// standard input) and/or a webhook (an http:// URL the referral is POSTed to as JSON).
  std::vector<std::string> referral_command;
  std::string referral_webhook;
};

struct AdminConfig {
  std::optional<Endpoint> listen;  ///< /metrics and /healthz; default 127.0.0.1:9300; null = off
  /// Bearer tokens of the admin API (/v1/...), one "name token" per line. Empty: the API is off
  /// (the metrics and health endpoints stay).
  std::string token_file;
  /// The self-test (GET /v1/self-test, `shelterctl self-test`; docs/admin-api.md): names or
  /// URLs that must be blocked (an authority's test URLs) and that must not be, as decided for
  /// a client at `self_test_client` (none: a client no binding identifies).
  std::vector<std::string> self_test_block;
  std::vector<std::string> self_test_allow;
  std::optional<Address> self_test_client;
};

/// The parents' portal (`portal:`, docs/portal.md).
struct PortalConfig {
  /// Where parents reach it. Empty: no portal on this node. HTTPS with `certificate` and `key`;
  /// plain HTTP only when every endpoint is loopback (development, `make run`).
  std::vector<Endpoint> listen;
  std::string certificate;  ///< PEM: the operator's certificate (chain) for the portal's name
  std::string key;          ///< PEM: its private key
  std::chrono::milliseconds session_lifetime{std::chrono::hours(12)};
  /// How long a first-access code the operator issues stays usable.
  std::chrono::milliseconds access_code_lifetime{std::chrono::hours(7 * 24)};
  /// Sign-in attempts per client address (IPv6: per /64).
  RateConfig sign_in_rate{30, std::chrono::hours(1)};
};

/// The optional query log (`logging.query-log`, docs/query-log.md): off unless turned on.
/// Read at start only.
struct QueryLogConfig {
  bool enabled = false;
  std::string directory;  ///< where the period files go (required when enabled)
  /// How long one pseudonym key (and one file) lasts.
  std::chrono::milliseconds key_rotation{std::chrono::hours(24)};
  /// How long a file is kept after its period ends (required when enabled; at most 90 days).
  std::chrono::milliseconds retention{0};
  std::uint32_t buffer_kb = 4096;  ///< per worker thread; a full buffer drops (and counts)
};

struct LoggingConfig {
  std::string level = "info";   ///< error, warn, info, debug
  std::string format = "text";  ///< text (one line per event) or json (JSON lines)
  QueryLogConfig query_log;
};

/// `run-as:` the unprivileged user (and group) shelterd becomes after binding its listeners,
/// when started as root outside systemd (docs/operations.md). Empty user: not set.
struct RunAsConfig {
  std::string user;   ///< a user name on this system
  std::string group;  ///< empty: the user's primary group
};

struct Config {
  std::uint32_t threads = 0;  ///< worker threads, each with its own io_context; 0 = one per core
  DnsConfig dns;
  UpstreamConfig upstream;
  CacheConfig cache;
  BlockingConfig blocking;
  std::vector<ListConfig> lists;
  SnapshotConfig snapshot;
  ListUpdatesConfig list_updates;
  ProxyConfig proxy;
  WebConfig web;
  CasesConfig cases;
  /// Operator profiles, in file order (each may start from a preset or an earlier one).
  std::vector<ProfileConfig> profiles;
  SubscribersConfig subscribers;
  RedisConfig redis;
  AdminConfig admin;
  PortalConfig portal;
  LoggingConfig logging;
  RunAsConfig run_as;
  std::string source;  ///< "embedded defaults" or the file path, for messages
};

}  // namespace shelter::proxy::config
