#include "blocklist/url_list.h"

#include <array>
#include <cstdint>
#include <string>

#include "blocklist/parse_util.h"
#include "blocklist/url.h"

namespace shelter::blocklist {
namespace {

constexpr std::size_t kMaxFields = 3;

using parse::to_lower;

bool is_category_char(char c) {
  return (c >= 'a' && c <= 'z') || parse::is_digit(c) || c == '-' || c == '_';
}

bool is_printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool is_header(std::string_view first_field) {
  return first_field.size() == 3 && to_lower(first_field[0]) == 'u' &&
         to_lower(first_field[1]) == 'r' && to_lower(first_field[2]) == 'l';
}

// Splits one line into RFC 4180 fields. Quoted fields are unescaped into `buffers`, so the
// views in `fields` point into the line or into `buffers`. Blanks around a field are dropped;
// a URL has none, and IWF exports written by spreadsheets sometimes add them.
class CsvLine {
 public:
  /// False with a reason in `error` for bad quoting or more than kMaxFields fields.
  bool split(std::string_view line, std::string& error) {
    count_ = 0;
    while (true) {
      if (count_ == kMaxFields) {
        error = "more than 3 fields";
        return false;
      }
      line = parse::trim(line);
      bool ok = line.starts_with('"') ? take_quoted(line, error) : take_plain(line, error);
      if (!ok) return false;
      if (line.empty()) return true;
      line.remove_prefix(1);  // the ','
    }
  }

  std::size_t count() const { return count_; }
  std::string_view field(std::size_t i) const { return i < count_ ? fields_[i] : ""; }

 private:
  // Leaves `line` at the ',' after the field, or empty.
  bool take_plain(std::string_view& line, std::string& error) {
    std::size_t end = line.find(',');
    std::string_view field = line.substr(0, end);
    if (field.find('"') != std::string_view::npos) {
      error = "quote inside an unquoted field";
      return false;
    }
    fields_[count_++] = parse::trim(field);
    line.remove_prefix(field.size());
    return true;
  }

  bool take_quoted(std::string_view& line, std::string& error) {
    std::string& buffer = buffers_[count_];
    buffer.clear();
    std::size_t i = 1;
    while (true) {
      std::size_t quote = line.find('"', i);
      if (quote == std::string_view::npos) {
        error = "unterminated quoted field";
        return false;
      }
      buffer.append(line.substr(i, quote - i));
      if (quote + 1 < line.size() && line[quote + 1] == '"') {  // "" is one quote
        buffer.push_back('"');
        i = quote + 2;
        continue;
      }
      line = parse::trim(line.substr(quote + 1));
      break;
    }
    if (!line.empty() && line.front() != ',') {
      error = "text after a quoted field";
      return false;
    }
    fields_[count_++] = buffer;
    return true;
  }

  std::array<std::string_view, kMaxFields> fields_;
  std::array<std::string, kMaxFields> buffers_;
  std::size_t count_ = 0;
};

class UrlLineParser {
 public:
  explicit UrlLineParser(const RuleSink& sink) : out_(sink) {}

  void parse_line(std::size_t number, std::string_view line) {
    line = parse::trim(line);
    if (line.empty() || line.front() == '#') {
      out_.skip();
      return;
    }
    bool first = !seen_entry_;
    seen_entry_ = true;
    std::string error;
    if (!csv_.split(line, error)) {
      out_.reject(number, error + ": " + parse::quote(line));
      return;
    }
    if (first && is_header(csv_.field(0))) {
      out_.skip();
      return;
    }
    parse_fields(number);
  }

  void reject_too_long(std::size_t number) { out_.reject_too_long(number); }
  ParseSummary finish() { return out_.finish(); }

 private:
  void parse_fields(std::size_t number) {
    std::string_view text = csv_.field(0);
    std::string error;
    if (text.empty()) {
      out_.reject(number, "empty url field");
      return;
    }
    auto url = canonicalise_url(text, error);
    if (!url) {
      out_.reject(number, error + ": " + parse::quote(text));
      return;
    }
    if (!read_category(csv_.field(1))) {
      out_.reject(number, "invalid category " + parse::quote(csv_.field(1)));
      return;
    }
    // The id column identifies the entry at its source; the snapshot has no use for it yet.
    if (!is_printable(csv_.field(2))) {
      out_.reject(number, "invalid id " + parse::quote(csv_.field(2)));
      return;
    }
    url_ = std::move(*url);
    take(number);
  }

  // Lower-cases the category column into category_; false when it has other characters.
  bool read_category(std::string_view field) {
    category_.clear();
    for (char c : field) {
      c = to_lower(c);
      if (!is_category_char(c)) return false;
      category_.push_back(c);
    }
    return true;
  }

  void take(std::size_t number) {
    Rule rule;
    rule.line = static_cast<std::uint32_t>(number);
    rule.host = url_.host;
    rule.category = category_;
    // Only a bare host stands for the whole site; any other entry names a page or a folder,
    // and blocking its host instead would over-block everything else hosted there.
    if (url_.path != "/") {
      rule.scope = HostScope::self_only;
      rule.path = url_.path;
      rule.path_prefix = url_.path.back() == '/' && url_.path.find('?') == std::string::npos;
    }
    out_.take(rule);
  }

  parse::SummaryBuilder out_;
  CsvLine csv_;
  bool seen_entry_ = false;  // the header, if any, is the first line that is not blank or '#'
  CanonicalUrl url_;
  std::string category_;
};

}  // namespace

ParseSummary parse_url_list(std::string_view text, const RuleSink& sink) {
  return parse::parse_lines(text, UrlLineParser(sink));
}

}  // namespace shelter::blocklist
