// The Client over TLS against redis-server's own TLS port, with test certificates made by the
// openssl command-line tool.

#include <boost/asio/io_context.hpp>

#include "proxy/redis/client.h"
#include "tests/redis/redis_fixture.h"

using namespace shelter::test;
using namespace shelter::proxy::redis;
namespace asio = boost::asio;

namespace {

struct TlsRig {
  TlsRig()
      : port(free_port()),
        server("tls-server", server_args(0, "tls-server", tls_args(port)), port, true) {}

  static std::vector<std::string> tls_args(std::uint16_t port) {
    const TestCertificates& certs = test_certificates();
    return {"--tls-port",         std::to_string(port),
            "--tls-cert-file",    certs.server_cert,
            "--tls-key-file",     certs.server_key,
            "--tls-ca-cert-file", certs.ca,
            "--tls-auth-clients", "no"};
  }

  Settings settings(std::string ca_file, std::string server_name = {}) const {
    Settings s;
    s.servers = {local(port)};
    s.tls.enabled = true;
    s.tls.ca_file = std::move(ca_file);
    s.tls.server_name = std::move(server_name);
    return s;
  }

  std::uint16_t port;
  RedisServer server;
  asio::io_context io;
};

}  // namespace

TEST_CASE("TLS: the server's certificate is checked against the CA and the name") {
  TlsRig rig;
  const TestCertificates& certs = test_certificates();

  SECTION("by IP address") {
    Client client(rig.io.get_executor(), rig.settings(certs.ca));
    client.start();
    REQUIRE(run_until(rig.io, [&] { return client.connected(); }));
    CHECK(await(rig.io, client.command({"SET", "shelter:tls", "yes"})).reply().is_text("OK"));
    CHECK(await(rig.io, client.command({"GET", "shelter:tls"})).reply().is_text("yes"));
  }
  SECTION("by name") {
    Client client(rig.io.get_executor(), rig.settings(certs.ca, "localhost"));
    client.start();
    REQUIRE(run_until(rig.io, [&] { return client.connected(); }));
    CHECK(await(rig.io, client.command({"PING"})).reply().is_text("PONG"));
  }
  SECTION("a name the certificate does not carry") {
    Client client(rig.io.get_executor(), rig.settings(certs.ca, "redis.example"));
    client.start();
    REQUIRE(run_until(rig.io, [&] { return client.counters().errors >= 2; }));
    CHECK_FALSE(client.connected());
  }
  SECTION("another CA") {
    Client client(rig.io.get_executor(), rig.settings(certs.other_ca));
    client.start();
    REQUIRE(run_until(rig.io, [&] { return client.counters().errors >= 2; }));
    CHECK_FALSE(client.connected());
    CHECK(await(rig.io, client.command({"PING"})).error().kind == ErrorKind::not_connected);
  }
  SECTION("a CA file that does not exist") {
    Client client(rig.io.get_executor(), rig.settings("/nonexistent/ca.crt"));
    client.start();
    REQUIRE(run_until(rig.io, [&] { return client.counters().errors >= 1; }));
    CHECK_FALSE(client.connected());
  }
  SECTION("plain TCP to a TLS port") {
    Settings plain;
    plain.servers = {local(rig.port)};
    plain.connect_timeout = 200ms;
    Client client(rig.io.get_executor(), plain);
    client.start();
    REQUIRE(run_until(rig.io, [&] { return client.counters().errors >= 1; }));
    CHECK_FALSE(client.connected());
  }
}
