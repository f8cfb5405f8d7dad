#include "proxy/redis/client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>

#include "proxy/log.h"
#include "proxy/redis/reconnect.h"
#include "proxy/redis/sentinel.h"
#include "proxy/redis/subscriber.h"

namespace shelter::proxy::redis {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// One command waiting for its reply. The timer expires at the command's deadline; delivering
// the result cancels it, which wakes the waiting coroutine early.
struct Pending {
  Pending(const asio::any_io_executor& executor, Clock::time_point deadline)
      : timer(executor, deadline) {}
  asio::steady_timer timer;
  std::optional<Result> result;
};

}  // namespace

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::not_connected:
      return "not_connected";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::io:
      return "io";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::cancelled:
      return "cancelled";
  }
  return "?";
}

struct Client::State {
  State(asio::any_io_executor ex, Settings settings)
      : executor(ex), link(ex, std::move(settings), "redis"), write_signal(ex) {}

  using Ptr = std::shared_ptr<State>;
  void drop(const Error& for_pending, const std::string& why);
  bool take(Reply& reply);
  void switch_master(std::string_view message);
  // The coroutines hold the state alive: each takes its own pointer.
  static asio::awaitable<void> run(Ptr s);
  static asio::awaitable<void> serve(Ptr s, Session session);
  static asio::awaitable<void> read_loop(Ptr s);
  static asio::awaitable<void> write_loop(Ptr s);
  static asio::awaitable<Result> command(Ptr s, std::vector<std::string> args);

  asio::any_io_executor executor;
  Reconnector link;
  bool started = false;
  // The ready connection, while `connected`.
  bool connected = false;
  std::unique_ptr<Stream> stream;
  ReplyReader reader;
  std::optional<net::Endpoint> server;
  std::deque<std::shared_ptr<Pending>> pending;  // sent (or queued), in order
  std::string outbox;                            // encoded commands not yet written
  asio::steady_timer write_signal;               // cancelled to wake the writer
  std::function<void()> on_connected;
  SwitchWatch watcher;  // +switch-master, with Sentinel
};

// Closes the connection (the read and write loops then end) and completes every command in
// flight: nothing waits on a connection that is gone.
void Client::State::drop(const Error& for_pending, const std::string& why) {
  if (!connected) return;
  connected = false;
  if (!why.empty()) log_warn("redis: connection to " + server->to_string() + " dropped: " + why);
  stream->close();
  write_signal.cancel();
  outbox.clear();
  for (const std::shared_ptr<Pending>& p : std::exchange(pending, {})) {
    if (p->result) continue;
    p->result = for_pending;
    p->timer.cancel();
  }
}

// A reply completes the oldest command in flight.
bool Client::State::take(Reply& reply) {
  if (!connected) return false;  // dropped meanwhile: these bytes belong to nobody
  if (pending.empty()) {
    ++link.counters().errors;
    drop(Error{ErrorKind::protocol, "unexpected reply"}, "a reply to no command");
    return false;
  }
  std::shared_ptr<Pending> p = std::move(pending.front());
  pending.pop_front();
  if (p->result) return true;  // its caller gave up (cancelled)
  p->result = std::move(reply);
  p->timer.cancel();
  return true;
}

void Client::State::switch_master(std::string_view message) {
  std::optional<SwitchMaster> sw = parse_switch_master(message);
  const Settings& settings = link.settings();
  if (!sw || sw->master_name != settings.sentinel.master_name) return;
  log_info("redis: sentinel announces a new primary for '" + sw->master_name +
           "': " + sw->to.to_string());
  if (connected && (settings.prefer_replica || server != sw->to))
    drop(Error{ErrorKind::io, "the primary changed"}, "the primary changed");
  link.wake();
}

asio::awaitable<void> Client::State::read_loop(Ptr s) {
  const std::function<bool(Reply&)> take = [&s](Reply& reply) { return s->take(reply); };
  ReadEnd end = co_await read_replies(*s->stream, s->reader, take);
  if (end.why.empty()) co_return;  // `take` ended it, having dropped the connection
  if (end.protocol_error) ++s->link.counters().errors;
  ErrorKind kind = end.protocol_error ? ErrorKind::protocol : ErrorKind::io;
  s->drop(Error{kind, "connection lost: " + end.why}, end.why);
}

asio::awaitable<void> Client::State::write_loop(Ptr s) {
  Stream& stream = *s->stream;
  std::string out;
  while (s->connected) {
    if (s->outbox.empty()) {
      s->write_signal.expires_at(Clock::time_point::max());
      co_await s->write_signal.async_wait(kUseTuple);
      continue;
    }
    out.clear();
    std::swap(out, s->outbox);  // commands queued during this write go in the next one
    if (auto ec = co_await stream.write(asio::buffer(out))) {
      s->drop(Error{ErrorKind::io, "connection lost: " + ec.message()}, "write: " + ec.message());
    }
  }
}

asio::awaitable<void> Client::State::serve(Ptr s, Session session) {
  s->stream = std::move(session.stream);
  s->reader = std::move(session.reader);
  s->server = session.server;
  s->connected = true;
  if (s->on_connected) {
    try {
      s->on_connected();
    } catch (...) {
      log_exception{"redis: on_connected hook"}(std::current_exception());
    }
  }
  if (s->connected) co_await (read_loop(s) || write_loop(s));
  s->stream.reset();
}

asio::awaitable<void> Client::State::run(Ptr s) {
  // Named, not a temporary in the co_await: GCC 12 destroys a lambda converted to a temporary
  // std::function there twice.
  Reconnector::Serve serve_one = [s](Session session) { return serve(s, std::move(session)); };
  co_await s->link.run(std::move(serve_one));
}

asio::awaitable<Result> Client::State::command(Ptr s, std::vector<std::string> args) {
  if (!s->connected) {
    co_return Error{ErrorKind::not_connected, s->link.stopped() ? "stopped" : "not connected"};
  }
  const auto timeout = s->link.settings().command_timeout;
  auto p = std::make_shared<Pending>(s->executor, Clock::now() + timeout);
  s->pending.push_back(p);
  s->outbox += encode_command(args);
  s->write_signal.cancel();
  auto [ec] = co_await p->timer.async_wait(kUseTuple);
  if (p->result) co_return std::move(*p->result);
  if (ec) {
    p->result = Error{ErrorKind::cancelled, "cancelled"};  // its reply will be skipped
    co_return *p->result;
  }
  ++s->link.counters().timeouts;
  std::string why = "no reply within " + std::to_string(timeout.count()) + " ms";
  p->result = Error{ErrorKind::timeout, why};
  s->drop(Error{ErrorKind::io, "connection dropped after another command timed out"},
          "a command timed out (" + why + ")");
  co_return *p->result;
}

Client::Client(asio::any_io_executor executor, Settings settings)
    : state_(std::make_shared<State>(std::move(executor), std::move(settings))) {}

Client::~Client() {
  stop();
}

void Client::start() {
  if (state_->started || state_->link.stopped()) return;
  state_->started = true;
  asio::co_spawn(state_->executor, State::run(state_), log_exception{"redis client"});
  state_->watcher = watch_switch_master(state_->executor, state_->link.settings(), state_,
                                        &State::switch_master, "redis sentinel watch");
}

void Client::stop() {
  State& s = *state_;
  if (s.link.stopped()) return;
  s.drop(Error{ErrorKind::not_connected, "stopped"}, "");
  s.link.stop();
  s.watcher.stop();
}

asio::awaitable<Result> Client::command(std::vector<std::string> args) {
  // Not a coroutine itself: the state is copied into the coroutine now, so the awaitable stays
  // valid even if this Client is gone before it is awaited.
  return State::command(state_, std::move(args));
}

bool Client::connected() const {
  return state_->connected;
}

std::optional<net::Endpoint> Client::server() const {
  if (!state_->connected) return std::nullopt;
  return state_->server;
}

const Counters& Client::counters() const {
  return state_->link.counters();
}

void Client::on_connected(std::function<void()> hook) {
  state_->on_connected = std::move(hook);
}

}  // namespace shelter::proxy::redis
