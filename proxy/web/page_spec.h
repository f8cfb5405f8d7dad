#pragma once
// What a page of the web front shows, as plain values, and the one renderer that turns it into
// HTML with the shared template (pages/page.mustache): the appeal form, a case's status, check
// a site and an access request's status are each a function that fills a PageSpec. Fields
// ending in _html are already HTML (catalog texts, which escape what they insert); every other
// string is escaped by the renderer.

#include <optional>
#include <string>
#include <vector>

#include "proxy/web/pages.h"

namespace shelter::proxy::web {

struct Fact {
  std::string label_html{};
  std::string value_html{};
  bool isolate = false;  ///< a name or address: wrapped in <bdi> for right-to-left pages
};

struct Choice {
  std::string value{};
  std::string text_html{};
  bool checked = false;
};

struct Field {
  enum class Type : std::uint8_t { text, url, email, textarea, choice } type = Type::text;
  std::string name{};
  std::string label_html{};
  std::string hint_html{};
  std::string error_html{};  ///< set: the field is invalid and says why
  std::string value{};
  std::size_t max_length = 200;
  std::string autocomplete{};
  std::string inputmode{};
  bool required = false;
  /// An address or a contact: left to right on right-to-left pages too.
  bool left_to_right = false;
  std::vector<Choice> choices{};
};

struct Form {
  std::string method = "post";
  std::string action{};
  std::vector<std::pair<std::string, std::string>> hidden{};
  std::vector<Field> fields{};
  std::string submit_html{};
};

/// "Ask my parent": a one-button form.
struct AskButton {
  std::string action{};
  std::string csrf{};
  std::string button_html{};
};

struct Link {
  std::string url{};
  std::string text{};
  bool left_to_right = false;  ///< an address or a number: left to right on any page
};

/// A titled part of a page (the venue page), in this order: its heading, paragraphs of
/// operator text (escaped), catalog texts (already HTML), a list (escaped), catalog texts
/// after it, and links; each optional.
struct Section {
  std::string id{};  ///< the heading's id, unique on the page
  std::string heading_html{};
  std::vector<std::string> paragraphs{};  ///< plain text, escaped by the renderer
  std::vector<std::string> texts_html{};
  std::vector<std::string> items{};         ///< plain text, escaped by the renderer
  std::vector<std::string> closing_html{};  ///< catalog texts after the list
  std::vector<Link> links{};
};

/// A table of figures (the transparency report): a caption, column headings and rows. The
/// first cell of a row is its heading (scope="row"); numbers are given as text.
struct Table {
  std::string caption_html{};
  std::vector<std::string> columns_html{};
  std::vector<std::vector<std::string>> rows{};  ///< plain text, escaped by the renderer
};

struct PageSpec {
  std::string kind{};  ///< the body's class: the colour scheme ("child", "general", ...)
  std::string title_html{};
  std::string heading_html{};
  std::string lead_html{};
  /// Field name -> what is wrong, in a summary at the top that links to each field.
  std::vector<std::pair<std::string, std::string>> errors{};
  std::vector<Fact> facts{};
  std::vector<Section> sections{};
  std::string next_label_html{};  ///< heading of `steps` ("What you can do")
  std::vector<std::string> steps_html{};
  std::optional<AskButton> ask{};
  std::optional<Form> form{};
  std::vector<Table> tables{};
  std::vector<Link> links{};
  std::string note_html{};
  std::string footer_html{};
};

/// The page's HTML in `catalog`'s language and direction.
std::string render_spec(const PageSpec& spec, const Pages& pages, const Catalog& catalog);

}  // namespace shelter::proxy::web
