#include "proxy/redis/subscriber.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/log.h"
#include "proxy/redis/reconnect.h"
#include "proxy/redis/sentinel.h"

namespace shelter::proxy::redis {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

template <typename Hook, typename... Args>
void call_hook(const Hook& hook, const char* what, Args&&... args) {
  if (!hook) return;
  try {
    hook(std::forward<Args>(args)...);
  } catch (...) {
    log_exception{what}(std::current_exception());
  }
}

// Outside the coroutines: GCC 12 miscompiles braced initializer lists inside them.
std::string ping_command() {
  return encode_command(std::vector<std::string>{"PING"});
}

}  // namespace

struct Subscriber::State {
  State(asio::any_io_executor ex, Settings settings, std::vector<std::string> channel_list,
        MessageHandler handler, std::string name)
      : executor(ex),
        link(ex, std::move(settings), std::move(name)),
        channels(std::move(channel_list)),
        on_message(std::move(handler)),
        keepalive(ex) {}

  using Ptr = std::shared_ptr<State>;
  void drop(const std::string& why);
  void switch_master(std::string_view message);
  bool handle(const Reply& reply);
  asio::awaitable<bool> wait(std::chrono::milliseconds d);
  static asio::awaitable<void> run(Ptr s);
  static asio::awaitable<void> serve(Ptr s, Session session);
  static asio::awaitable<void> read_loop(Ptr s, Session& session);
  static asio::awaitable<void> keepalive_loop(Ptr s, Session& session);

  asio::any_io_executor executor;
  Reconnector link;
  std::vector<std::string> channels;
  MessageHandler on_message;
  std::function<void()> on_subscribed;
  SwitchWatch watcher;  // +switch-master, with Sentinel
  bool started = false;
  // The current connection, while `open`.
  bool open = false;
  Stream* stream = nullptr;
  net::Endpoint server;
  bool subscribed = false;
  std::size_t confirmations = 0;
  bool awaiting_pong = false;
  asio::steady_timer keepalive;
};

void Subscriber::State::drop(const std::string& why) {
  if (!open) return;
  open = false;
  subscribed = false;
  if (!why.empty())
    log_warn(link.name() + ": connection to " + server.to_string() + " dropped: " + why);
  stream->close();
  keepalive.cancel();
}

// A failover: the old primary goes on serving subscriptions (it becomes a replica, and
// PUBLISH reaches replicas), but this connection belongs with the new one.
void Subscriber::State::switch_master(std::string_view message) {
  std::optional<SwitchMaster> sw = parse_switch_master(message);
  const Settings& settings = link.settings();
  if (!sw || sw->master_name != settings.sentinel.master_name) return;
  if (open && (settings.prefer_replica || server != sw->to)) drop("the primary changed");
  link.wake();
}

// Anything that is not a push of the subscribe protocol means the connection is not what we
// think it is (an error reply: e.g. NOPERM for a channel).
bool Subscriber::State::handle(const Reply& reply) {
  awaiting_pong = false;  // any reply shows the connection is alive
  std::string_view kind;
  if (reply.type == ReplyType::array && !reply.elements.empty()) kind = reply.elements[0].text;
  if (kind == "message" && reply.elements.size() == 3) {
    call_hook(on_message, "redis subscriber: message handler", reply.elements[1].text,
              reply.elements[2].text);
  } else if (kind == "subscribe") {
    if (++confirmations == channels.size()) {
      subscribed = true;
      log_info(link.name() + ": subscribed on " + server.to_string());
      call_hook(on_subscribed, "redis subscriber: on_subscribed hook");
    }
  } else if (kind != "pong") {
    ++link.counters().errors;
    drop(reply.is_error() ? reply.text : "unexpected reply");
  }
  return open;
}

asio::awaitable<bool> Subscriber::State::wait(std::chrono::milliseconds d) {
  keepalive.expires_after(d);
  co_await keepalive.async_wait(kUseTuple);
  co_return open;
}

asio::awaitable<void> Subscriber::State::run(Ptr s) {
  // Named, not a temporary in the co_await: GCC 12 destroys a lambda converted to a temporary
  // std::function there twice.
  Reconnector::Serve serve_one = [s](Session session) { return serve(s, std::move(session)); };
  co_await s->link.run(std::move(serve_one));
}

asio::awaitable<void> Subscriber::State::serve(Ptr s, Session session) {
  s->open = true;
  s->stream = session.stream.get();
  s->server = session.server;
  s->confirmations = 0;
  s->awaiting_pong = false;
  std::vector<std::string> subscribe = s->channels;
  subscribe.insert(subscribe.begin(), "SUBSCRIBE");
  std::string out = encode_command(subscribe);
  if (auto ec = co_await session.stream->write(asio::buffer(out))) {
    s->drop("write: " + ec.message());
  } else if (s->open) {
    co_await (read_loop(s, session) || keepalive_loop(s, session));
  }
  s->drop("");
  s->stream = nullptr;
}

asio::awaitable<void> Subscriber::State::read_loop(Ptr s, Session& session) {
  const std::function<bool(Reply&)> handle = [&s](Reply& reply) {
    return s->open && s->handle(reply);
  };
  ReadEnd end = co_await read_replies(*session.stream, session.reader, handle);
  if (end.protocol_error) ++s->link.counters().errors;
  if (!end.why.empty()) s->drop(end.why);
}

// The subscription must be confirmed in time, then the connection must answer a PING now and
// then: without traffic, a peer that vanished (power, partition) would never be noticed, and
// invalidations would be missed for good.
asio::awaitable<void> Subscriber::State::keepalive_loop(Ptr s, Session& session) {
  const Settings& settings = s->link.settings();
  const std::string timeout_ms = std::to_string(settings.command_timeout.count()) + " ms";
  if (!co_await s->wait(settings.command_timeout)) co_return;
  if (!s->subscribed) {
    ++s->link.counters().timeouts;
    s->drop("SUBSCRIBE not confirmed within " + timeout_ms);
    co_return;
  }
  const std::string ping = ping_command();
  while (co_await s->wait(settings.keepalive_interval)) {
    s->awaiting_pong = true;
    if (auto ec = co_await session.stream->write(asio::buffer(ping))) {
      s->drop("write: " + ec.message());
      break;
    }
    if (!co_await s->wait(settings.command_timeout)) break;
    if (s->awaiting_pong) {
      ++s->link.counters().timeouts;
      s->drop("no reply to PING within " + timeout_ms);
      break;
    }
  }
}

Subscriber::Subscriber(asio::any_io_executor executor, Settings settings,
                       std::vector<std::string> channels, MessageHandler on_message,
                       std::string name)
    : state_(std::make_shared<State>(std::move(executor), std::move(settings), std::move(channels),
                                     std::move(on_message), std::move(name))) {}

Subscriber::~Subscriber() {
  stop();
}

void Subscriber::start() {
  if (state_->started || state_->link.stopped()) return;
  state_->started = true;
  asio::co_spawn(state_->executor, State::run(state_), log_exception{"redis subscriber"});
  state_->watcher =
      watch_switch_master(state_->executor, state_->link.settings(), state_, &State::switch_master,
                          state_->link.name() + " sentinel watch");
}

void Subscriber::stop() {
  State& s = *state_;
  if (s.link.stopped()) return;
  s.link.stop();
  s.drop("");  // handlers are only called while the connection is open
  s.watcher.stop();
}

void Subscriber::on_subscribed(std::function<void()> hook) {
  state_->on_subscribed = std::move(hook);
}

bool Subscriber::subscribed() const {
  return state_->subscribed;
}

const Counters& Subscriber::counters() const {
  return state_->link.counters();
}

}  // namespace shelter::proxy::redis
