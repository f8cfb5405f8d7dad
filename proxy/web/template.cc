#include "proxy/web/template.h"

#include <kainjow/mustache.hpp>

namespace shelter::proxy::web {
namespace {

namespace mustache = kainjow::mustache;

// The stack of values of one render. A partial resolves to nothing: the library would parse a
// value as a template and, when that fails, write the error into the shared parsed object.
class Layers final : public mustache::context<std::string> {
 public:
  const mustache::data* get_partial(const std::string& /*name*/) const override { return nullptr; }
};

// What the library's render writes to: one string, without an ostringstream.
struct Sink {
  std::string out;
  Sink& operator<<(const std::string& piece) {
    out += piece;
    return *this;
  }
};

// The first partial tag of `text` ("" for none), from the library's own parse tree.
std::string first_partial(const std::string& text) {
  mustache::context<std::string> values;
  mustache::context_internal<std::string> context{values};
  mustache::component<std::string> root;
  std::string error;
  mustache::parser<std::string> parse{text, context, root, error};
  std::string name;
  using Walk = mustache::component<std::string>::walk_control;
  root.walk_children([&name](mustache::component<std::string>& part) {
    if (part.tag.type != mustache::tag_type::partial) return Walk::walk;
    name = part.tag.name;
    return Walk::stop;
  });
  return name;
}

}  // namespace

struct Template::Parsed {
  explicit Parsed(const std::string& text) : escaped(text), raw(escaped) {
    raw.set_custom_escape([](const std::string& s) { return s; });
  }
  // Rendered concurrently through their non-const render(): see the header for why that is
  // safe. Never changed after construction.
  mutable mustache::mustache escaped;
  mutable mustache::mustache raw;
};

Template::Template() = default;

Template::Template(std::string text) : text_(std::move(text)) {
  if (text_.find("{{") == std::string::npos) return;  // no tag can open: the text is its output
  auto parsed = std::make_shared<const Parsed>(text_);
  if (!parsed->escaped.is_valid()) {
    error_ = parsed->escaped.error_message();
    return;
  }
  if (std::string name = first_partial(text_); !name.empty()) {
    error_ = "partials ({{>" + name + "}}) are not supported";
    return;
  }
  parsed_ = std::move(parsed);
}

std::string Template::render(std::initializer_list<const TemplateValues*> values,
                             Inserts inserts) const {
  if (parsed_ == nullptr) return valid() ? text_ : std::string();
  Layers layers;
  for (const TemplateValues* v : values)
    layers.push(v);  // pushed to the front: the last one given is searched first
  Sink sink;
  sink.out.reserve(text_.size() + text_.size() / 2);
  (inserts == Inserts::raw ? parsed_->raw : parsed_->escaped).render(layers, sink);
  return std::move(sink.out);
}

// The library gives no mutable access: set a slot that is cheap to copy, then move into it
// (get() and list_value() point at the stored value, which is not const).
void set_moved(TemplateValues& object, const std::string& name, TemplateValues&& value) {
  object.set(name, TemplateValues(false));
  if (const TemplateValues* slot = object.get(name)) {
    *const_cast<TemplateValues*>(slot) = std::move(value);
  }
}

void push_moved(TemplateValues& list, TemplateValues&& value) {
  if (!list.is_list()) return;
  list.push_back(TemplateValues(false));
  const_cast<TemplateValues&>(list.list_value().back()) = std::move(value);
}

}  // namespace shelter::proxy::web
