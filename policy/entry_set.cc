#include "policy/entry_set.h"

namespace shelter::policy {

void EntrySet::add_domain(std::string name) {
  domains_.insert(std::move(name));
}

void EntrySet::add_url(std::string host, std::string path_prefix) {
  pages_[std::move(host)].push_back(std::move(path_prefix));
}

bool EntrySet::covers_domain(std::string_view name) const {
  if (domains_.empty()) return false;
  for (;;) {
    if (domains_.find(name) != domains_.end()) return true;
    std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) return false;
    name.remove_prefix(dot + 1);
  }
}

bool EntrySet::covers_url(std::string_view host, std::string_view path) const {
  if (covers_domain(host)) return true;
  auto it = pages_.find(host);
  if (it == pages_.end()) return false;
  for (const std::string& prefix : it->second) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

std::size_t EntrySet::size() const {
  std::size_t n = domains_.size();
  for (const auto& [host, paths] : pages_)
    n += paths.size();
  return n;
}

}  // namespace shelter::policy
