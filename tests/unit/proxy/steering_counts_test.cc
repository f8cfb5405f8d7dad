// How many names a list steers to the proxy, with the real parsers and a top-sites data set
// (tests/data/steering: ~500 popular sites, an adblock-style filter list whose URL rules hit
// 200 of them, and an IWF-style page list with entries on 4 of them). With the defaults the
// filter list steers nothing; with `steer: true` it would send 200 of the 500 sites through
// the proxy, which is why it is off for adblock lists.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/proxy/lists_test_util.h"

namespace {

using namespace lists_test;

const std::string kData = std::string(SHELTER_SOURCE_DIR) + "/tests/data/steering/";

std::vector<std::string> top_sites() {
  std::ifstream in(kData + "top-sites.txt");
  std::vector<std::string> sites;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') sites.push_back(line);
  }
  return sites;
}

std::string config_yaml(const char* filters_steer) {
  return "lists:\n"
         "  - {id: filters, format: adblock, path: " +
         kData + "filters.txt, category: ads" + filters_steer +
         "}\n"
         "  - {id: pages, format: urls, path: " +
         kData + "pages.csv, category: adult}\n";
}

// Top sites whose A/AAAA answers the DNS side would steer.
std::size_t steered_top_sites(const shelter::blocklist::Snapshot& snapshot) {
  std::size_t steered = 0;
  for (const std::string& site : top_sites())
    steered += snapshot.lookup(site).partial ? 1 : 0;
  return steered;
}

}  // namespace

TEST_CASE("steering counts on a top-sites data set", "[list_loader][steering]") {
  REQUIRE(top_sites().size() == 500);

  SECTION("defaults: the adblock list steers nothing, the page list its hosts") {
    auto loaded = load(parse(config_yaml("")), nullptr);
    const auto& snapshot = *loaded->snapshot;
    REQUIRE(snapshot.lists().size() == 2);
    CHECK_FALSE(snapshot.lists()[0].steer);
    CHECK(snapshot.lists()[0].steered_names == 0);
    CHECK(snapshot.lists()[1].steer);
    CHECK(snapshot.lists()[1].steered_names == 4);  // reddit, tumblr, archive.org, medium
    CHECK(snapshot.steered_name_count() == 4);
    CHECK(steered_top_sites(snapshot) == 4);
    // The proxy still applies the filter list's URL rules to pages that reach it.
    CHECK(snapshot.lookup_url("google.com", "/ads/x.js").blocked());
    CHECK(lists::describe_steering(snapshot) ==
          "names steered to the proxy for a page check:\n"
          "  filters: 0 names (steer: false)\n"
          "  pages: 4 names\n"
          "  total: 4 distinct names\n");
  }
  SECTION("steer: true on the adblock list: 200 of the 500 sites go through the proxy") {
    auto loaded = load(parse(config_yaml(", steer: true")), nullptr);
    const auto& snapshot = *loaded->snapshot;
    CHECK(snapshot.lists()[0].steered_names == 200);
    CHECK(snapshot.lists()[1].steered_names == 4);
    CHECK(snapshot.steered_name_count() == 203);  // reddit.com is in both
    // Of the 203 listed hosts, 3 are blocked whole by a domain rule of the same list
    // (doubleclick.net, adnxs.com, criteo.com); `||bing.com/...` and the like also steer 2
    // listed sites below them (bat.bing.com, ...): 202 of the 500 sites are steered.
    CHECK(steered_top_sites(snapshot) == 202);
  }
}
