// web.venue: a name alone, or the venue's terms and contact; each error names its key and line;
// the shipped hotspot configuration parses.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/loader.h"

namespace cfg = shelter::proxy::config;

namespace {

std::string errors_of(std::string_view yaml) {
  const cfg::LoadResult r = cfg::parse_config(yaml, "test.yaml");
  std::string all;
  for (const auto& e : r.errors)
    all += e + "\n";
  return all;
}

cfg::VenueConfig venue_of(std::string_view yaml) {
  const cfg::LoadResult r = cfg::parse_config(yaml, "test.yaml");
  INFO(errors_of(yaml));
  REQUIRE(r.config);
  return r.config->web.venue;
}

}  // namespace

TEST_CASE("web.venue: a name alone, as before") {
  const cfg::VenueConfig v = venue_of("web:\n  venue: Café Example\n");
  CHECK(v.name == "Café Example");
  CHECK(v.terms.empty());
  CHECK(venue_of("threads: 1\n").name.empty());  // no venue: pages name the organisation
}

TEST_CASE("web.venue: terms as one text (blank lines part paragraphs) or a list") {
  const cfg::VenueConfig v = venue_of(R"y(web:
  venue:
    name: "  Riverside   Library "
    terms: |
      First line
        of the first paragraph.

      Second paragraph.


      Third.
    contact:
      email: wifi@library.example
      phone: "+44 (20) 7946-0000"
      web: https://library.example/wifi
)y");
  CHECK(v.name == "Riverside Library");
  CHECK(v.terms == std::vector<std::string>{"First line of the first paragraph.",
                                            "Second paragraph.", "Third."});
  CHECK(v.email == "wifi@library.example");
  CHECK(v.phone == "+44 (20) 7946-0000");
  CHECK(v.web == "https://library.example/wifi");
  const cfg::VenueConfig listed =
      venue_of("web:\n  venue:\n    name: X\n    terms: [\"One.\", \"Two\\nlines.\"]\n");
  CHECK(listed.terms == std::vector<std::string>{"One.", "Two lines."});
}

TEST_CASE("web.venue: each error names the key and the line") {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"web:\n  venue:\n    terms: x\n", "web.venue: has no name (line 3)"},
      {"web:\n  venue: ''\n", "web.venue: must not be empty (line 2)"},
      {"web:\n  venue:\n    name: X\n    terms: []\n", "web.venue.terms: is empty"},
      {"web:\n  venue:\n    name: X\n    terms: \"  \\n\\n \"\n", "web.venue.terms: is empty"},
      {"web:\n  venue:\n    name: X\n    terms: \"a\\u0007b\"\n",
       "web.venue.terms: holds control characters (line 4)"},
      {"web:\n  venue:\n    name: X\n    contact: {email: 'a@b'}\n",
       "web.venue.contact.email: 'a@b' is not an e-mail address (line 4)"},
      {"web:\n  venue:\n    name: X\n    contact: {email: 'a b@c.example'}\n",
       "web.venue.contact.email: 'a b@c.example' is not an e-mail address"},
      {"web:\n  venue:\n    name: X\n    contact: {phone: '12'}\n",
       "web.venue.contact.phone: '12' is not a phone number"},
      {"web:\n  venue:\n    name: X\n    contact: {phone: '1-800-FLOWERS'}\n",
       "web.venue.contact.phone: '1-800-FLOWERS' is not a phone number"},
      {"web:\n  venue:\n    name: X\n    contact: {web: 'javascript:alert(1)'}\n",
       "web.venue.contact.web: 'javascript:alert(1)' is not an http(s): URL (line 4)"},
      {"web:\n  venue:\n    name: X\n    contact: {fax: '1'}\n", "web.venue.contact.fax"},
      {"web:\n  venue:\n    name: [X]\n", "web.venue.name: expected the venue's name"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.yaml) {
      const std::string all = errors_of(c.yaml);
      INFO(all);
      CHECK(all.find(c.error) != std::string::npos);
    }
  }
  const std::string long_name = "web:\n  venue: " + std::string(201, 'x') + "\n";
  CHECK(errors_of(long_name).find("web.venue: must be one line of at most 200 bytes") !=
        std::string::npos);
}

TEST_CASE("deploy/hotspot/shelter.yaml parses: the public Wi-Fi for everyone, the venue") {
  const auto r = cfg::load_config_file(SHELTER_SOURCE_DIR "/deploy/hotspot/shelter.yaml");
  std::string all;
  for (const auto& e : r.errors)
    all += e + "\n";
  INFO(all);
  REQUIRE(r.config);
  const cfg::Config& c = *r.config;
  CHECK(c.subscribers.default_profile == "hotspot");
  CHECK(c.web.venue.name == "Riverside Library");
  CHECK(c.web.venue.terms.size() == 3);
  CHECK(c.web.venue.email == "wifi@library.example");
  CHECK(c.blocking.appeal_url == "http://192.168.50.1/appeal");
}
