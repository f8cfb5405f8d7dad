#pragma once
// A page template or a catalog text, parsed once when the pages load and rendered from the
// parsed form for every request (the mustache library would otherwise parse the text again on
// each render: most of a portal page's CPU). The library's header stays in the .cc files that
// build values.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

namespace kainjow::mustache {
template <typename StringType>
class basic_data;
}  // namespace kainjow::mustache

namespace shelter::proxy::web {

/// The values a template inserts (kainjow::mustache::data).
using TemplateValues = kainjow::mustache::basic_data<std::string>;

/// Whether a render escapes what it inserts.
enum class Inserts : std::uint8_t {
  escaped,  ///< `{{x}}` is HTML-escaped (`{{{x}}}` is not): every page
  raw,      ///< nothing is escaped: a text made to be inserted into another text
};

/// An immutable, parsed mustache template.
///
/// Thread-safety: render() is const and may run on any number of threads at once with no lock.
/// The library's own render is a non-const member, but it writes to the parsed object only
/// when a partial or a lambda fails: a Template refuses partials ({{>name}}) when it is parsed,
/// renders through a context that resolves no partial, and TemplateValues hold no lambdas (by
/// contract: only strings, booleans, objects and lists). Everything else of a render (the line
/// buffer, the delimiters, the stack of sections) lives in a per-call context.
class Template {
 public:
  /// The empty text.
  Template();
  /// Parses `text`; valid() says whether it parsed, error() why not.
  explicit Template(std::string text);

  bool valid() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// The source text.
  const std::string& text() const { return text_; }
  /// No tag at all: every render is text() itself.
  bool plain() const { return parsed_ == nullptr && valid(); }

  /// The output for `values`, searched in reverse order (a later object hides a name of an
  /// earlier one, as a section's object does). An invalid template renders "".
  std::string render(std::initializer_list<const TemplateValues*> values,
                     Inserts inserts = Inserts::escaped) const;
  std::string render(const TemplateValues& values, Inserts inserts = Inserts::escaped) const {
    return render({&values}, inserts);
  }

 private:
  struct Parsed;
  std::string text_;
  std::string error_;
  std::shared_ptr<const Parsed> parsed_;  // null: plain text, or invalid
};

/// Moves `value` into `object` under `name`. kainjow's own set() and push_back() copy what they
/// are given (they have no moving overloads), so a nested object or list is copied again at each
/// level it is set into: most of a portal page's CPU once its templates were parsed once.
void set_moved(TemplateValues& object, const std::string& name, TemplateValues&& value);
/// Moves `value` to the end of `list`.
void push_moved(TemplateValues& list, TemplateValues&& value);

}  // namespace shelter::proxy::web
