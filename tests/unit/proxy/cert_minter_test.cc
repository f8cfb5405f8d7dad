// The certificates of proxy.managed-tls: made here with a CA made here, checked with OpenSSL's
// own verifier (chain, name, purpose, dates), and the CA files refused with clear errors.

#include "proxy/tls/cert_minter.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

#include "scratch_dir.h"

using shelter::proxy::tls::CertMinter;
using shelter::proxy::tls::KeyPtr;
using shelter::proxy::tls::X509Ptr;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;  // 2027-01-15

void add_ext(X509* x, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  REQUIRE(X509_add_ext(x, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

// A self-signed certificate for `key`: a CA unless `ca` is false; valid from `from` to `to`
// (seconds from the real clock: OpenSSL's loader checks expiry against it).
X509Ptr self_signed(EVP_PKEY* key, bool ca, long from, long to) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), from);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), to);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Test School CA"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key);
  add_ext(x.get(), x.get(), NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  add_ext(x.get(), x.get(), NID_key_usage,
          ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_ext(x.get(), x.get(), NID_subject_key_identifier, "hash");
  REQUIRE(X509_sign(x.get(), key, EVP_sha256()) > 0);
  return x;
}

void write_pem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_pem(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

struct TestCa {
  shelter::test::Scratch scratch;
  KeyPtr key{EVP_EC_gen("P-256")};
  X509Ptr cert;
  std::string cert_path = scratch.path("ca.pem");
  std::string key_path = scratch.path("ca.key");

  explicit TestCa(bool ca = true, long from = -86400, long to = 10L * 365 * 86400) {
    REQUIRE(key);
    cert = self_signed(key.get(), ca, from, to);
    write_pem(cert_path, cert.get());
    write_pem(key_path, key.get());
  }
};

// OpenSSL's verdict on `leaf` for a TLS server named `host` at `at`, trusting only `ca`.
int verify(X509* ca, X509* leaf, const std::string& host, std::int64_t at) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at));
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (host.find(':') != std::string::npos || host.find_first_not_of("0123456789.") == host.npos) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
  const int ok = X509_verify_cert(ctx);
  const int error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return error;
}

std::int64_t not_after(X509* x) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1);
  return timegm(&tm);
}

std::int64_t not_before(X509* x) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1);
  return timegm(&tm);
}

std::string load_error(const std::string& cert, const std::string& key) {
  try {
    CertMinter::load(cert, key, std::chrono::hours(24));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a minted certificate verifies for its name, as a server, under the CA", "[minter]") {
  TestCa ca;
  auto minter = CertMinter::load(ca.cert_path, ca.key_path, std::chrono::hours(24));
  for (const std::string host :
       {"blocked.example", "www.very-long-label.example.org", "127.0.0.1", "::1", "2001:db8::5"}) {
    INFO(host);
    bool minted = false;
    auto cert = minter->certificate_for(host, kNow, &minted);
    REQUIRE(cert);
    CHECK(minted);
    CHECK(verify(ca.cert.get(), cert.get(), host, kNow) == X509_V_OK);
    // Another name is not covered.
    CHECK(verify(ca.cert.get(), cert.get(), host == "127.0.0.1" ? "127.0.0.2" : "other.example",
                 kNow) != X509_V_OK);
    // Short-lived: from five minutes before now to the lifetime after.
    CHECK(not_before(cert.get()) == kNow - CertMinter::kBackdateSeconds);
    CHECK(not_after(cert.get()) == kNow + 24 * 3600);
    CHECK(verify(ca.cert.get(), cert.get(), host, kNow + 25 * 3600) == X509_V_ERR_CERT_HAS_EXPIRED);
    // The key is the minter's leaf key, not the CA's.
    CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), minter->leaf_key()) == 1);
    CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), ca.key.get()) != 1);
    // Not a CA itself: it cannot sign a certificate for another name.
    CHECK(X509_check_ca(cert.get()) == 0);
  }
  CHECK(minter->minted() == 5);
}

TEST_CASE("certificates are cached per name and minted again past half their life", "[minter]") {
  TestCa ca;
  auto minter = CertMinter::load(ca.cert_path, ca.key_path, std::chrono::hours(2));
  auto first = minter->certificate_for("blocked.example", kNow);
  bool minted = true;
  auto again = minter->certificate_for("blocked.example", kNow + 3599, &minted);
  CHECK(again == first);
  CHECK_FALSE(minted);
  auto renewed = minter->certificate_for("blocked.example", kNow + 3600, &minted);
  CHECK(minted);
  CHECK(renewed != first);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(renewed.get()),
                         X509_get0_serialNumber(first.get())) != 0);
  CHECK(minter->minted() == 2);
}

TEST_CASE("a certificate never outlives its CA", "[minter]") {
  TestCa ca(true, -86400, 3600);  // the CA ends in an hour (by the real clock)
  auto minter = CertMinter::load(ca.cert_path, ca.key_path, std::chrono::hours(24));
  const std::int64_t now = std::time(nullptr);
  auto cert = minter->certificate_for("blocked.example", now);
  REQUIRE(cert);
  CHECK(not_after(cert.get()) == not_after(ca.cert.get()));
}

TEST_CASE("names a certificate cannot carry are refused, not minted", "[minter]") {
  TestCa ca;
  auto minter = CertMinter::load(ca.cert_path, ca.key_path, std::chrono::hours(24));
  for (const std::string& host :
       {std::string(), std::string("a,DNS:evil.example"), std::string("bad name"),
        std::string("x:y.example"), std::string(300, 'a')}) {
    INFO(host);
    CHECK_FALSE(minter->certificate_for(host, kNow));
  }
  CHECK(minter->minted() == 0);
}

TEST_CASE("the CA's files are checked with clear errors", "[minter]") {
  TestCa ca;
  CHECK_THAT(load_error(ca.scratch.path("missing.pem"), ca.key_path),
             Catch::Contains("ca-certificate: cannot read"));
  CHECK_THAT(load_error(ca.cert_path, ca.scratch.path("missing.key")),
             Catch::Contains("ca-key: cannot read"));
  ca.scratch.write("garbage.pem", "not a certificate\n");
  CHECK_THAT(load_error(ca.scratch.path("garbage.pem"), ca.key_path),
             Catch::Contains("holds no PEM certificate"));
  CHECK_THAT(load_error(ca.cert_path, ca.scratch.path("garbage.pem")),
             Catch::Contains("holds no unencrypted PEM private key"));
  // An encrypted key cannot be read unattended.
  {
    FILE* f = std::fopen(ca.scratch.path("encrypted.key").c_str(), "w");
    REQUIRE(f != nullptr);
    char pass[] = "secret";
    PEM_write_PrivateKey(f, ca.key.get(), EVP_aes_128_cbc(), nullptr, 0, nullptr, pass);
    std::fclose(f);
  }
  CHECK_THAT(load_error(ca.cert_path, ca.scratch.path("encrypted.key")),
             Catch::Contains("holds no unencrypted PEM private key"));
  TestCa other;
  CHECK_THAT(load_error(ca.cert_path, other.key_path), Catch::Contains("is not the key of"));
  TestCa leaf(false);
  CHECK_THAT(load_error(leaf.cert_path, leaf.key_path), Catch::Contains("is not a CA"));
  TestCa expired(true, -2 * 86400, -86400);
  CHECK_THAT(load_error(expired.cert_path, expired.key_path), Catch::Contains("has expired"));
  CHECK(load_error(ca.cert_path, ca.key_path).empty());
}
