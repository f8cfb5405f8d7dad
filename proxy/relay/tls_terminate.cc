#include "proxy/relay/tls_terminate.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <string>

#include "blocklist/url.h"
#include "proxy/clock.h"
#include "proxy/http/server.h"
#include "proxy/relay/deadline.h"
#include "proxy/relay/hop_fields.h"
#include "proxy/tls/cert_minter.h"
#include "proxy/tls/client_hello.h"

namespace shelter::proxy::relay {

struct ManagedTls {
  std::unique_ptr<tls::CertMinter> minter;
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_server};
};

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// A block page, its favicon, a retry: a terminated connection has little to do.
constexpr std::uint32_t kMaxRequests = 16;
constexpr std::chrono::seconds kShutdownTimeout{1};

using TlsStream = asio::ssl::stream<tcp::socket&>;

// ALPN: HTTP/1.1 only (the block page needs nothing more); a client offering only h2 gets no
// ALPN answer and speaks HTTP/1.1 as the default.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* offered, unsigned int offered_length, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, kHttp11, sizeof kHttp11, offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string unbracketed(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

class TerminatedSession {
 public:
  TerminatedSession(RelayShared& shared, TlsStream& tls, Deadline& deadline,
                    std::string_view hello_bytes, std::string_view host,
                    const ClientConnection& connection)
      : shared_(shared),
        tls_(tls),
        deadline_(deadline),
        hello_bytes_(hello_bytes),
        host_(host),
        connection_(connection) {}

  asio::awaitable<void> run() {
    deadline_.set(shared_.settings.header_timeout);
    // The hello (and anything after it) was read before the decision: the handshake starts
    // from those bytes, then reads the socket.
    auto [handshake, used] = co_await tls_.async_handshake(asio::ssl::stream_base::server,
                                                           asio::buffer(hello_bytes_), kUseTuple);
    if (handshake) {
      // Most often a device that does not trust the operator's CA: it sends its own alert.
      count(shared_.metrics.tls_terminate_failed);
      co_return;
    }
    count(shared_.metrics.tls_terminated);
    for (std::uint32_t served = 0; served < kMaxRequests; ++served) {
      if (!co_await serve_one(served + 1 == kMaxRequests)) break;
    }
    deadline_.set(kShutdownTimeout);
    co_await tls_.async_shutdown(kUseTuple);
  }

 private:
  // One request; false: the connection ends after it.
  asio::awaitable<bool> serve_one(bool last) {
    deadline_.set(shared_.settings.header_timeout);
    http::RequestHead head;
    http::HeadCheck check;
    for (;;) {
      check = http::check_request_head(buffer_, {}, &head);
      if (check.status != http::HeadStatus::need_more) break;
      if (!co_await read_more()) co_return false;
    }
    if (check.status == http::HeadStatus::bad) {
      co_await write(http::text_response(check.status_code, "bad request: " + check.reason), head,
                     false);
      co_return false;
    }
    std::string error;
    std::optional<blocklist::CanonicalUrl> canonical;
    if (!head.target.empty() && head.target.front() == '/') {
      canonical = blocklist::canonicalise_url("https://" + host_ + std::string(head.target), error);
    }
    if (!canonical) {
      co_await write(http::text_response(400, "bad request target"), head, false);
      co_return false;
    }
    http::Request request = page_request(head, head.target, connection_);
    bool body_read = !check.has_body;
    http::Response response;
    if (head.target.starts_with(kOwnPathPrefix) && shared_.gate.own_path) {
      if (check.has_body && !check.chunked && check.content_length <= kMaxOwnBody) {
        const std::size_t whole = check.head_bytes + check.content_length;
        while (buffer_.size() < whole) {
          if (!co_await read_more()) co_return false;
        }
        request.body = buffer_.substr(check.head_bytes, check.content_length);
        body_read = true;
      }
      response = body_read ? co_await shared_.gate.own_path(request)
                           : http::text_response(413, "request body too large");
    } else {
      // Every page of a host blocked whole is blocked: the page says why, for this requester.
      std::optional<http::Response> page =
          shared_.gate.page(connection_.client, canonical->host, canonical->path, clock::now(),
                            [&request] { return std::move(request); });
      // Unblocked since the handshake (a reload): this connection cannot reach the origin;
      // 421 makes the browser retry on a new one, which is spliced.
      response = page ? std::move(*page) : http::text_response(421, "retry on a new connection");
      if (!page) response.close = true;
    }
    const bool keep = body_read && !last && !response.close &&
                      keeps_alive(head.version_minor, field(head.fields, "connection"));
    const std::size_t used =
        check.head_bytes + (check.has_body && body_read ? check.content_length : 0);
    if (!co_await write(std::move(response), head, keep)) co_return false;
    buffer_.erase(0, used);
    co_return keep;
  }

  asio::awaitable<bool> read_more() {
    if (buffer_.size() > http::HeadLimits{}.max_head_bytes + kMaxOwnBody) co_return false;
    auto [ec, n] = co_await tls_.async_read_some(asio::buffer(chunk_), kUseTuple);
    if (ec) co_return false;
    buffer_.append(chunk_.data(), n);
    co_return true;
  }

  asio::awaitable<bool> write(http::Response response, const http::RequestHead& head, bool keep) {
    http::serialize_response(std::move(response), head.method == "HEAD", keep,
                             head.version_minor == 0, out_);
    deadline_.set(shared_.settings.header_timeout);
    auto [ec, n] = co_await asio::async_write(tls_, asio::buffer(out_), kUseTuple);
    if (!ec) count(shared_.metrics.bytes_to_client, n);
    co_return !ec;
  }

  RelayShared& shared_;
  TlsStream& tls_;
  Deadline& deadline_;
  std::string_view hello_bytes_;
  std::string host_;
  const ClientConnection& connection_;
  std::string buffer_;  // decrypted bytes not yet used
  std::string out_;
  std::array<char, 8192> chunk_{};
};

}  // namespace

std::shared_ptr<ManagedTls> make_managed_tls(const config::ProxyConfig::ManagedTls& config) {
  auto managed = std::make_shared<ManagedTls>();
  managed->minter = tls::CertMinter::load(
      config.ca_certificate, config.ca_key,
      std::chrono::duration_cast<std::chrono::seconds>(config.certificate_lifetime));
  SSL_CTX* ctx = managed->context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // No resumption: a terminated connection is short, and its certificate changes.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_alpn_select_cb(ctx, select_http11, nullptr);
  return managed;
}

asio::awaitable<void> serve_block_page_over_tls(RelayThreadContext& context, tcp::socket& client,
                                                std::string_view hello_bytes, std::string_view host,
                                                const ClientConnection& connection) {
  RelayShared& shared = context.shared;
  ManagedTls& managed = *shared.managed_tls;
  bool minted = false;
  std::shared_ptr<X509> certificate =
      managed.minter->certificate_for(unbracketed(host), clock::now(), &minted);
  if (minted) count(shared.metrics.tls_certificates_minted);
  if (!certificate) {
    const auto alert = tls::alert_record();
    co_await asio::async_write(client, asio::buffer(alert), kUseTuple);
    co_return;
  }
  TlsStream tls(client, managed.context);
  SSL* ssl = tls.native_handle();
  if (SSL_use_certificate(ssl, certificate.get()) != 1 ||
      SSL_use_PrivateKey(ssl, managed.minter->leaf_key()) != 1 ||
      SSL_add1_chain_cert(ssl, managed.minter->ca_certificate()) != 1) {
    ERR_clear_error();
    co_return;
  }
  Deadline deadline(client.get_executor());
  TerminatedSession session(shared, tls, deadline, hello_bytes, host, connection);
  co_await (session.run() || deadline.watch([&client] {
    boost::system::error_code ignored;
    client.close(ignored);
  }));
}

}  // namespace shelter::proxy::relay
