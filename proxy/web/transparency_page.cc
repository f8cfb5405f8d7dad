#include "proxy/web/transparency_page.h"

#include <cstdio>

namespace shelter::proxy::web {
namespace {

std::string count(std::uint64_t n) {
  return std::to_string(n);
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  char b[16];
  std::snprintf(b, sizeof b, "%.0f%%",
                whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return b;
}

// A duration in the largest unit that keeps it readable: minutes, hours, then days.
std::string duration(const std::optional<std::int64_t>& seconds, const Texts& texts) {
  if (!seconds) return texts.plain("transparency.none");
  const std::int64_t s = *seconds;
  if (s < 2 * 3600) {
    return texts.plain("transparency.minutes", {{"n", std::to_string((s + 59) / 60)}});
  }
  if (s < 72 * 3600) {
    return texts.plain("transparency.hours", {{"n", std::to_string((s + 1800) / 3600)}});
  }
  return texts.plain("transparency.days", {{"n", std::to_string((s + 43200) / 86400)}});
}

std::string source_words(const cases::BlockRow& row, const Texts& texts) {
  if (row.list == "parental-controls") return texts.plain("transparency.parental");
  return row.legal ? texts.plain("transparency.legal-list", {{"list", row.list}}) : row.list;
}

std::string category_words(const cases::BlockRow& row, const Texts& texts) {
  const std::string key = row.list == "parental-controls" ? "transparency.reason-" + row.category
                                                          : "category." + row.category;
  const std::string_view words = texts.pages().text(texts.catalog(), key);
  if (words.empty() || words.find("{{") != std::string_view::npos) return row.category;
  return texts.plain(key);
}

Table blocks_table(const cases::Report& r, const Texts& texts) {
  Table t{.caption_html = texts("transparency.blocks-caption"),
          .columns_html = {texts("transparency.col-list"), texts("transparency.col-category"),
                           texts("transparency.col-blocks")},
          .rows = {}};
  for (const cases::BlockRow& row : r.blocks)
    t.rows.push_back({source_words(row, texts), category_words(row, texts), count(row.blocks)});
  t.rows.push_back({texts.plain("transparency.total"), "", count(r.blocks_total)});
  return t;
}

Table figures_table(std::string caption_html, std::vector<std::vector<std::string>> rows,
                    const Texts& texts) {
  return Table{.caption_html = std::move(caption_html),
               .columns_html = {texts("transparency.col-measure"), texts("transparency.col-value")},
               .rows = std::move(rows)};
}

Table appeals_table(const cases::AppealFigures& a, const Texts& texts) {
  auto words = [&](std::string_view key) {
    return texts.plain("transparency.appeals-" + std::string(key));
  };
  return figures_table(texts("transparency.appeals-caption"),
                       {{words("received"), count(a.received)},
                        {words("upheld"), count(a.upheld)},
                        {words("overturned"), count(a.overturned)},
                        {words("referred"), count(a.referred)},
                        {words("open"), count(a.open)},
                        {words("unresolved"), percent(a.open, a.received)},
                        {words("median"), duration(a.time_to_decision.median, texts)},
                        {words("p90"), duration(a.time_to_decision.p90, texts)}},
                       texts);
}

Table requests_table(const cases::RequestFigures& q, const Texts& texts) {
  auto words = [&](std::string_view key) {
    return texts.plain("transparency.requests-" + std::string(key));
  };
  return figures_table(texts("transparency.requests-caption"),
                       {{words("received"), count(q.received)},
                        {words("granted"), count(q.granted)},
                        {words("kept-blocked"), count(q.kept_blocked)},
                        {words("expired"), count(q.expired)},
                        {words("waiting"), count(q.waiting)},
                        {words("unresolved"), percent(q.waiting, q.received)},
                        {words("median"), duration(q.time_to_answer.median, texts)},
                        {words("p90"), duration(q.time_to_answer.p90, texts)}},
                       texts);
}

Form period_form(const std::string& from, const std::string& to, bool bad, const Texts& texts) {
  Form form;
  form.method = "get";
  form.action = "/transparency";
  for (const auto& [name, value] : {std::pair{"from", from}, std::pair{"to", to}}) {
    form.fields.push_back({.type = Field::Type::text,
                           .name = name,
                           .label_html = texts("transparency.field-" + std::string(name)),
                           .hint_html = texts("transparency.hint"),
                           .error_html = bad ? texts("transparency.error") : std::string(),
                           .value = value,
                           .max_length = 10,
                           .autocomplete = "off",
                           .inputmode = "numeric",
                           .required = false,
                           .left_to_right = true});
  }
  form.submit_html = texts("transparency.submit");
  return form;
}

}  // namespace

PageSpec transparency_page(const std::string& from, const std::string& to,
                           const cases::Report* report, bool bad, const Texts& texts) {
  PageSpec spec;
  spec.kind = "general";
  spec.title_html = texts("transparency.title");
  spec.footer_html = texts("footer");
  spec.heading_html = texts("transparency.heading");
  spec.lead_html = texts("transparency.lead");
  if (bad) spec.errors.emplace_back("from", texts("transparency.error"));
  if (report != nullptr) {
    const std::string first = cases::day_name(report->period.from);
    const std::string last = cases::day_name(report->period.to);
    spec.facts.push_back({texts("transparency.period"),
                          texts("transparency.period-value", {{"from", first}, {"to", last}}),
                          true});
    const cases::Completeness& complete = report->complete;
    if (complete.blocks && complete.appeals && !complete.requests) {
      // Only the requests' retention (a week, by default) is shorter than the period: the
      // default period's usual case, said as what it is rather than as "incomplete".
      spec.facts.push_back(
          {texts("transparency.requests-window-label"),
           texts("transparency.requests-window",
                 {{"request_days", std::to_string(complete.request_seconds / 86400)}})});
    } else if (!complete.all()) {
      spec.facts.push_back(
          {texts("transparency.incomplete-label"),
           texts("transparency.incomplete",
                 {{"appeal_days", std::to_string(report->complete.appeal_seconds / 86400)},
                  {"request_days", std::to_string(report->complete.request_seconds / 86400)}})});
    }
    spec.tables.push_back(blocks_table(*report, texts));
    spec.tables.push_back(appeals_table(report->appeals, texts));
    spec.tables.push_back(requests_table(report->requests, texts));
    spec.links.push_back(
        {"/transparency.csv?from=" + first + "&to=" + last, texts.plain("transparency.csv")});
  }
  spec.form = period_form(from, to, bad, texts);
  spec.note_html = texts.said("transparency.note");
  return spec;
}

}  // namespace shelter::proxy::web
