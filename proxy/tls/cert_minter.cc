#include "proxy/tls/cert_minter.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <stdexcept>

namespace shelter::proxy::tls {

void X509Free::operator()(X509* x) const {
  X509_free(x);
}
void KeyFree::operator()(EVP_PKEY* k) const {
  EVP_PKEY_free(k);
}

namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

BIO* open_pem(const std::string& path, const char* what) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (!bio) {
    ERR_clear_error();
    throw std::runtime_error(std::string("proxy.managed-tls.") + what + ": cannot read '" + path +
                             "'");
  }
  return bio;
}

std::int64_t to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

// A 128-bit random serial with the top bit clear (positive, at most 16 bytes as RFC 5280 asks).
bool set_random_serial(X509* x) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return false;
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;  // never a short serial
  BIGNUM* bn = BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr);
  if (!bn) return false;
  const bool ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nullptr;
  BN_free(bn);
  return ok;
}

// subjectAltName: the one name, built from values (never parsed from a configuration string,
// so no byte of a client's SNI can add a name).
bool add_alt_name(X509* x, std::string_view host) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (!name) return false;
  const std::string text(host);
  if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(text.c_str())) {
    GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
  } else if (host.find(':') != std::string_view::npos) {
    ERR_clear_error();
    GENERAL_NAME_free(name);
    return false;  // not an address, and no DNS name holds a colon
  } else {
    ERR_clear_error();
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (!dns || ASN1_STRING_set(dns, text.data(), static_cast<int>(text.size())) != 1) {
      ASN1_IA5STRING_free(dns);
      GENERAL_NAME_free(name);
      return false;
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, dns);
  }
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  if (!names || sk_GENERAL_NAME_push(names, name) == 0) {
    GENERAL_NAME_free(name);
    sk_GENERAL_NAME_free(names);
    return false;
  }
  const bool ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
  GENERAL_NAMES_free(names);
  return ok;
}

bool add_extension(X509* x, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A name a certificate may carry: letters, digits, '-', '.', '_' (as SNIs are), or an IP.
bool nameable(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (const char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<CertMinter> CertMinter::load(const std::string& ca_certificate_path,
                                             const std::string& ca_key_path,
                                             std::chrono::seconds lifetime) {
  std::unique_ptr<BIO, BioFree> cert_bio(open_pem(ca_certificate_path, "ca-certificate"));
  X509Ptr ca(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!ca) {
    throw std::runtime_error("proxy.managed-tls.ca-certificate: '" + ca_certificate_path +
                             "' holds no PEM certificate (" + openssl_error() + ")");
  }
  std::unique_ptr<BIO, BioFree> key_bio(open_pem(ca_key_path, "ca-key"));
  // No passphrase callback: a key file the daemon cannot read unattended is refused.
  KeyPtr key(PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr));
  if (!key) {
    throw std::runtime_error("proxy.managed-tls.ca-key: '" + ca_key_path +
                             "' holds no unencrypted PEM private key (" + openssl_error() + ")");
  }
  if (X509_check_private_key(ca.get(), key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("proxy.managed-tls: the key in '" + ca_key_path +
                             "' is not the key of the certificate in '" + ca_certificate_path +
                             "'");
  }
  if (X509_check_ca(ca.get()) < 1) {
    throw std::runtime_error("proxy.managed-tls.ca-certificate: '" + ca_certificate_path +
                             "' is not a CA certificate (basicConstraints CA:TRUE, keyCertSign)");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(ca.get())) <= 0) {
    throw std::runtime_error("proxy.managed-tls.ca-certificate: '" + ca_certificate_path +
                             "' has expired");
  }
  KeyPtr leaf(EVP_EC_gen("P-256"));
  if (!leaf) throw std::runtime_error("proxy.managed-tls: no P-256 key: " + openssl_error());
  return std::unique_ptr<CertMinter>(
      new CertMinter(std::move(ca), std::move(key), std::move(leaf), lifetime));
}

CertMinter::CertMinter(X509Ptr ca, KeyPtr ca_key, KeyPtr leaf_key, std::chrono::seconds lifetime)
    : ca_(std::move(ca)),
      ca_key_(std::move(ca_key)),
      leaf_key_(std::move(leaf_key)),
      lifetime_(lifetime),
      ca_not_after_(to_unix(X509_get0_notAfter(ca_.get()))) {}

CertMinter::~CertMinter() = default;

std::uint64_t CertMinter::minted() const {
  std::lock_guard lock(mutex_);
  return minted_;
}

std::shared_ptr<X509> CertMinter::certificate_for(std::string_view host, std::int64_t now,
                                                  bool* minted) {
  if (minted) *minted = false;
  if (!nameable(host)) return nullptr;
  std::string key(host);
  {
    std::lock_guard lock(mutex_);
    auto found = cache_.find(key);
    if (found != cache_.end() && now < found->second.renew_at) {
      by_age_.splice(by_age_.begin(), by_age_, found->second.age);
      return found->second.certificate;
    }
  }
  // Signing takes a fraction of a millisecond: done outside the lock, so two threads may mint
  // the same name at once, and the later one is kept. Harmless.
  std::shared_ptr<X509> made = mint(host, now);
  if (!made) return nullptr;
  if (minted) *minted = true;
  std::lock_guard lock(mutex_);
  ++minted_;
  auto found = cache_.find(key);
  if (found != cache_.end()) {
    by_age_.erase(found->second.age);
    cache_.erase(found);
  }
  while (cache_.size() >= kMaxCached) {
    cache_.erase(by_age_.back());
    by_age_.pop_back();
  }
  by_age_.push_front(key);
  cache_.emplace(std::move(key), Cached{made, now + lifetime_.count() / 2, by_age_.begin()});
  return made;
}

std::shared_ptr<X509> CertMinter::mint(std::string_view host, std::int64_t now) const {
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1 || !set_random_serial(x.get()))
    return nullptr;
  const std::int64_t not_after = std::min(now + lifetime_.count(), ca_not_after_);
  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(now - kBackdateSeconds)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(not_after))) {
    return nullptr;
  }
  // The subject's CN for old clients (it holds at most 64 characters); the SAN is what counts.
  X509_NAME* subject = X509_get_subject_name(x.get());
  if (host.size() <= 64) {
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(host.data()),
                               static_cast<int>(host.size()), -1, 0);
  }
  if (X509_set_issuer_name(x.get(), X509_get_subject_name(ca_.get())) != 1 ||
      X509_set_pubkey(x.get(), leaf_key_.get()) != 1 || !add_alt_name(x.get(), host)) {
    ERR_clear_error();
    return nullptr;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_.get(), x.get(), nullptr, nullptr, 0);
  const bool extensions =
      add_extension(x.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
      add_extension(x.get(), &ctx, NID_key_usage, "critical,digitalSignature") &&
      add_extension(x.get(), &ctx, NID_ext_key_usage, "serverAuth") &&
      add_extension(x.get(), &ctx, NID_subject_key_identifier, "hash") &&
      add_extension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  // Ed25519/Ed448 CA keys sign without a separate digest.
  const int type = EVP_PKEY_get_base_id(ca_key_.get());
  const EVP_MD* digest =
      (type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (!extensions || X509_sign(x.get(), ca_key_.get(), digest) <= 0) {
    ERR_clear_error();
    return nullptr;
  }
  return std::shared_ptr<X509>(x.release(), X509Free{});
}

}  // namespace shelter::proxy::tls
