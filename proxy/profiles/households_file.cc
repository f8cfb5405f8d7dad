#include "proxy/profiles/households_file.h"

#include <algorithm>

#include "proxy/fs/atomic_file.h"

namespace shelter::proxy::profiles {

HouseholdsFile::HouseholdsFile(std::string path, std::vector<config::HouseholdConfig> households)
    : path_(std::move(path)), households_(std::move(households)) {}

HouseholdsFile::Edit HouseholdsFile::put(config::HouseholdConfig household,
                                         const std::shared_ptr<const ProfileBook>& book) {
  std::lock_guard lock(mutex_);
  std::vector<config::HouseholdConfig> next = households_;
  household.key_path = "households." + household.id;
  auto same = [&](const config::HouseholdConfig& h) { return h.id == household.id; };
  auto it = std::find_if(next.begin(), next.end(), same);
  if (it != next.end()) {
    *it = std::move(household);
  } else {
    next.push_back(std::move(household));
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
