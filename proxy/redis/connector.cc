#include "proxy/redis/connector.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/net/asio_endpoint.h"
#include "proxy/redis/sentinel.h"

namespace shelter::proxy::redis {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::vector<Command> login_commands(std::string_view user, std::string_view password,
                                    int database) {
  std::vector<Command> out;
  if (!password.empty()) {
    if (user.empty()) {
      out.push_back({"AUTH", std::string(password)});
    } else {
      out.push_back({"AUTH", std::string(user), std::string(password)});
    }
  }
  if (database != 0) out.push_back({"SELECT", std::to_string(database)});
  return out;
}

// With nothing else to ask, a PING: "connected" must mean a server that answers, not a kernel
// that accepted (a Redis busy in a long command or loading would otherwise pass).
std::vector<Command> ping_if_empty(std::vector<Command> queries) {
  if (queries.empty()) queries.push_back({"PING"});
  return queries;
}

// Outside the coroutines: GCC 12 miscompiles braced initializer lists inside them.
std::vector<Command> sentinel_queries(const std::string& name, bool replicas) {
  std::vector<Command> out = {{"SENTINEL", "get-master-addr-by-name", name}};
  if (replicas) out.push_back({"SENTINEL", "replicas", name});
  return out;
}

std::vector<Command> role_query() {
  return {{"ROLE"}};
}

bool contains(const std::vector<net::Endpoint>& list, const net::Endpoint& e) {
  return std::find(list.begin(), list.end(), e) != list.end();
}

}  // namespace

asio::awaitable<ReadEnd> read_replies(Stream& stream, ReplyReader& reader,
                                      const std::function<bool(Reply&)>& handle) {
  std::vector<char> buffer(16384);
  for (;;) {
    while (std::optional<Reply> reply = reader.next()) {
      if (!handle(*reply)) co_return ReadEnd{};
    }
    if (reader.failed()) co_return ReadEnd{true, "protocol error: " + reader.error()};
    auto [ec, n] = co_await stream.read_some(asio::buffer(buffer));
    if (ec)
      co_return ReadEnd{false, ec == asio::error::eof ? "closed by the server" : ec.message()};
    reader.feed({buffer.data(), n});
  }
}

asio::awaitable<std::string> exchange(Session& session, std::span<const Command> commands,
                                      std::vector<Reply>& replies) {
  std::string out;
  for (const Command& c : commands)
    out += encode_command(c);
  if (auto ec = co_await session.stream->write(asio::buffer(out))) co_return ec.message();
  std::string error;
  const std::function<bool(Reply&)> collect = [&](Reply& reply) {
    if (reply.is_error()) {
      error = commands[replies.size()][0] + ": " + reply.text;
      return false;
    }
    replies.push_back(std::move(reply));
    return replies.size() < commands.size();
  };
  ReadEnd end = co_await read_replies(*session.stream, session.reader, collect);
  co_return error.empty() ? end.why : error;
}

Connector::Connector(asio::any_io_executor executor, Settings settings)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      tls_(make_tls_context(settings_.tls)),
      sentinels_(settings_.sentinel.sentinels),
      rng_(std::random_device{}()) {}

Connector::Login Connector::data_login() const {
  return {settings_.user, settings_.password, settings_.database};
}

Connector::Login Connector::sentinel_login() const {
  return {settings_.sentinel.user, settings_.sentinel.password, 0};
}

asio::awaitable<Attempt> Connector::connect() {
  if (!sentinels_.empty()) co_return co_await connect_via_sentinels();
  Attempt last;
  last.error = "no servers configured";
  for (const net::Endpoint& server : settings_.servers) {
    last = co_await open(server, data_login(), std::vector<Command>{});
    if (last.session) break;
  }
  co_return last;
}

// Sentinels are asked in order (the last one that answered first, as Redis's guidelines for
// Sentinel clients say). A primary it names must say ROLE master: right after a failover a
// sentinel may still name the old one, and then the next sentinel gets its turn.
asio::awaitable<Attempt> Connector::connect_via_sentinels() {
  const std::string& name = settings_.sentinel.master_name;
  const std::vector<Command> queries = sentinel_queries(name, settings_.prefer_replica);
  std::vector<net::Endpoint> tried;
  Attempt last;
  for (std::size_t i = 0; i < sentinels_.size(); ++i) {
    const net::Endpoint sentinel = sentinels_[i];
    Attempt asked = co_await open(sentinel, sentinel_login(), queries);
    if (!asked.session) {
      last.error = "sentinel " + asked.error;
      continue;
    }
    asked.session->stream->close();
    std::optional<net::Endpoint> primary = parse_master_address(asked.replies[0]);
    if (!primary) {
      last.error = "sentinel " + sentinel.to_string() + " does not know master '" + name + "'";
      continue;
    }
    std::rotate(sentinels_.begin(), sentinels_.begin() + static_cast<std::ptrdiff_t>(i),
                sentinels_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    if (settings_.prefer_replica) {
      Attempt replica = co_await try_replicas(asked.replies[1], tried);
      if (replica.session) co_return replica;
      if (!replica.error.empty()) last.error = replica.error;
    }
    if (contains(tried, *primary)) continue;
    tried.push_back(*primary);
    last = co_await open(*primary, data_login(), role_query());
    if (!last.session) continue;
    if (role_is(last.replies[0], "master")) co_return last;
    last.session->stream->close();
    last.session.reset();
    last.error = primary->to_string() + ": not the primary (ROLE: a stale answer from sentinel " +
                 sentinel.to_string() + "?)";
  }
  co_return last;
}

// The healthy replicas, starting from a random one so a fleet's reads spread over them.
asio::awaitable<Attempt> Connector::try_replicas(const Reply& replicas,
                                                 std::vector<net::Endpoint>& tried) {
  std::vector<net::Endpoint> candidates = parse_healthy_replicas(replicas);
  Attempt last;
  if (candidates.empty()) co_return last;
  auto first = static_cast<std::ptrdiff_t>(rng_() % candidates.size());
  std::rotate(candidates.begin(), candidates.begin() + first, candidates.end());
  for (const net::Endpoint& replica : candidates) {
    if (contains(tried, replica)) continue;
    tried.push_back(replica);
    last = co_await open(replica, data_login(), std::vector<Command>{});
    if (last.session) break;
  }
  co_return last;
}

asio::awaitable<Attempt> Connector::open(net::Endpoint server, Login login,
                                         std::vector<Command> queries) {
  Attempt out;
  if (!tls_.error.empty()) {
    out.error = tls_.error;
    co_return out;
  }
  Session session{std::make_unique<Stream>(executor_, tls_.context), ReplyReader{}, server};
  std::vector<Command> commands = login_commands(login.user, login.password, login.database);
  const std::size_t login_count = commands.size();
  queries = ping_if_empty(std::move(queries));
  commands.insert(commands.end(), queries.begin(), queries.end());
  std::vector<Reply> replies;
  auto handshake = [&]() -> asio::awaitable<std::string> {
    std::string name =
        settings_.tls.server_name.empty() ? server.address.to_string() : settings_.tls.server_name;
    auto to = net::to_asio_endpoint<asio::ip::tcp>(server);
    if (auto ec = co_await session.stream->connect(to, std::move(name))) co_return ec.message();
    co_return co_await exchange(session, commands, replies);
  };
  asio::steady_timer timer(executor_, settings_.connect_timeout);
  auto outcome = co_await (handshake() || timer.async_wait(kUseTuple));
  if (outcome.index() == 1) {
    out.error = "timed out after " + std::to_string(settings_.connect_timeout.count()) + " ms";
  } else {
    out.error = std::move(std::get<0>(outcome));
  }
  if (!out.error.empty()) {
    session.stream->close();
    out.error = server.to_string() + ": " + out.error;
    co_return out;
  }
  out.replies.assign(std::make_move_iterator(replies.begin() + static_cast<long>(login_count)),
                     std::make_move_iterator(replies.end()));
  out.session = std::move(session);
  co_return out;
}

}  // namespace shelter::proxy::redis
