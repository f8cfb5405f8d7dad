#include "proxy/web/page_spec.h"

#include <kainjow/mustache.hpp>

namespace shelter::proxy::web {
namespace {

namespace mustache = kainjow::mustache;

std::string_view input_type(Field::Type type) {
  switch (type) {
    case Field::Type::url:
      return "url";
    case Field::Type::email:
      return "email";
    default:
      return "text";
  }
}

mustache::data field_data(const Field& f) {
  mustache::data d;
  d.set("name", f.name);
  d.set("label", f.label_html);
  if (!f.hint_html.empty()) d.set("hint", f.hint_html);
  if (!f.error_html.empty()) d.set("error", f.error_html);
  std::string described;
  if (!f.hint_html.empty()) described = f.name + "-hint";
  if (!f.error_html.empty()) described += (described.empty() ? "" : " ") + f.name + "-error";
  if (!described.empty()) d.set("describedby", described);
  d.set("value", f.value);
  d.set("maxlength", std::to_string(f.max_length));
  if (!f.autocomplete.empty()) d.set("autocomplete", f.autocomplete);
  if (!f.inputmode.empty()) d.set("inputmode", f.inputmode);
  d.set("required", f.required);
  d.set("ltr", f.left_to_right);
  switch (f.type) {
    case Field::Type::textarea:
      d.set("is_textarea", true);
      break;
    case Field::Type::choice: {
      d.set("is_choice", true);
      mustache::data options{mustache::data::type::list};
      for (const Choice& c : f.choices) {
        mustache::data o;
        o.set("id", f.name + "-" + c.value);
        o.set("name", f.name);
        o.set("value", c.value);
        o.set("text", c.text_html);
        o.set("checked", c.checked);
        push_moved(options, std::move(o));
      }
      set_moved(d, "options", std::move(options));
      break;
    }
    default:
      d.set("is_text", true);
      d.set("type", std::string(input_type(f.type)));
      break;
  }
  return d;
}

mustache::data table_data(const Table& t) {
  mustache::data d;
  d.set("caption", t.caption_html);
  mustache::data columns{mustache::data::type::list};
  for (const std::string& c : t.columns_html)
    columns.push_back(mustache::data(c));
  d.set("columns", std::move(columns));
  mustache::data rows{mustache::data::type::list};
  for (const std::vector<std::string>& row : t.rows) {
    if (row.empty()) continue;
    mustache::data r;
    r.set("head", row.front());
    mustache::data cells{mustache::data::type::list};
    for (std::size_t i = 1; i < row.size(); ++i)
      cells.push_back(mustache::data(row[i]));
    r.set("cells", std::move(cells));
    rows.push_back(std::move(r));
  }
  d.set("rows", std::move(rows));
  return d;
}

mustache::data links_data(const std::vector<Link>& links) {
  mustache::data list{mustache::data::type::list};
  for (const Link& l : links) {
    mustache::data d;
    d.set("url", l.url);
    d.set("text", l.text);
    d.set("ltr", l.left_to_right);
    push_moved(list, std::move(d));
  }
  return list;
}

mustache::data strings_data(const std::vector<std::string>& strings) {
  mustache::data list{mustache::data::type::list};
  for (const std::string& s : strings)
    list.push_back(mustache::data(s));
  return list;
}

mustache::data section_data(const Section& s) {
  mustache::data d;
  d.set("id", s.id);
  d.set("heading", s.heading_html);
  set_moved(d, "paragraphs", strings_data(s.paragraphs));
  set_moved(d, "texts", strings_data(s.texts_html));
  d.set("has_items", !s.items.empty());
  set_moved(d, "items", strings_data(s.items));
  set_moved(d, "closing", strings_data(s.closing_html));
  d.set("has_links", !s.links.empty());
  set_moved(d, "links", links_data(s.links));
  return d;
}

}  // namespace

std::string render_spec(const PageSpec& spec, const Pages& pages, const Catalog& catalog) {
  mustache::data page;
  page.set("lang", catalog.lang);
  page.set("dir", catalog.dir);
  page.set("kind", spec.kind);
  page.set("css", pages.css());
  page.set("title", spec.title_html);
  page.set("heading", spec.heading_html);
  page.set("lead", spec.lead_html);
  page.set("blocked", false);
  if (!spec.errors.empty()) {
    page.set("errors_present", true);
    page.set("label_errors", std::string(pages.text(catalog, "label.errors")));
    mustache::data errors{mustache::data::type::list};
    for (const auto& [field, text] : spec.errors) {
      mustache::data e;
      e.set("field", field);
      e.set("text", text);
      push_moved(errors, std::move(e));
    }
    set_moved(page, "errors", std::move(errors));
  }
  if (!spec.facts.empty()) {
    page.set("facts_present", true);
    mustache::data facts{mustache::data::type::list};
    for (const Fact& f : spec.facts) {
      mustache::data d;
      d.set("label", f.label_html);
      d.set("value", f.value_html);
      d.set("bdi", f.isolate);
      push_moved(facts, std::move(d));
    }
    set_moved(page, "facts", std::move(facts));
  }
  if (!spec.steps_html.empty()) {
    page.set("has_steps", true);
    page.set("label_next", spec.next_label_html);
    mustache::data steps{mustache::data::type::list};
    for (const std::string& s : spec.steps_html)
      steps.push_back(mustache::data(s));
    set_moved(page, "steps", std::move(steps));
  }
  if (spec.ask) {
    mustache::data ask;
    ask.set("action", spec.ask->action);
    ask.set("csrf", spec.ask->csrf);
    ask.set("button", spec.ask->button_html);
    set_moved(page, "ask", std::move(ask));
  }
  if (spec.form) {
    mustache::data form;
    form.set("method", spec.form->method);
    form.set("action", spec.form->action);
    mustache::data hidden{mustache::data::type::list};
    for (const auto& [name, value] : spec.form->hidden) {
      mustache::data h;
      h.set("name", name);
      h.set("value", value);
      push_moved(hidden, std::move(h));
    }
    set_moved(form, "hidden", std::move(hidden));
    mustache::data fields{mustache::data::type::list};
    for (const Field& f : spec.form->fields)
      push_moved(fields, field_data(f));
    set_moved(form, "fields", std::move(fields));
    form.set("submit", spec.form->submit_html);
    set_moved(page, "form", std::move(form));
  }
  if (!spec.tables.empty()) {
    mustache::data tables{mustache::data::type::list};
    for (const Table& t : spec.tables)
      tables.push_back(table_data(t));
    page.set("tables", std::move(tables));
  }
  if (!spec.sections.empty()) {
    mustache::data sections{mustache::data::type::list};
    for (const Section& s : spec.sections)
      push_moved(sections, section_data(s));
    set_moved(page, "sections", std::move(sections));
  }
  if (!spec.links.empty()) {
    page.set("has_links", true);
    set_moved(page, "links", links_data(spec.links));
  }
  if (!spec.note_html.empty()) page.set("note", spec.note_html);
  page.set("footer", spec.footer_html);
  return pages.page().render(page);
}

}  // namespace shelter::proxy::web
