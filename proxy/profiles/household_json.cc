#include "proxy/profiles/household_json.h"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <charconv>

namespace shelter::proxy::profiles {
namespace {

namespace json = boost::json;

// A scalar as JSON, by its key: the households file's only numbers are times (paused-until)
// and its only booleans switches (safe search, block-bypass). Everything else is a string,
// however it looks: a CPE-ID "12345" or a profile named "13" stays a string.
json::value scalar_to_json(const YAML::Node& node, std::string_view key) {
  const std::string& text = node.Scalar();
  if (key == "paused-until") {
    std::int64_t number = 0;
    const char* end = text.data() + text.size();
    if (!text.empty() && std::from_chars(text.data(), end, number).ptr == end) return number;
  }
  if (key == "google" || key == "bing" || key == "duckduckgo" || key == "block-bypass") {
    if (text == "true") return true;
    if (text == "false") return false;
  }
  return json::string(text);
}

json::value yaml_to_json(const YAML::Node& node, std::string_view key = {}) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::object out;
      for (const auto& entry : node)
        out[entry.first.Scalar()] = yaml_to_json(entry.second, entry.first.Scalar());
      return out;
    }
    case YAML::NodeType::Sequence: {
      json::array out;
      for (const auto& item : node)
        out.push_back(yaml_to_json(item, key));
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node, key);
    default:
      return nullptr;
  }
}

}  // namespace

std::string household_to_json(const config::HouseholdConfig& household) {
  const YAML::Node file = YAML::Load(config::render_households({household}));
  const YAML::Node entry = file["households"][household.id];
  // An empty household renders as an empty mapping, which YAML reads as null.
  if (!entry.IsMap()) return "{}";
  return json::serialize(yaml_to_json(entry));
}

config::HouseholdsResult household_from_json(std::string_view json_text, const std::string& id) {
  // JSON is YAML: the households reader checks the document and names every bad key.
  return config::parse_household_document(json_text, id);
}

// Both through a household of one profile: the households file's writer and reader are the one
// spelling of a profile's fields.
std::string profile_to_json(const config::ProfileConfig& profile) {
  config::HouseholdConfig holder;
  holder.id = "profile";
  holder.profiles.push_back(profile);
  const json::value document = json::parse(household_to_json(holder));
  const json::value* fields = document.as_object().if_contains("profiles");
  const json::value* own = fields ? fields->as_object().if_contains(profile.name) : nullptr;
  // A profile with no fields renders as an empty mapping, which YAML reads as null.
  return own != nullptr && own->is_object() ? json::serialize(*own) : "{}";
}

std::optional<config::ProfileConfig> profile_from_json(std::string_view json_text,
                                                       const std::string& household,
                                                       const std::string& name,
                                                       std::vector<std::string>& errors) {
  json::error_code ec;
  json::value fields = json::parse(json_text, ec);
  if (ec || !fields.is_object()) {
    errors = {"the profile is not a JSON object"};
    return std::nullopt;
  }
  json::object holder;
  holder["profiles"].emplace_object()[name] = std::move(fields);
  config::HouseholdsResult parsed = household_from_json(json::serialize(holder), household);
  errors = std::move(parsed.errors);
  if (!errors.empty() || parsed.households.size() != 1 ||
      parsed.households.front().profiles.size() != 1) {
    if (errors.empty()) errors.emplace_back("'" + name + "' is not a valid profile name");
    return std::nullopt;
  }
  return std::move(parsed.households.front().profiles.front());
}

}  // namespace shelter::proxy::profiles
