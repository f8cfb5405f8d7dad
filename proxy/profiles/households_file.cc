#include "proxy/profiles/households_file.h"

#include <algorithm>

#include "proxy/fs/atomic_file.h"

namespace shelter::proxy::profiles {
namespace {

bool by_id(const config::HouseholdConfig& a, const config::HouseholdConfig& b) {
  return a.id < b.id;
}

}  // namespace

HouseholdsFile::HouseholdsFile(std::string path, std::vector<config::HouseholdConfig> households)
    : path_(std::move(path)), households_(std::move(households)) {
  std::sort(households_.begin(), households_.end(), by_id);
}

HouseholdsFile::Edit HouseholdsFile::put(config::HouseholdConfig household,
                                         const std::shared_ptr<const ProfileBook>& book) {
  std::lock_guard lock(mutex_);
  std::vector<config::HouseholdConfig> next = households_;
  household.key_path = "households." + household.id;
  auto it = std::lower_bound(next.begin(), next.end(), household, by_id);
  if (it != next.end() && it->id == household.id) {
    *it = std::move(household);
  } else {
    next.insert(it, std::move(household));
  }
  return commit(std::move(next), book);
}

HouseholdsFile::Edit HouseholdsFile::remove(const std::string& id,
                                            const std::shared_ptr<const ProfileBook>& book) {
  std::lock_guard lock(mutex_);
  std::vector<config::HouseholdConfig> next = households_;
  auto gone = std::remove_if(next.begin(), next.end(),
                             [&](const config::HouseholdConfig& h) { return h.id == id; });
  if (gone == next.end()) return {nullptr, {"household '" + id + "' does not exist"}};
  next.erase(gone, next.end());
  return commit(std::move(next), book);
}

std::vector<config::HouseholdConfig> HouseholdsFile::households() const {
  std::lock_guard lock(mutex_);
  return households_;
}

std::optional<config::HouseholdConfig> HouseholdsFile::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = std::lower_bound(
      households_.begin(), households_.end(), id,
      [](const config::HouseholdConfig& h, const std::string& key) { return h.id < key; });
  if (it == households_.end() || it->id != id) return std::nullopt;
  return *it;
}

std::vector<config::HouseholdConfig> HouseholdsFile::page(const std::string& after,
                                                          std::size_t limit) const {
  std::lock_guard lock(mutex_);
  auto it = std::upper_bound(
      households_.begin(), households_.end(), after,
      [](const std::string& key, const config::HouseholdConfig& h) { return key < h.id; });
  std::vector<config::HouseholdConfig> out;
  for (; it != households_.end() && out.size() < limit; ++it)
    out.push_back(*it);
  return out;
}

// Checked, then written, then in force: a set that does not compile is never written, and a
// write that fails changes nothing in memory either.
HouseholdsFile::Edit HouseholdsFile::commit(std::vector<config::HouseholdConfig> next,
                                            const std::shared_ptr<const ProfileBook>& book) {
  Edit edit;
  edit.directory = EmbeddedDirectory::build(next, book, edit.errors);
  if (!edit.directory) return edit;
  // Subscribers' addresses and MACs are personal data: readable by shelterd's group only.
  std::string text = config::render_households(next);
  std::string error = fs::write_file_atomically(path_, text, 0640);
  if (!error.empty()) return {nullptr, {error}};
  households_ = std::move(next);
  return edit;
}

}  // namespace shelter::proxy::profiles
