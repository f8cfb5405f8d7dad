#pragma once
// The embedded store's households file, changed at run time (by the admin API and the portal
// of later steps): every edit is checked first (the whole set must compile against the
// profiles), then written back atomically (fs::write_file_atomically: a crash leaves the old
// file or the new one, never half of one), and only then takes effect.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/subscribers.h"
#include "proxy/profiles/directory.h"

namespace shelter::proxy::profiles {

class HouseholdsFile {
 public:
  /// `households` as read from `path` (config::parse_households).
  HouseholdsFile(std::string path, std::vector<config::HouseholdConfig> households);

  /// The outcome of an edit: the directory to publish, or why nothing changed.
  struct Edit {
    std::shared_ptr<const EmbeddedDirectory> directory;
    std::vector<std::string> errors;
  };

  /// Adds the household, or replaces the one with its id. Thread-safe.
  Edit put(config::HouseholdConfig household, const std::shared_ptr<const ProfileBook>& book);
  /// Removes a household; an unknown id is an error. Thread-safe.
  Edit remove(const std::string& id, const std::shared_ptr<const ProfileBook>& book);

  std::vector<config::HouseholdConfig> households() const;
  /// The household with `id`, if any. Thread-safe.
  std::optional<config::HouseholdConfig> find(const std::string& id) const;
  /// At most `limit` households with ids after `after`, in id order. Thread-safe.
  std::vector<config::HouseholdConfig> page(const std::string& after, std::size_t limit) const;
  const std::string& path() const { return path_; }

 private:
  Edit commit(std::vector<config::HouseholdConfig> next,
              const std::shared_ptr<const ProfileBook>& book);

  mutable std::mutex mutex_;  // one edit at a time, so no edit is lost to another
  std::string path_;
  std::vector<config::HouseholdConfig> households_;  // in id order
};

}  // namespace shelter::proxy::profiles
