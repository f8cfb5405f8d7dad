#pragma once
// Safe-search enforcement by DNS: the search engines publish names that always serve their
// strict mode, and answering a CNAME to that name for the engine's own names switches it on
// for every browser and app on the network, with no certificate tricks.

#include <cstdint>
#include <optional>
#include <string_view>

namespace shelter::policy {

enum class YouTubeMode : std::uint8_t { off, moderate, strict };

struct SafeSearch {
  bool google = false;
  YouTubeMode youtube = YouTubeMode::off;
  bool bing = false;
  bool duckduckgo = false;
  bool any() const { return google || youtube != YouTubeMode::off || bing || duckduckgo; }
  bool operator==(const SafeSearch&) const = default;
};

/// The engines' safe endpoints.
inline constexpr std::string_view kGoogleSafe = "forcesafesearch.google.com";
inline constexpr std::string_view kYouTubeStrict = "restrict.youtube.com";
inline constexpr std::string_view kYouTubeModerate = "restrictmoderate.youtube.com";
inline constexpr std::string_view kBingStrict = "strict.bing.com";
inline constexpr std::string_view kDuckDuckGoSafe = "safe.duckduckgo.com";

/// The name a normalised question must be answered with (as a CNAME) under `settings`, or
/// nothing. Google's search names are `google.<country>` and `www.google.<country>` in some
/// 190 country forms (google.de, google.co.uk, google.com.au); they are recognised by shape.
std::optional<std::string_view> safe_search_target(std::string_view name,
                                                   const SafeSearch& settings);

}  // namespace shelter::policy
