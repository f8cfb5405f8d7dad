#include "proxy/config/venue_fields.h"

#include <algorithm>

namespace shelter::proxy::config::detail {
namespace {

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxParagraph = 4000;
constexpr std::size_t kMaxParagraphs = 40;

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return (u < 0x20 && ch != '\n' && ch != '\t') || u == 0x7f;
  });
}

// A paragraph as the page shows it: lines joined by single spaces, outer space trimmed.
std::string flowed(std::string_view text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

// One text whose blank lines separate paragraphs (a YAML `|` block).
std::vector<std::string> paragraphs_of(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = flowed(text.substr(start, end - start));
    if (line.empty()) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current += (current.empty() ? "" : " ") + line;
    }
    start = end + 1;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

void add_paragraphs(Ctx& c, const Val& v, std::string_view text, VenueConfig& venue) {
  if (has_control(text)) return c.error(v, "holds control characters");
  for (std::string& p : paragraphs_of(text)) {
    if (p.size() > kMaxParagraph) {
      return c.error(v, "has a paragraph over " + std::to_string(kMaxParagraph) + " bytes");
    }
    if (venue.terms.size() == kMaxParagraphs) {
      return c.error(v, "has over " + std::to_string(kMaxParagraphs) + " paragraphs");
    }
    venue.terms.push_back(std::move(p));
  }
}

Handler terms_into(Ctx& c, VenueConfig& venue) {
  return [&c, &venue](const Val& v) {
    venue.terms.clear();
    if (v.node.IsSequence()) {
      read_seq(c, v, [&](const Val& item) {
        if (const auto s = read_scalar(c, item, "a paragraph")) add_paragraphs(c, item, *s, venue);
      });
    } else if (const auto s = read_scalar(c, v, "a text or a list of paragraphs")) {
      add_paragraphs(c, v, *s, venue);
    }
    if (venue.terms.empty()) c.error(v, "is empty; give the venue's terms or leave the key out");
  };
}

Handler name_into(Ctx& c, std::string& name) {
  return [&c, &name](const Val& v) {
    const auto s = read_scalar(c, v, "the venue's name");
    if (!s) return;
    const std::string n = flowed(*s);
    if (n.empty()) return c.error(v, "must not be empty");
    if (n.size() > kMaxName || has_control(n)) {
      return c.error(v, "must be one line of at most " + std::to_string(kMaxName) + " bytes");
    }
    name = n;
  };
}

bool is_email(std::string_view s) {
  const std::size_t at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = s.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      s.size() > 254)
    return false;
  return std::none_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u <= 0x20 || u == 0x7f ||
           std::string_view("<>\"'(),:;[]\\").find(ch) != std::string_view::npos;
  });
}

bool is_phone(std::string_view s) {
  const auto digits =
      std::count_if(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  const bool chars_ok = std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') ||
           std::string_view(" +-().").find(ch) != std::string_view::npos;
  });
  return chars_ok && digits >= 3 && digits <= 20 && s.find('+', 1) == std::string_view::npos;
}

bool is_web(std::string_view s) {
  const bool scheme = s.starts_with("https://") || s.starts_with("http://");
  const std::size_t host = s.find("://") + 3;
  return scheme && s.size() > host && s.size() <= 2000 &&
         std::none_of(s.begin(), s.end(), [](char ch) {
           const auto u = static_cast<unsigned char>(ch);
           return u <= 0x20 || u == 0x7f || ch == '"' || ch == '<' || ch == '>';
         });
}

Handler checked_into(Ctx& c, std::string& out, bool (*valid)(std::string_view),
                     std::string_view expected) {
  return [&c, &out, valid, expected](const Val& v) {
    const auto s = read_scalar(c, v, expected);
    if (!s) return;
    if (!valid(*s)) return c.error(v, in_quotes(*s) + " is not " + std::string(expected));
    out = *s;
  };
}

}  // namespace

Handler venue_into(Ctx& c, VenueConfig& venue) {
  return [&c, &venue](const Val& v) {
    venue = VenueConfig{};
    if (!v.node.IsMap()) return name_into(c, venue.name)(v);
    auto contact = [&c, &venue](const Val& m) {
      read_map(c, m,
               {
                   {"email", checked_into(c, venue.email, is_email, "an e-mail address")},
                   {"phone", checked_into(c, venue.phone, is_phone,
                                          "a phone number (digits, spaces, + - ( ) .)")},
                   {"web", checked_into(c, venue.web, is_web, "an http(s): URL")},
               });
    };
    bool named = false;
    auto name = [&c, &venue, &named](const Val& n) {
      named = true;
      name_into(c, venue.name)(n);
    };
    read_map(c, v, {{"name", name}, {"terms", terms_into(c, venue)}, {"contact", contact}});
    if (!named) c.error(v, "has no name", "give web.venue.name, the name visitors know it by");
  };
}

}  // namespace shelter::proxy::config::detail
