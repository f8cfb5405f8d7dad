#pragma once
// Managed networks only (proxy.managed-tls, off by default): short-lived certificates, signed
// by the operator's CA, for the names whose TLS connections the proxy terminates to show the
// block page. A school or a venue installs that CA on its own devices; nobody else's device
// trusts it, so without it a blocked HTTPS host gets a TLS alert (docs/proxy.md).
//
// One leaf key per process (P-256, made at start, never written anywhere); one certificate per
// name, cached and minted again when half its lifetime is gone. Only blocked hosts ever get
// one: the proxy never decrypts a connection it forwards. No Asio here: OpenSSL only, so unit
// tests check what is minted with OpenSSL's own verifier.

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <openssl/types.h>

namespace shelter::proxy::tls {

struct X509Free {
  void operator()(X509* x) const;
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const;
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

class CertMinter {
 public:
  static constexpr std::size_t kMaxCached = 4096;
  /// Minted certificates start this long before "now": a device whose clock is a little
  /// behind still accepts them.
  static constexpr std::int64_t kBackdateSeconds = 300;

  /// Loads the CA certificate and its key (PEM). Throws std::runtime_error naming the file and
  /// what is wrong: unreadable, not PEM, not a CA, key and certificate not a pair, expired.
  static std::unique_ptr<CertMinter> load(const std::string& ca_certificate_path,
                                          const std::string& ca_key_path,
                                          std::chrono::seconds lifetime);
  ~CertMinter();

  /// A certificate for `host` (a DNS name, or an IPv4/IPv6 literal without brackets), valid
  /// from `now` - kBackdateSeconds to `now` + lifetime (never past the CA's own end). From the
  /// cache while more than half its lifetime is left. Null when `host` cannot be named in a
  /// certificate. Thread-safe (the relay threads share one minter). `minted`, when given, says
  /// whether this call made a new one.
  std::shared_ptr<X509> certificate_for(std::string_view host, std::int64_t now,
                                        bool* minted = nullptr);

  EVP_PKEY* leaf_key() const { return leaf_key_.get(); }
  X509* ca_certificate() const { return ca_.get(); }
  std::chrono::seconds lifetime() const { return lifetime_; }
  std::uint64_t minted() const;  ///< certificates made so far (cache misses)

 private:
  CertMinter(X509Ptr ca, KeyPtr ca_key, KeyPtr leaf_key, std::chrono::seconds lifetime);
  std::shared_ptr<X509> mint(std::string_view host, std::int64_t now) const;

  struct Cached {
    std::shared_ptr<X509> certificate;
    std::int64_t renew_at = 0;  ///< half the lifetime
    std::list<std::string>::iterator age;
  };
  X509Ptr ca_;
  KeyPtr ca_key_;
  KeyPtr leaf_key_;
  std::chrono::seconds lifetime_;
  std::int64_t ca_not_after_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Cached> cache_;
  std::list<std::string> by_age_;  ///< most recently used first
  std::uint64_t minted_ = 0;
};

}  // namespace shelter::proxy::tls
