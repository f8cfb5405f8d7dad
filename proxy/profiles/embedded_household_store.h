#pragma once
// The embedded store's HouseholdStore: edits go to the households file (HouseholdsFile: checked,
// written atomically), then the new directory is handed to `apply`, which puts it in force for
// the next query. Runs on one executor (the daemon's control thread, where reloads run too), so
// an edit and a reload never interleave.

#include <functional>
#include <memory>

#include "proxy/profiles/household_store.h"
#include "proxy/profiles/households_file.h"

namespace shelter::proxy::profiles {

class EmbeddedHouseholdStore final : public HouseholdStore {
 public:
  using Apply = std::function<void(std::shared_ptr<const EmbeddedDirectory>)>;

  EmbeddedHouseholdStore(std::unique_ptr<HouseholdsFile> file, Apply apply);

  /// A reload read the file again: edits continue from what it read.
  void reset(std::unique_ptr<HouseholdsFile> file);

  boost::asio::awaitable<std::optional<config::HouseholdConfig>> get(std::string id) override;
  boost::asio::awaitable<HouseholdPage> list(std::string after, std::size_t limit) override;
  boost::asio::awaitable<EditOutcome> edit(std::string id, HouseholdEdit edit,
                                           std::shared_ptr<const ProfileBook> book) override;
  std::string describe() const override;

 private:
  std::unique_ptr<HouseholdsFile> file_;
  Apply apply_;
  std::uint64_t version_ = 0;  // edits since start: one node, so its own count is the version
};

}  // namespace shelter::proxy::profiles
