#pragma once
// A profile's own allow or deny entries: whole sites (a name and every name below it) and
// single pages (a canonical URL prefix). Parents add a handful, so this is a small hash set
// walked once per label of the question, not the list engine.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "policy/string_hash.h"

namespace shelter::policy {

class EntrySet {
 public:
  /// A normalised name (blocklist::normalise_domain): it and every name below it.
  void add_domain(std::string name);
  /// A page or a folder of pages on `host`: URLs whose canonical path starts with `path_prefix`
  /// (blocklist::canonicalise_url gives both parts).
  void add_url(std::string host, std::string path_prefix);

  /// `name` or one of its parents is a site entry.
  bool covers_domain(std::string_view name) const;
  /// Page entries exist on exactly this host (the DNS layer steers it to the proxy).
  bool has_pages_on(std::string_view host) const { return pages_.find(host) != pages_.end(); }
  /// The URL is covered by a site entry of its host or a page entry.
  bool covers_url(std::string_view host, std::string_view path) const;

  bool empty() const { return domains_.empty() && pages_.empty(); }
  std::size_t size() const;

 private:
  std::unordered_set<std::string, StringHash, std::equal_to<>> domains_;
  std::unordered_map<std::string, std::vector<std::string>, StringHash, std::equal_to<>> pages_;
};

}  // namespace shelter::policy
