#include "proxy/config/loader.h"

#include "blocklist/domain_list.h"
#include "blocklist/url.h"

#include "proxy/config/rate.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "proxy/config/profile_fields.h"
#include "proxy/config/venue_fields.h"
#include "proxy/config/yaml_fields.h"

namespace shelter::proxy::config {
namespace {

using std::chrono::milliseconds;
using namespace detail;

constexpr milliseconds kMinTimeout{10};
constexpr milliseconds kMaxTimeout{60'000};
constexpr std::uint32_t kMaxTtl = 604'800;              // one week
constexpr milliseconds kMaxListAge{90LL * 86'400'000};  // a list older than this is abandoned

Handler optional_percent_into(Ctx& c, std::optional<double>& out, double lo, double hi) {
  return [&c, &out, lo, hi](const Val& v) {
    if (const auto x = read_percent(c, v, lo, hi)) out = *x;
  };
}

// Sections.

// A TXT character-string: at most 255 bytes.
Handler chaos_text_into(Ctx& c, std::string& out) {
  return [&c, &out](const Val& v) {
    string_into(c, out)(v);
    if (out.size() > 255) c.error(v, "must be at most 255 bytes (one TXT string)");
  };
}

void read_dns(Ctx& c, const Val& v, DnsConfig& d) {
  const Handler chaos = [&c, &d](const Val& t) {
    read_map(
        c, t,
        {{"version", chaos_text_into(c, d.chaos_version)}, {"id", chaos_text_into(c, d.chaos_id)}});
  };
  read_map(c, v,
           {
               {"listen", endpoints_into(c, d.listen, 53, true)},
               {"allow-clients", cidrs_into(c, d.allow_clients)},
               {"udp-payload-size", uint_into(c, d.udp_payload_size, 512, 4096)},
               {"tcp-idle-timeout", duration_into(c, d.tcp_idle_timeout, kMinTimeout, kMaxTimeout)},
               {"max-tcp-connections", uint_into(c, d.max_tcp_connections, 1, 1'000'000)},
               {"chaos", chaos},
           });
}

void read_upstream(Ctx& c, const Val& v, UpstreamConfig& u) {
  read_map(c, v,
           {
               {"servers", endpoints_into(c, u.servers, 53, false)},
               {"resolv-conf", string_into(c, u.resolv_conf)},
               {"timeout", duration_into(c, u.timeout, kMinTimeout, kMaxTimeout)},
               {"attempts", uint_into(c, u.attempts, 1, 10)},
               {"queries-per-socket", uint_into(c, u.queries_per_socket, 1, 10000)},
           });
}

void read_cache(Ctx& c, const Val& v, CacheConfig& k) {
  read_map(c, v,
           {
               {"max-entries", uint_into(c, k.max_entries, 0, 100'000'000)},
               {"max-memory-mb", uint_into(c, k.max_memory_mb, 1, 1'048'576)},
               {"min-ttl", uint_into(c, k.min_ttl, 0, kMaxTtl)},
               {"max-ttl", uint_into(c, k.max_ttl, 0, kMaxTtl)},
               {"max-negative-ttl", uint_into(c, k.max_negative_ttl, 0, 86'400)},
               // RFC 9520 caps the caching of resolution failures at five minutes.
               {"servfail-ttl", uint_into(c, k.servfail_ttl, 0, 300)},
           });
}

void read_blocking(Ctx& c, const Val& v, BlockingConfig& b) {
  static const std::vector<std::string_view> kModes = {"block-page", "nxdomain", "nodata",
                                                       "refused"};
  auto mode = [&c, &b](const Val& m) {
    if (const auto i = read_choice(c, m, kModes)) b.mode = static_cast<BlockMode>(*i);
  };
  auto url = [&c, &b](const Val& u) {
    const auto s = read_scalar(c, u, "a URL");
    if (!s) return;
    if (!s->starts_with("http://") && !s->starts_with("https://")) {
      return c.error(u, in_quotes(*s) + " is not an http:// or https:// URL");
    }
    b.appeal_url = *s;
  };
  read_map(
      c, v,
      {
          {"mode", mode},
          {"block-page-ipv4", addresses_into(c, b.block_page_ipv4, false)},
          {"block-page-ipv6", addresses_into(c, b.block_page_ipv6, true)},
          {"ttl", uint_into(c, b.ttl, 0, 86'400)},
          {"appeal-url", url},
          {"contact", list_into(c, b.contact,
                                [&c](const Val& item, const auto&) {
                                  auto s = read_scalar(c, item, "a mailto: or tel: URI");
                                  if (s && !s->starts_with("mailto:") && !s->starts_with("tel:")) {
                                    c.error(item, in_quotes(*s) + " is not a mailto: or tel: URI");
                                    s.reset();
                                  }
                                  return s;
                                })},
      });
}

void check_list(Ctx& c, const Val& v, const ListConfig& l, bool has_path, bool has_entries) {
  const auto bad_id = [](char ch) {
    return !std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-';
  };
  // A key that was given but empty has been reported already; here only the missing ones.
  const auto given = [&](const char* key) { return c.lines.count(v.path + "." + key) != 0; };
  if (l.id.empty() && !given("id")) {
    c.error(v.path + ".id", v.line, "missing; every list needs an id");
  } else if (std::any_of(l.id.begin(), l.id.end(), bad_id)) {
    c.error_key(v.path + ".id", in_quotes(l.id) + " may hold only letters, digits, '.', '_', '-'");
  }
  if (!has_path && !has_entries) c.error(v, "needs either path or entries");
  if (has_path && has_entries) c.error(v, "has both path and entries; give one");
  if (l.category.empty() && !given("category") && l.format != "squidguard") {
    c.error(v.path + ".category", v.line, "missing; every list needs one");
  }
  if (l.format == "squidguard" && l.categories.empty() && !given("categories")) {
    c.error(v.path + ".categories", v.line,
            "missing; a squidguard tree needs a folder -> category mapping");
  }
  if (l.format != "squidguard" && given("categories")) {
    c.error(v.path + ".categories", v.line, "only squidguard lists map folders to categories");
  }
  if (l.format == "squidguard" && has_entries) c.error(v, "a squidguard list needs a path");
  if (l.legal && l.authority.empty() && !given("authority")) {
    c.error(v.path + ".authority", v.line, "missing; a legal list must name its authority");
  }
}

// Page lists steer by default; browser-side filters (adblock, RPZ) do not: their URL rules are
// ad and tracker paths on popular sites, and steering them sends much of the web through the
// proxy. A legal list always steers.
void resolve_steer(Ctx& c, const Val& v, ListConfig& l, std::optional<bool> given) {
  if (l.legal && given == false) {
    c.error_key(v.path + ".steer",
                "a legal list cannot turn steering off: its URL entries must reach the proxy "
                "(without a proxy they block the whole host)");
  }
  l.steer = l.legal || given.value_or(l.format != "adblock" && l.format != "rpz");
}

// squidguard folder -> Shelter category, in file order.
void read_category_map(Ctx& c, const Val& v,
                       std::vector<std::pair<std::string, std::string>>& out) {
  if (!v.node.IsMap())
    return c.error(v, "expected a mapping of folder: category, got " + kind(v.node));
  for (const auto& item : v.node) {
    const Val value = child(v, item.second, v.path + "." + item.first.Scalar());
    const auto category = read_scalar(c, value, "a category");
    if (!category) continue;
    if (category->empty()) {
      c.error(value, "category is empty");
      continue;
    }
    out.emplace_back(item.first.Scalar(), *category);
  }
}

ListConfig read_list(Ctx& c, const Val& v) {
  ListConfig l;
  l.key_path = v.path;
  l.line = v.line + 1;
  if (!v.node.IsMap()) {
    c.error(v, "expected a mapping with id, category and path or entries, got " + kind(v.node));
    return l;
  }
  bool has_path = false;
  bool has_entries = false;
  std::optional<bool> steer;
  auto entries = [&c, &l, &has_entries](const Val& e) {
    has_entries = true;
    read_seq(c, e, [&](const Val& item) {
      const auto s = read_scalar(c, item, "a list entry");
      if (s && s->empty()) c.error(item, "entry is empty");
      if (s && !s->empty()) l.entries.push_back(*s);
    });
  };
  read_map(
      c, v,
      {
          {"id", string_into(c, l.id)},
          {"format",
           choice_into(c, l.format, {"domains", "hosts", "adblock", "rpz", "urls", "squidguard"})},
          {"action", choice_into(c, l.action, {"block", "allow"})},
          {"categories", [&](const Val& m) { read_category_map(c, m, l.categories); }},
          {"path",
           [&](const Val& p) {
             has_path = true;
             l.line = p.line + 1;  // a list that cannot be read is reported here
             string_into(c, l.path)(p);
           }},
          {"entries", entries},
          {"category", string_into(c, l.category)},
          {"legal", bool_into(c, l.legal)},
          {"steer", [&](const Val& s) { steer = read_bool(c, s); }},
          {"https-pages", choice_into(c, l.https_pages, {"pass", "block"})},
          {"authority", string_into(c, l.authority)},
          {"appeal", string_into(c, l.appeal)},
          {"max-malformed", optional_percent_into(c, l.max_malformed, 0, 100)},
          {"max-shrink", optional_percent_into(c, l.max_shrink, 0, 100)},
          {"max-age",
           [&](const Val& a) {
             l.max_age = milliseconds{0};
             duration_into(c, *l.max_age, milliseconds{0}, kMaxListAge)(a);
           }},
      });
  check_list(c, v, l, has_path, has_entries);
  resolve_steer(c, v, l, steer);
  return l;
}

void read_lists(Ctx& c, const Val& v, std::vector<ListConfig>& lists) {
  std::map<std::string, std::string> first_use;  // id -> key path of the list that has it
  read_seq(c, v, [&](const Val& item) {
    auto l = read_list(c, item);
    if (l.id.empty()) return;
    const auto [it, fresh] = first_use.emplace(l.id, item.path);
    if (!fresh) return c.error_key(item.path + ".id", "duplicate id, first used at " + it->second);
    lists.push_back(std::move(l));
  });
}

void read_snapshot(Ctx& c, const Val& v, SnapshotConfig& s) {
  read_map(c, v,
           {
               {"path", string_into(c, s.path)},
               {"check-interval",
                duration_into(c, s.check_interval, milliseconds{0}, milliseconds{3'600'000})},
           });
}

void read_list_updates(Ctx& c, const Val& v, ListUpdatesConfig& u) {
  read_map(c, v,
           {
               {"state-directory", string_into(c, u.state_directory)},
               {"check-interval",
                duration_into(c, u.check_interval, milliseconds{0}, milliseconds{3'600'000})},
               {"max-malformed", percent_into(c, u.max_malformed, 0, 100)},
               {"max-shrink", percent_into(c, u.max_shrink, 0, 100)},
               {"max-shrink-legal", percent_into(c, u.max_shrink_legal, 0, 100)},
               {"max-age", duration_into(c, u.max_age, milliseconds{0}, kMaxListAge)},
               {"max-age-legal", duration_into(c, u.max_age_legal, milliseconds{0}, kMaxListAge)},
           });
}

// A helpline or hotline: {name: ..., url: https://... | mailto: | tel:}.
Handler link_into(Ctx& c, PageLink& link) {
  return [&c, &link](const Val& v) {
    read_map(c, v,
             {
                 {"name", string_into(c, link.name)},
                 {"url",
                  [&c, &link](const Val& u) {
                    const auto s = read_scalar(c, u, "a URL");
                    if (!s) return;
                    if (!s->starts_with("https://") && !s->starts_with("http://") &&
                        !s->starts_with("mailto:") && !s->starts_with("tel:")) {
                      return c.error(u, in_quotes(*s) + " is not an http(s):, mailto: or tel: URL");
                    }
                    link.url = *s;
                  }},
             });
  };
}

// "5/hour", "60/minute", "100/day", "2/second": at most N in the period.
Handler rate_into(Ctx& c, RateConfig& out) {
  return [&c, &out](const Val& v) {
    const auto s = read_scalar(c, v, "a rate such as 5/hour");
    if (!s) return;
    std::string error;
    if (const std::optional<RateConfig> rate = parse_rate(*s, error)) {
      out = *rate;
    } else {
      c.error(v, in_quotes(*s) + " is not a rate: " + error);
    }
  };
}

void read_web(Ctx& c, const Val& v, WebConfig& w) {
  auto contact = [&c, &w](const Val& u) {
    const auto s = read_scalar(c, u, "a mailto: or http(s): URL");
    if (!s) return;
    if (!s->starts_with("mailto:") && !s->starts_with("https://") && !s->starts_with("http://")) {
      return c.error(u, in_quotes(*s) + " is not a mailto: or http(s): URL");
    }
    w.contact = *s;
  };
  read_map(
      c, v,
      {
          {"block-listen", endpoints_into(c, w.block_listen, 80, true)},
          {"threads", uint_into(c, w.threads, 1, 64)},
          {"header-timeout",
           duration_into(c, w.header_timeout, milliseconds{100}, milliseconds{60'000})},
          {"idle-timeout",
           duration_into(c, w.idle_timeout, milliseconds{100}, milliseconds{60'000})},
          {"max-connections", uint_into(c, w.max_connections, 1, 1'000'000)},
          {"max-connections-per-client", uint_into(c, w.max_connections_per_client, 1, 100'000)},
          {"max-requests-per-connection", uint_into(c, w.max_requests_per_connection, 1, 100'000)},
          {"organisation", string_into(c, w.organisation)},
          {"contact", contact},
          {"response-time", string_into(c, w.response_time)},
          {"venue", venue_into(c, w.venue)},
          {"helpline", link_into(c, w.helpline)},
          {"hotline", link_into(c, w.hotline)},
          {"adult-help", link_into(c, w.adult_help)},
          {"pages-directory", string_into(c, w.pages_directory)},
          {"public-listen", endpoints_into(c, w.public_listen, 80, true)},
          {"token-keys-file", string_into(c, w.token_keys_file)},
          {"token-lifetime", duration_into(c, w.token_lifetime, milliseconds{60'000},
                                           milliseconds{30LL * 86'400'000})},
          {"appeal-rate", rate_into(c, w.appeal_rate)},
          {"ask-rate", rate_into(c, w.ask_rate)},
          {"check-rate", rate_into(c, w.check_rate)},
      });
}

void read_cases(Ctx& c, const Val& v, CasesConfig& k) {
  constexpr milliseconds kHour{3'600'000};
  auto seconds_into = [&c](std::chrono::seconds& out, milliseconds lo, milliseconds hi) {
    return [&c, &out, lo, hi](const Val& d) {
      milliseconds ms{0};
      duration_into(c, ms, lo, hi)(d);
      if (ms.count() != 0) out = std::chrono::duration_cast<std::chrono::seconds>(ms);
    };
  };
  auto webhook = [&c, &k](const Val& u) {
    const auto s = read_scalar(c, u, "an http:// URL");
    if (!s) return;
    if (!s->starts_with("http://")) return c.error(u, in_quotes(*s) + " is not an http:// URL");
    k.referral_webhook = *s;
  };
  auto command = [&c, &k](const Val& cmd) {
    std::vector<std::string> argv;
    read_seq(c, cmd, [&](const Val& item) {
      if (auto s = read_scalar(c, item, "a program or argument")) argv.push_back(*s);
    });
    if (argv.empty()) return c.error(cmd, "is empty; give the program and its arguments");
    if (!argv.front().starts_with("/")) {
      return c.error(cmd, in_quotes(argv.front()) + " is not an absolute path");
    }
    k.referral_command = std::move(argv);
  };
  read_map(c, v,
           {
               {"contact-retention", seconds_into(k.contact_after_close, kHour, 3650 * 24 * kHour)},
               {"closed-appeal-retention", seconds_into(k.closed_appeal, kHour, 3650 * 24 * kHour)},
               {"request-retention", seconds_into(k.request, kHour, 365 * 24 * kHour)},
               {"request-expiry", seconds_into(k.waiting_request, kHour / 4, 30 * 24 * kHour)},
               {"referral-command", command},
               {"referral-webhook", webhook},
           });
}

Handler ports_into(Ctx& c, std::vector<std::uint16_t>& out) {
  return list_into(c, out, [&c](const Val& item, const std::vector<std::uint16_t>& so_far) {
    std::optional<std::uint16_t> port;
    if (const auto x = read_uint(c, item, 1, 65535)) {
      port = static_cast<std::uint16_t>(*x);
      if (std::find(so_far.begin(), so_far.end(), *port) != so_far.end()) {
        c.error(item, "repeats port " + std::to_string(*port));
        port.reset();
      }
    }
    return port;
  });
}

void read_managed_tls(Ctx& c, const Val& v, ProxyConfig::ManagedTls& m) {
  read_map(
      c, v,
      {
          {"ca-certificate", string_into(c, m.ca_certificate)},
          {"ca-key", string_into(c, m.ca_key)},
          // Short-lived by design: an hour at least (clock skew), a week at most.
          {"certificate-lifetime", duration_into(c, m.certificate_lifetime, std::chrono::hours(1),
                                                 std::chrono::hours(24 * 7))},
      });
  if (m.ca_certificate.empty() != m.ca_key.empty()) {
    c.error(v, "needs both ca-certificate and ca-key");
  }
}

void read_proxy(Ctx& c, const Val& v, ProxyConfig& p) {
  constexpr milliseconds kShortest{100}, kLongest{3'600'000};
  read_map(
      c, v,
      {
          {"address-ipv4", addresses_into(c, p.address_ipv4, false)},
          {"address-ipv6", addresses_into(c, p.address_ipv6, true)},
          {"cover-names", [&](const Val& n) { read_domains(c, n, p.cover_names); }},
          {"http-listen", endpoints_into(c, p.http_listen, 80, true)},
          {"tls-listen", endpoints_into(c, p.tls_listen, 443, true)},
          {"tls-origin-port", uint_into(c, p.tls_origin_port, 1, 65535)},
          {"clients", cidrs_into(c, p.clients)},
          {"ports", ports_into(c, p.ports)},
          {"private-origins", cidrs_into(c, p.private_origins)},
          {"resolvers", endpoints_into(c, p.resolvers, 53, false)},
          {"threads", uint_into(c, p.threads, 1, 64)},
          {"connect-timeout", duration_into(c, p.connect_timeout, kShortest, kLongest)},
          {"idle-timeout", duration_into(c, p.idle_timeout, kShortest, kLongest)},
          {"hello-timeout", duration_into(c, p.hello_timeout, kShortest, milliseconds{60'000})},
          {"max-connections", uint_into(c, p.max_connections, 1, 1'000'000)},
          {"max-connections-per-client", uint_into(c, p.max_connections_per_client, 1, 1'000'000)},
          {"https-pages", choice_into(c, p.https_pages, {"pass", "block"})},
          {"tproxy", bool_into(c, p.tproxy)},
          {"managed-tls", [&](const Val& m) { read_managed_tls(c, m, p.managed_tls); }},
      });
}

// A self-test entry: a name or a URL, as the lists would read it (kept as written).
Handler test_entries_into(Ctx& c, std::vector<std::string>& out) {
  return list_into(c, out, [&c](const Val& item, const auto&) {
    std::optional<std::string> s = read_scalar(c, item, "a name or URL");
    if (!s) return s;
    std::string why;
    if (!blocklist::normalise_domain(*s) && !blocklist::canonicalise_url(*s, why)) {
      c.error(item, in_quotes(*s) + " is neither a name nor a URL");
      s.reset();
    }
    return s;
  });
}

void read_admin(Ctx& c, const Val& v, AdminConfig& a) {
  auto listen = [&c, &a](const Val& l) {
    a.listen.reset();  // null: no admin listener
    if (!l.node.IsNull()) a.listen = read_endpoint(c, l, 9300, true);
  };
  auto self_test = [&c, &a](const Val& t) {
    auto client = [&c, &a](const Val& x) {
      const auto s = read_scalar(c, x, "an address");
      if (!s) return;
      a.self_test_client = Address::parse(*s);
      if (!a.self_test_client) c.error(x, in_quotes(*s) + " is not an address");
    };
    read_map(c, t,
             {{"block", test_entries_into(c, a.self_test_block)},
              {"allow", test_entries_into(c, a.self_test_allow)},
              {"client", client}});
  };
  read_map(
      c, v,
      {{"listen", listen}, {"token-file", string_into(c, a.token_file)}, {"self-test", self_test}});
}

void read_portal(Ctx& c, const Val& v, PortalConfig& p) {
  read_map(
      c, v,
      {
          {"listen", endpoints_into(c, p.listen, 443, true)},
          {"certificate", string_into(c, p.certificate)},
          {"key", string_into(c, p.key)},
          {"session-lifetime", duration_into(c, p.session_lifetime, milliseconds{60'000},
                                             milliseconds{30LL * 86'400'000})},
          {"access-code-lifetime", duration_into(c, p.access_code_lifetime, milliseconds{60'000},
                                                 milliseconds{90LL * 86'400'000})},
          {"sign-in-rate", rate_into(c, p.sign_in_rate)},
      });
}

// logging.query-log: the optional pseudonymised query log.
constexpr milliseconds kMaxQueryLogRetention{90LL * 86'400'000};

void read_query_log(Ctx& c, const Val& v, QueryLogConfig& q) {
  read_map(
      c, v,
      {
          {"enabled", bool_into(c, q.enabled)},
          {"directory", string_into(c, q.directory)},
          {"key-rotation",
           duration_into(c, q.key_rotation, milliseconds{60'000}, milliseconds{7 * 86'400'000})},
          {"retention", duration_into(c, q.retention, milliseconds{60'000}, kMaxQueryLogRetention)},
          {"buffer-kb", uint_into(c, q.buffer_kb, 16, 65'536)},
      });
  if (!q.enabled) return;
  // A log of children's browsing is kept no longer than the operator said, and the operator
  // must say it: no default retention.
  if (q.directory.empty()) {
    c.error(v.path + ".directory", v.line, "is missing and enabled is true",
            "name the directory the files go to");
  }
  if (q.retention.count() == 0) {
    c.error(v.path + ".retention", v.line, "is missing and enabled is true",
            "say how long files are kept, at most 90d (e.g. retention: 7d)");
  }
  if (q.key_rotation.count() % 1000 != 0) {
    c.error(v.path + ".key-rotation", v.line, "is not whole seconds");
  }
}

void read_logging(Ctx& c, const Val& v, LoggingConfig& l) {
  read_map(c, v,
           {
               {"level", choice_into(c, l.level, {"error", "warn", "info", "debug"})},
               {"format", choice_into(c, l.format, {"text", "json"})},
               {"query-log", [&c, &l](const Val& q) { read_query_log(c, q, l.query_log); }},
           });
}

// A user or group name as useradd(8) takes them (Debian's NAME_REGEX, a little wider): what
// getpwnam/getgrnam will be asked for at start.
bool account_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] == '-' || name == "." || name == "..")
    return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
  });
}

void read_run_as(Ctx& c, const Val& v, RunAsConfig& r) {
  auto name_into = [&c](std::string& out, const char* what) {
    return [&c, &out, what](const Val& x) {
      const auto s = read_scalar(c, x, what);
      if (!s) return;
      if (!account_name_ok(*s)) {
        c.error(x, in_quotes(*s) + " is not a " + what,
                "letters, digits, '_', '-', '.', at most 32, not starting with '-'");
        return;
      }
      out = *s;
    };
  };
  read_map(c, v,
           {{"user", name_into(r.user, "user name")}, {"group", name_into(r.group, "group name")}});
  if (r.user.empty() && !r.group.empty()) {
    c.error(v, "has a group but no user", "give run-as.user (the group alone is not enough)");
  }
}

void read_root(Ctx& c, const Val& root, Config& cfg) {
  read_map(c, root,
           {
               {"threads", uint_into(c, cfg.threads, 0, 256)},
               {"dns", [&](const Val& v) { read_dns(c, v, cfg.dns); }},
               {"upstream", [&](const Val& v) { read_upstream(c, v, cfg.upstream); }},
               {"cache", [&](const Val& v) { read_cache(c, v, cfg.cache); }},
               {"blocking", [&](const Val& v) { read_blocking(c, v, cfg.blocking); }},
               {"lists", [&](const Val& v) { read_lists(c, v, cfg.lists); }},
               {"snapshot", [&](const Val& v) { read_snapshot(c, v, cfg.snapshot); }},
               {"list-updates", [&](const Val& v) { read_list_updates(c, v, cfg.list_updates); }},
               {"proxy", [&](const Val& v) { read_proxy(c, v, cfg.proxy); }},
               {"web", [&](const Val& v) { read_web(c, v, cfg.web); }},
               {"cases", [&](const Val& v) { read_cases(c, v, cfg.cases); }},
               {"profiles", [&](const Val& v) { read_profiles(c, v, cfg.profiles); }},
               {"subscribers", [&](const Val& v) { read_subscribers(c, v, cfg.subscribers); }},
               {"redis", [&](const Val& v) { read_redis(c, v, cfg.redis); }},
               {"admin", [&](const Val& v) { read_admin(c, v, cfg.admin); }},
               {"portal", [&](const Val& v) { read_portal(c, v, cfg.portal); }},
               {"logging", [&](const Val& v) { read_logging(c, v, cfg.logging); }},
               {"run-as", [&](const Val& v) { read_run_as(c, v, cfg.run_as); }},
           });
}

// Rules that involve more than one key.
void check_across_keys(Ctx& c, Config& cfg) {
  if (cfg.dns.listen.empty()) c.error_key("dns.listen", "is empty; give at least one endpoint");
  if (cfg.dns.allow_clients.empty()) {
    c.error_key("dns.allow-clients", "is empty, so every client would be refused");
  }
  if (cfg.cache.min_ttl > cfg.cache.max_ttl) {
    c.error_key("cache.min-ttl",
                "is greater than cache.max-ttl (" + std::to_string(cfg.cache.max_ttl) + ")");
  }
  const auto& b = cfg.blocking;
  if (b.mode == BlockMode::block_page && b.block_page_ipv4.empty() && b.block_page_ipv6.empty()) {
    c.error_key("blocking.mode", "block-page needs block-page-ipv4 or block-page-ipv6");
  }
  const auto& admin = cfg.admin.listen;
  if (admin && admin->port != 0) {
    const auto& dns = cfg.dns.listen;
    if (std::find(dns.begin(), dns.end(), *admin) != dns.end()) {
      c.error_key("admin.listen", admin->to_string() + " is also a dns.listen endpoint (TCP)");
    }
  }
  for (auto& l : cfg.lists) {
    if (l.appeal.empty()) l.appeal = b.appeal_url;
  }
  for (auto& l : cfg.lists)
    l.https_block = (l.https_pages.empty() ? cfg.proxy.https_pages : l.https_pages) == "block";
  if (cfg.proxy.clients.empty()) cfg.proxy.clients = cfg.dns.allow_clients;
  if (cfg.proxy.resolvers.empty()) cfg.proxy.resolvers = cfg.upstream.servers;
  check_profiles(c, cfg.profiles, cfg.subscribers);
  if (cfg.subscribers.store == StoreKind::redis && !cfg.subscribers.file.empty()) {
    c.error_key("subscribers.file", "is for the embedded store; households live in Redis here");
  }
  const PortalConfig& portal = cfg.portal;
  if (portal.certificate.empty() != portal.key.empty()) {
    c.error_key(portal.key.empty() ? "portal.key" : "portal.certificate",
                "is missing: give both the certificate and its key");
  }
  if (portal.certificate.empty()) {
    for (const Endpoint& e : portal.listen) {
      if (!Cidr::parse("127.0.0.0/8")->contains(e.address) &&
          !(e.address == *Address::parse("::1"))) {
        c.error_key("portal.listen", e.to_string() +
                                         " is not loopback: parents' passwords need HTTPS there; "
                                         "set portal.certificate and portal.key");
      }
    }
  }
  if (!cfg.redis.tls && (!cfg.redis.tls_ca_file.empty() || !cfg.redis.tls_cert_file.empty())) {
    c.error_key("redis.tls", "files are given but enabled is false");
  }
}

// The values config.h leaves empty because a vector member cannot say its default there.
Config defaults() {
  Config cfg;
  cfg.dns.listen = {*Endpoint::parse("127.0.0.1:5300", 0), *Endpoint::parse("[::1]:5300", 0)};
  cfg.dns.allow_clients = {*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")};
  cfg.blocking.block_page_ipv4 = {*Address::parse("127.0.0.1")};
  cfg.blocking.block_page_ipv6 = {*Address::parse("::1")};
  cfg.admin.listen = Endpoint::parse("127.0.0.1:9300", 0);
  cfg.redis.servers = {*Endpoint::parse("127.0.0.1:6379", 0)};
  return cfg;
}

// Counts the documents of a stream, for the "one document" rule.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents = 0;
  int second_line = -1;  // 0-based line where the second document starts

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_line = mark.line;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string syntax_error(const YAML::Exception& e) {
  std::string where;
  if (e.mark.line >= 0) {
    where = " (line " + std::to_string(e.mark.line + 1) + ", column " +
            std::to_string(e.mark.column + 1) + ")";
  }
  // yaml-cpp stops at 2000 levels of nesting with the unhelpful message "bad file".
  const bool deep = dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr;
  return "yaml syntax error: " + (deep ? "nested too deeply" : printable(e.msg)) + where;
}

// YAML text -> the document's root, or errors (syntax, more than one document). YAML::LoadAll is
// avoided: on some malformed input yaml-cpp reports empty documents without end, so documents
// are counted in a pass that stops at the second.
std::optional<YAML::Node> load_yaml(Ctx& c, std::string_view text) {
  if (text.size() > kMaxConfigBytes) {
    c.error("(file)", -1, "larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    return std::nullopt;
  }
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentCounter counter;
    while (counter.documents < 2 && parser.HandleNextDocument(counter)) {
    }
    if (counter.documents > 1) {
      c.error("(file)", counter.second_line, "holds more than one YAML document");
      return std::nullopt;
    }
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    c.errors.push_back(syntax_error(e));
  }
  return std::nullopt;
}

// Reads a whole file; the error text on failure.
std::optional<std::string> read_file(const std::string& path, std::string& out) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  const std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) return std::strerror(errno);
  char buffer[64 * 1024];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, f.get())) {
    out.append(buffer, n);
    if (out.size() > kMaxConfigBytes) {
      return "larger than " + std::to_string(kMaxConfigBytes) + " bytes";
    }
  }
  if (std::ferror(f.get())) return std::strerror(errno);
  return std::nullopt;
}

void resolve_relative(std::string& path, const std::filesystem::path& base) {
  if (!path.empty() && std::filesystem::path(path).is_relative()) path = (base / path).string();
}

}  // namespace

LoadResult parse_config(std::string_view yaml_text, std::string source_name) {
  Ctx c;
  LoadResult result;
  try {
    if (const auto root = load_yaml(c, yaml_text)) {
      Config cfg = defaults();
      cfg.source = std::move(source_name);
      read_root(c, Val{*root, "", root->Mark().line}, cfg);
      check_across_keys(c, cfg);
      if (c.errors.empty()) result.config = std::move(cfg);
    }
  } catch (const StopReading&) {
    // The reason is in the errors already.
  } catch (const std::exception& e) {
    // yaml-cpp should not throw once a document is loaded; if it does, fail closed and say so.
    c.errors.push_back(std::string("(internal): ") + e.what());
  }
  result.errors = std::move(c.errors);
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::string text;
  if (const auto error = read_file(path, text)) {
    return LoadResult{std::nullopt, {"cannot read " + path + ": " + *error}};
  }
  auto result = parse_config(text, path);
  if (result.config) {
    const auto base = std::filesystem::path(path).parent_path();
    for (auto& l : result.config->lists)
      resolve_relative(l.path, base);
    resolve_relative(result.config->upstream.resolv_conf, base);
    resolve_relative(result.config->snapshot.path, base);
    resolve_relative(result.config->list_updates.state_directory, base);
    resolve_relative(result.config->web.pages_directory, base);
    resolve_relative(result.config->web.token_keys_file, base);
    resolve_relative(result.config->admin.token_file, base);
    resolve_relative(result.config->subscribers.file, base);
    for (std::string* file :
         {&result.config->redis.tls_ca_file, &result.config->redis.tls_cert_file,
          &result.config->redis.tls_key_file}) {
      resolve_relative(*file, base);
    }
  }
  return result;
}

namespace {

// One households text (a file or a Redis document), read by `read` from its root; every error
// collected, and nothing kept when there is one.
template <typename Read>
HouseholdsResult read_households_text(std::string_view text, Read read) {
  Ctx c;
  HouseholdsResult result;
  try {
    if (const auto root = load_yaml(c, text)) read(c, *root, result.households);
  } catch (const StopReading&) {
    // The reason is in the errors already.
  } catch (const std::exception& e) {
    c.errors.push_back(std::string("(internal): ") + e.what());
  }
  result.errors = std::move(c.errors);
  if (!result.errors.empty()) result.households.clear();
  return result;
}

}  // namespace

HouseholdsResult parse_households(std::string_view yaml_text) {
  return read_households_text(yaml_text, [](Ctx& c, const YAML::Node& root, auto& out) {
    read_map(c, Val{root, "", root.Mark().line},
             {{"households", [&](const Val& v) { read_households(c, v, out); }}});
  });
}

HouseholdsResult parse_household_document(std::string_view json_text, const std::string& id) {
  return read_households_text(json_text, [&id](Ctx& c, const YAML::Node& root, auto& out) {
    out.push_back(read_household(c, Val{root, "household " + id, root.Mark().line}, id));
  });
}

namespace detail {
extern const std::string_view kPresetsYaml;
}

const Presets& presets() {
  // Compiled in and covered by a unit test: an error here is a build defect, so it stops the
  // program at once rather than run with presets missing.
  static const Presets kPresets = [] {
    Ctx c;
    Presets p;
    const auto root = load_yaml(c, detail::kPresetsYaml);
    if (root) {
      read_map(c, Val{*root, "", root->Mark().line},
               {
                   {"profiles", [&](const Val& v) { read_profiles(c, v, p.profiles); }},
                   {"never-block", [&](const Val& v) { read_domains(c, v, p.never_block); }},
               });
    }
    if (!c.errors.empty()) {
      std::fprintf(stderr, "presets.yaml: %s\n", c.errors.front().c_str());
      std::abort();
    }
    return p;
  }();
  return kPresets;
}

ResolvConf parse_resolv_conf(std::string_view text) {
  ResolvConf result;
  std::size_t entries = 0;  // valid nameserver entries, duplicates included (glibc's count)
  constexpr std::string_view kSpace = " \t\r\f\v";
  while (!text.empty()) {
    const auto newline = std::min(text.find('\n'), text.size());
    const auto whole_line = text.substr(0, newline);
    auto line = whole_line.substr(0, whole_line.find_first_of("#;"));
    text.remove_prefix(std::min(newline + 1, text.size()));
    const auto word = [&]() {
      line.remove_prefix(std::min(line.find_first_not_of(kSpace), line.size()));
      const auto w = line.substr(0, line.find_first_of(kSpace));
      line.remove_prefix(w.size());
      return w;
    };
    if (word() != "nameserver") continue;
    const auto name = word();
    const auto scope = name.find('%');
    const auto a = Address::parse(name.substr(0, scope));
    // A scope belongs only to IPv6 (fe80::1%eth0); "192.0.2.1%x" is garbage.
    if (!a || (scope != std::string_view::npos && !a->v6)) continue;
    if (++entries > kMaxNameservers) {
      result.ignored.emplace_back(name);
      continue;
    }
    const Endpoint e{*a, 53};
    auto& servers = result.servers;
    if (std::find(servers.begin(), servers.end(), e) == servers.end()) servers.push_back(e);
  }
  return result;
}

}  // namespace shelter::proxy::config
