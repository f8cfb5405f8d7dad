#include "proxy/config/yaml_fields.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace shelter::proxy::config::detail {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kMaxShown = 64;  // characters of a value quoted in a message

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Range bounds as an operator would write them: "10ms", "60s".
std::string duration_text(milliseconds d) {
  if (d.count() != 0 && d.count() % 86'400'000 == 0)
    return std::to_string(d.count() / 86'400'000) + "d";
  if (d.count() != 0 && d.count() % 3'600'000 == 0)
    return std::to_string(d.count() / 3'600'000) + "h";
  if (d.count() != 0 && d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxShown)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
      continue;
    }
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\x%02x", u);
    out += escaped;
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

std::string in_quotes(std::string_view text) {
  return "'" + printable(text) + "'";
}

Val child(const Val& parent, const YAML::Node& node, std::string path) {
  // yaml-cpp marks an empty value where the next token starts, often the next line.
  const bool own_line = node.Mark().line >= 0 && !node.IsNull();
  const int line = own_line ? node.Mark().line : parent.line;
  return Val{node, std::move(path), line};
}

void Ctx::error(const std::string& path, int line, std::string_view what, std::string_view hint) {
  if (errors.size() == kMaxErrors) {
    errors.push_back("(file): more than " + std::to_string(kMaxErrors) +
                     " errors; stopped reading");
    throw StopReading{};
  }
  std::string e = (path.empty() ? std::string("(top level)") : path) + ": " + std::string(what);
  if (line >= 0) e += " (line " + std::to_string(line + 1) + ")";
  if (!hint.empty()) e += "; " + std::string(hint);
  errors.push_back(std::move(e));
}

void Ctx::error(const Val& v, std::string_view what, std::string_view hint) {
  error(v.path, v.line, what, hint);
}

void Ctx::count_value(const Val& v) {
  if (++values_read <= kMaxValues) return;
  error(v, "more than " + std::to_string(kMaxValues) + " values; stopped reading",
        "are aliases repeating a large part of the file?");
  throw StopReading{};
}

void Ctx::error_key(const std::string& path, std::string_view what) {
  const auto it = lines.find(path);
  error(path, it == lines.end() ? -1 : it->second, what);
}

std::string kind(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return "the value " + in_quotes(n.Scalar());
  return "nothing";
}

std::string suggest(std::string_view given, const std::vector<std::string_view>& known) {
  if (given.size() > kMaxShown) return {};
  std::string kebab(given);
  std::replace(kebab.begin(), kebab.end(), '_', '-');
  std::string_view best;
  std::size_t best_distance = std::min<std::size_t>(2, (given.size() + 1) / 3) + 1;
  for (const auto candidate : known) {
    const auto d = edit_distance(kebab, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty()) return {};
  return "did you mean '" + std::string(best) + "'?";
}

// Null counts as an empty mapping so that a section whose keys are all commented out keeps its
// defaults.
void read_map(Ctx& c, const Val& v, const std::vector<Field>& fields) {
  if (v.node.IsNull()) return;
  if (!v.node.IsMap()) return c.error(v, "expected a mapping of keys, got " + kind(v.node));
  std::set<std::string> seen;
  for (const auto& kv : v.node) {
    if (!kv.first.IsScalar()) {
      c.error(child(v, kv.first, v.path), "a key must be a plain name, got " + kind(kv.first));
      continue;
    }
    c.count_value(v);
    const std::string& name = kv.first.Scalar();
    const std::string path = (v.path.empty() ? "" : v.path + ".") + printable(name);
    const auto key = child(v, kv.first, path);
    const auto field =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == name; });
    if (field == fields.end()) {
      std::vector<std::string_view> known;
      known.reserve(fields.size());
      for (const auto& f : fields)
        known.push_back(f.key);
      c.error(key, "unknown key", suggest(name, known));
    } else if (!seen.insert(name).second) {
      c.error(key, "duplicate key");
    } else {
      c.lines[path] = key.line;
      field->read(child(key, kv.second, path));
    }
  }
}

void read_seq(Ctx& c, const Val& v, const std::function<void(const Val&)>& item) {
  if (v.node.IsNull()) return;
  if (!v.node.IsSequence()) return c.error(v, "expected a list, got " + kind(v.node));
  std::size_t i = 0;
  for (const YAML::Node& n : v.node) {
    c.count_value(v);
    item(child(v, n, v.path + "[" + std::to_string(i++) + "]"));
  }
}

std::optional<std::string> read_scalar(Ctx& c, const Val& v, std::string_view expected) {
  if (v.node.IsScalar()) return v.node.Scalar();
  c.error(v, "expected " + std::string(expected) + ", got " + kind(v.node));
  return std::nullopt;
}

std::optional<std::uint64_t> read_uint(Ctx& c, const Val& v, std::uint64_t lo, std::uint64_t hi) {
  const auto s = read_scalar(c, v, "a whole number");
  if (!s) return std::nullopt;
  const std::string_view digits = s->starts_with('-') ? std::string_view(*s).substr(1) : *s;
  if (!all_digits(digits)) {
    c.error(v, in_quotes(*s) + " is not a whole number");
    return std::nullopt;
  }
  std::uint64_t x = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
  if (digits.size() != s->size() || ec != std::errc() || x < lo || x > hi) {
    c.error(v,
            printable(*s) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return std::nullopt;
  }
  return x;
}

std::optional<milliseconds> read_duration(Ctx& c, const Val& v, milliseconds lo, milliseconds hi) {
  const auto s = read_scalar(c, v, "a duration such as 250ms, 10s or 2m");
  if (!s) return std::nullopt;
  const auto split = std::min(s->find_first_not_of("0123456789"), s->size());
  const std::string_view number = std::string_view(*s).substr(0, split);
  const std::string_view unit = std::string_view(*s).substr(split);
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  const auto u = std::find_if(std::begin(kUnits), std::end(kUnits),
                              [&](const auto& k) { return k.first == unit; });
  if (number.empty() || (u == std::end(kUnits) && !unit.empty())) {
    c.error(v, in_quotes(*s) + " is not a duration",
            "write a whole number and a unit: ms, s, m, h or d");
    return std::nullopt;
  }
  if (unit.empty()) {
    c.error(v, in_quotes(*s) + " has no unit",
            "write " + printable(*s) + "ms or " + printable(*s) + "s");
    return std::nullopt;
  }
  std::int64_t n = 0;
  std::from_chars(number.data(), number.data() + number.size(), n);
  const milliseconds d{number.size() > 9 ? hi.count() + 1 : n * u->second};
  if (d < lo || d > hi) {
    c.error(v, printable(*s) + " is out of range " + duration_text(lo) + ".." + duration_text(hi));
    return std::nullopt;
  }
  return d;
}

std::optional<double> read_percent(Ctx& c, const Val& v, double lo, double hi) {
  const auto s = read_scalar(c, v, "a percentage such as 10%");
  if (!s) return std::nullopt;
  double value = 0;
  const char* end = s->data() + s->size();
  const auto [stop, error] = std::from_chars(s->data(), end, value);
  if (error != std::errc() || stop + 1 != end || *stop != '%' || !(value >= 0)) {
    c.error(v, in_quotes(*s) + " is not a percentage", "write a number and '%', such as 10%");
    return std::nullopt;
  }
  if (value < lo || value > hi) {
    c.error(v, printable(*s) + " is out of range " + std::to_string(static_cast<int>(lo)) + "%.." +
                   std::to_string(static_cast<int>(hi)) + "%");
    return std::nullopt;
  }
  return value / 100.0;
}

Handler percent_into(Ctx& c, double& out, double lo, double hi) {
  return [&c, &out, lo, hi](const Val& v) {
    if (const auto x = read_percent(c, v, lo, hi)) out = *x;
  };
}

std::optional<bool> read_bool(Ctx& c, const Val& v) {
  const auto s = read_scalar(c, v, "true or false");
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "True" || *s == "TRUE") return true;
  if (*s == "false" || *s == "False" || *s == "FALSE") return false;
  c.error(v, in_quotes(*s) + " is not true or false");
  return std::nullopt;
}

std::optional<std::size_t> read_choice(Ctx& c, const Val& v,
                                       const std::vector<std::string_view>& names) {
  std::string list;
  for (const auto n : names)
    list += (list.empty() ? "" : ", ") + std::string(n);
  const auto s = read_scalar(c, v, "one of " + list);
  if (!s) return std::nullopt;
  const auto it = std::find(names.begin(), names.end(), *s);
  if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
  c.error(v, in_quotes(*s) + " is not one of " + list, suggest(*s, names));
  return std::nullopt;
}

Handler duration_into(Ctx& c, milliseconds& out, milliseconds lo, milliseconds hi) {
  return [&c, &out, lo, hi](const Val& v) {
    if (const auto d = read_duration(c, v, lo, hi)) out = *d;
  };
}

Handler bool_into(Ctx& c, bool& out) {
  return [&c, &out](const Val& v) {
    if (const auto b = read_bool(c, v)) out = *b;
  };
}

Handler string_into(Ctx& c, std::string& out) {
  return [&c, &out](const Val& v) {
    const auto s = read_scalar(c, v, "a string");
    if (s && s->empty()) return c.error(v, "must not be empty");
    if (s) out = *s;
  };
}

Handler choice_into(Ctx& c, std::string& out, std::vector<std::string_view> names) {
  return [&c, &out, names = std::move(names)](const Val& v) {
    if (const auto i = read_choice(c, v, names)) out = std::string(names[*i]);
  };
}

std::optional<Endpoint> read_endpoint(Ctx& c, const Val& v, std::uint16_t default_port,
                                      bool allow_port_zero) {
  const auto s = read_scalar(c, v, "an address:port");
  if (!s) return std::nullopt;
  const auto e = Endpoint::parse(*s, default_port);
  if (!e) {
    c.error(v, in_quotes(*s) + " is not an address:port",
            "write 192.0.2.1:53 or [2001:db8::1]:53; names are not resolved");
  } else if (e->port == 0 && !allow_port_zero) {
    c.error(v, in_quotes(*s) + ": port 0 is not allowed here");
  } else {
    return e;
  }
  return std::nullopt;
}

namespace {}  // namespace

Handler endpoints_into(Ctx& c, std::vector<Endpoint>& out, std::uint16_t default_port,
                       bool allow_port_zero) {
  return list_into(c, out, [&c, default_port, allow_port_zero](const Val& item, const auto& seen) {
    auto e = read_endpoint(c, item, default_port, allow_port_zero);
    if (e && std::find(seen.begin(), seen.end(), *e) != seen.end()) {
      c.error(item, e->to_string() + " is listed twice");
      e.reset();
    }
    return e;
  });
}

Handler cidrs_into(Ctx& c, std::vector<Cidr>& out) {
  return list_into(c, out, [&c](const Val& item, const auto&) -> std::optional<Cidr> {
    const auto s = read_scalar(c, item, "an address or address/prefix");
    if (!s) return std::nullopt;
    if (const auto cidr = Cidr::parse(*s)) return cidr;
    if (const auto masked = Cidr::parse_masked(*s)) {
      c.error(item, in_quotes(*s) + " has host bits set",
              "did you mean '" + masked->to_string() + "'?");
    } else {
      c.error(item, in_quotes(*s) + " is not an address or address/prefix");
    }
    return std::nullopt;
  });
}

Handler addresses_into(Ctx& c, std::vector<Address>& out, bool v6) {
  return list_into(c, out, [&c, v6](const Val& item, const auto&) -> std::optional<Address> {
    const auto s = read_scalar(c, item, v6 ? "an IPv6 address" : "an IPv4 address");
    if (!s) return std::nullopt;
    const auto a = Address::parse(*s);
    if (a && a->v6 == v6) return a;
    c.error(item, in_quotes(*s) + (v6 ? " is not an IPv6 address" : " is not an IPv4 address"));
    return std::nullopt;
  });
}

}  // namespace shelter::proxy::config::detail
