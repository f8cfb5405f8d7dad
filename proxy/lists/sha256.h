#pragma once
// SHA-256 as lower-case hex: what names a version of a list (list_source.h) and what a signed
// self-test report's digest is (proxy/admin/self_test.cc). OpenSSL stays in the .cc file.

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace shelter::proxy::lists {

/// A SHA-256 fed in pieces. Not thread-safe; one per digest.
class Sha256 {
 public:
  Sha256();
  Sha256& add(std::string_view bytes);
  /// The digest of everything added, 64 lower-case hex digits. Ends the digest: add nothing
  /// after it.
  std::string hex();

 private:
  std::unique_ptr<evp_md_ctx_st, void (*)(evp_md_ctx_st*)> ctx_;
};

}  // namespace shelter::proxy::lists
