#include "proxy/profiles/embedded_household_store.h"

#include <set>

#include "proxy/profiles/household.h"
#include "proxy/profiles/household_bindings.h"
#include "proxy/profiles/household_json.h"

namespace shelter::proxy::profiles {

HouseholdRejected::HouseholdRejected(std::vector<std::string> reasons)
    : std::runtime_error(reasons.empty() ? std::string("refused") : reasons.front()),
      reasons_(std::move(reasons)) {}

std::vector<std::string> check_household(const config::HouseholdConfig& household,
                                         const std::shared_ptr<const ProfileBook>& book) {
  std::vector<std::string> errors = repeated_bindings(household);
  compile_household(household, book, errors);
  return errors;
}

EmbeddedHouseholdStore::EmbeddedHouseholdStore(std::unique_ptr<HouseholdsFile> file, Apply apply)
    : file_(std::move(file)), apply_(std::move(apply)) {}

void EmbeddedHouseholdStore::reset(std::unique_ptr<HouseholdsFile> file) {
  file_ = std::move(file);
}

boost::asio::awaitable<std::optional<config::HouseholdConfig>> EmbeddedHouseholdStore::get(
    std::string id) {
  co_return file_->find(id);
}

boost::asio::awaitable<HouseholdPage> EmbeddedHouseholdStore::list(std::string after,
                                                                   std::size_t limit) {
  HouseholdPage page;
  limit = std::min(limit, kMaxPage);
  // One more than asked tells whether there is a next page.
  page.households = file_->page(after, limit + 1);
  if (page.households.size() > limit) {
    page.households.resize(limit);
    page.next_after = page.households.back().id;
  }
  co_return page;
}

boost::asio::awaitable<EditOutcome> EmbeddedHouseholdStore::edit(
    std::string id, HouseholdEdit edit, std::shared_ptr<const ProfileBook> book) {
  if (file_->path().empty()) {
    throw HouseholdStoreUnavailable(
        "the embedded store has no households file: set subscribers.file to edit households");
  }
  std::optional<config::HouseholdConfig> current = file_->find(id);
  std::optional<config::HouseholdConfig> next = edit(current);
  EditOutcome outcome;
  outcome.version = version_;
  if (!next && !current) co_return outcome;
  if (next) next->id = id;
  if (next && current && household_to_json(*next) == household_to_json(*current)) {
    outcome.household = std::move(next);  // nothing to write, audit or publish
    co_return outcome;
  }
  if (next) {
    next->id = id;
    next->key_path = "households." + id;
    std::vector<std::string> errors = check_household(*next, book);
    if (!errors.empty()) throw HouseholdRejected(std::move(errors));
    // A binding of another household is refused here, with its owner named; the directory
    // build below would refuse only repeated addresses.
    std::set<std::string, std::less<>> mine;
    for (BindingField& b : binding_fields(*next))
      mine.insert(std::move(b.field));
    for (const config::HouseholdConfig& other : file_->households()) {
      if (other.id == id) continue;
      for (const BindingField& theirs : binding_fields(other)) {
        if (mine.contains(theirs.field)) {
          throw BindingTaken(theirs.field.substr(theirs.field.find(':') + 1) +
                             " is already bound to household '" + other.id + "'");
        }
      }
    }
  }
  HouseholdsFile::Edit done = next ? file_->put(*next, book) : file_->remove(id, book);
  if (!done.directory) {
    std::string why;
    for (const std::string& e : done.errors)
      why += (why.empty() ? "" : "; ") + e;
    throw HouseholdStoreUnavailable("the households file was not changed: " + why);
  }
  apply_(done.directory);
  outcome.household = std::move(next);
  outcome.changed = true;
  outcome.version = ++version_;
  co_return outcome;
}

std::string EmbeddedHouseholdStore::describe() const {
  return "embedded store, " + (file_->path().empty() ? std::string("no file") : file_->path());
}

}  // namespace shelter::proxy::profiles
