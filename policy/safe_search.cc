#include "policy/safe_search.h"

#include <array>

namespace shelter::policy {
namespace {

constexpr std::array<std::string_view, 5> kYouTubeNames = {
    "www.youtube.com", "m.youtube.com", "youtubei.googleapis.com", "youtube.googleapis.com",
    "www.youtube-nocookie.com"};
constexpr std::array<std::string_view, 2> kBingNames = {"www.bing.com", "bing.com"};
constexpr std::array<std::string_view, 3> kDuckDuckGoNames = {
    "duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com"};

template <std::size_t N>
bool one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

bool is_country_label(std::string_view label) {
  if (label.size() != 2) return false;
  for (char c : label) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

// "com", "de", "co.uk", "com.au": the suffixes Google's search runs under.
bool is_google_suffix(std::string_view suffix) {
  if (suffix == "com" || suffix == "cat" || is_country_label(suffix)) return true;
  std::size_t dot = suffix.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view second = suffix.substr(0, dot);
  return (second == "co" || second == "com") && is_country_label(suffix.substr(dot + 1));
}

bool is_google_search(std::string_view name) {
  if (name.starts_with("www.")) name.remove_prefix(4);
  if (!name.starts_with("google.")) return false;
  return is_google_suffix(name.substr(7));
}

}  // namespace

std::optional<std::string_view> safe_search_target(std::string_view name,
                                                   const SafeSearch& settings) {
  if (settings.google && is_google_search(name)) return kGoogleSafe;
  if (settings.youtube != YouTubeMode::off && one_of(name, kYouTubeNames)) {
    return settings.youtube == YouTubeMode::strict ? kYouTubeStrict : kYouTubeModerate;
  }
  if (settings.bing && one_of(name, kBingNames)) return kBingStrict;
  if (settings.duckduckgo && one_of(name, kDuckDuckGoNames)) return kDuckDuckGoSafe;
  return std::nullopt;
}

}  // namespace shelter::policy
