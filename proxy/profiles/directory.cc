#include "proxy/profiles/directory.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "proxy/profiles/redis_directory.h"

namespace shelter::proxy::profiles {

std::shared_ptr<const EmbeddedDirectory> EmbeddedDirectory::build(
    const std::vector<config::HouseholdConfig>& households, std::shared_ptr<const ProfileBook> book,
    std::vector<std::string>& errors) {
  auto directory = std::make_shared<EmbeddedDirectory>();
  for (const config::HouseholdConfig& spec : households) {
    if (directory->households_.find(spec.id) != nullptr) {
      errors.push_back(spec.key_path + ": household '" + spec.id + "' is defined twice");
      continue;
    }
    for (const policy::Cidr& prefix : spec.addresses) {
      const policy::Subscriber* other = directory->bindings_.exact_prefix(prefix);
      if (other != nullptr) {
        errors.push_back(spec.key_path + ".addresses: " + prefix.to_string() +
                         " is already bound to household '" + other->household + "'");
      }
    }
    bind_household(spec, directory->bindings_);
    if (auto h = compile_household(spec, book, errors)) directory->households_.insert(spec.id, h);
  }
  if (!errors.empty()) return nullptr;
  return directory;
}

Found EmbeddedDirectory::find(std::string_view household) const {
  const std::shared_ptr<const Household>* h = households_.find(household);
  if (h == nullptr) return {};
  return {Found::Status::hit, h->get(), nullptr};
}

boost::asio::awaitable<void> EmbeddedDirectory::fetch(redis::Client& /*connection*/,
                                                      std::string /*household*/) const {
  co_return;
}

Subscribers load_subscribers(const config::Config& config, policy::CategoryRegistry& registry,
                             std::vector<std::string>& errors) {
  Subscribers out;
  auto book = ProfileBook::build(config, registry, errors);
  if (!book) return out;
  if (config.subscribers.store == config::StoreKind::redis) {
    // Started by the daemon, which keeps one across reloads (its connections stay up).
    out.directory = std::make_shared<RedisDirectory>(config.redis, book);
    out.profiles = std::move(book);
    return out;
  }
  std::vector<config::HouseholdConfig> households;
  const std::string& path = config.subscribers.file;
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      errors.push_back("subscribers.file: cannot read " + path + ": " + std::strerror(errno));
      return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    config::HouseholdsResult parsed = config::parse_households(text.str());
    for (const std::string& e : parsed.errors)
      errors.push_back(path + ": " + e);
    if (!errors.empty()) return out;
    households = std::move(parsed.households);
  }
  auto directory = EmbeddedDirectory::build(households, book, errors);
  if (!directory) return out;
  out.profiles = std::move(book);
  out.directory = std::move(directory);
  out.households =
      std::make_shared<const std::vector<config::HouseholdConfig>>(std::move(households));
  return out;
}

}  // namespace shelter::proxy::profiles
