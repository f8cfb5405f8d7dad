#include "proxy/web/pages.h"

#include <ctime>

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace shelter::proxy::web {
namespace detail {
extern const std::pair<std::string_view, std::string_view> kBuiltinPages[];
extern const std::size_t kBuiltinPageCount;
}  // namespace detail

namespace {

namespace stdfs = std::filesystem;
constexpr std::size_t kMaxFileBytes = 256 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; });
  return out;
}

// Flattens a catalog document: nested maps become dotted keys, lists of texts stay lists.
void flatten(const YAML::Node& node, const std::string& prefix, Catalog& out,
             std::vector<std::string>& errors, const std::string& where) {
  for (const auto& item : node) {
    const std::string key =
        prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
    const YAML::Node& value = item.second;
    if (value.IsMap()) {
      flatten(value, key, out, errors, where);
    } else if (value.IsSequence()) {
      auto& list = out.lists[key];
      for (const auto& entry : value) {
        if (!entry.IsScalar()) {
          errors.push_back(where + ": " + key + ": a list of texts is expected");
          continue;
        }
        list.push_back(entry.Scalar());
      }
    } else if (value.IsScalar()) {
      out.texts[key] = value.Scalar();
    } else {
      errors.push_back(where + ": " + key + ": a text, a list or a mapping is expected");
    }
  }
}

// Every text of a catalog is itself a template: each must parse, and is kept parsed.
void compile_texts(Catalog& catalog, std::vector<std::string>& errors, const std::string& where) {
  auto compile = [&](const std::string& key, const std::string& text) {
    Template t{text};
    if (!t.valid()) errors.push_back(where + ": " + key + ": " + t.error());
    return t;
  };
  for (const auto& [key, text] : catalog.texts)
    catalog.text_templates.emplace(key, compile(key, text));
  for (const auto& [key, list] : catalog.lists) {
    std::vector<Template>& templates = catalog.list_templates[key];
    for (const std::string& text : list)
      templates.push_back(compile(key, text));
  }
}

std::optional<Catalog> parse_catalog(std::string_view tag, std::string_view yaml,
                                     std::vector<std::string>& errors, const std::string& where) {
  Catalog catalog;
  catalog.lang = lower(tag);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (!root.IsMap()) {
      errors.push_back(where + ": a mapping of texts is expected");
      return std::nullopt;
    }
    flatten(root, "", catalog, errors, where);
  } catch (const YAML::Exception& e) {
    errors.push_back(where + ": " + e.what());
    return std::nullopt;
  }
  if (auto it = catalog.texts.find("dir"); it != catalog.texts.end()) {
    if (it->second != "ltr" && it->second != "rtl") {
      errors.push_back(where + ": dir must be ltr or rtl");
    }
    catalog.dir = it->second;
  }
  compile_texts(catalog, errors, where);
  return catalog;
}

std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string sha256_base64(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return base64(digest, length);
}

bool read_file(const stdfs::path& path, std::string& out, std::vector<std::string>& errors) {
  std::error_code ec;
  const auto size = stdfs::file_size(path, ec);
  if (ec || size > kMaxFileBytes) {
    errors.push_back(path.string() + ": " + (ec ? ec.message() : "larger than 256 KiB"));
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    errors.push_back(path.string() + ": cannot be read");
    return false;
  }
  out = std::move(text).str();
  return true;
}

// The built-in files by name ("page.mustache", "locales/en.yaml"), then the directory's.
std::map<std::string, std::string> gather_files(const std::string& directory,
                                                std::vector<std::string>& errors) {
  std::map<std::string, std::string> files;
  for (std::size_t i = 0; i < detail::kBuiltinPageCount; ++i)
    files[std::string(detail::kBuiltinPages[i].first)] = detail::kBuiltinPages[i].second;
  if (directory.empty()) return files;
  std::error_code ec;
  if (!stdfs::is_directory(directory, ec)) {
    errors.push_back("web.pages-directory: '" + directory + "' is not a directory");
    return files;
  }
  for (const char* name : {"page.mustache", "page.css", "portal.mustache", "portal.css"}) {
    const stdfs::path path = stdfs::path(directory) / name;
    if (stdfs::exists(path, ec)) read_file(path, files[name], errors);
  }
  for (const auto& entry : stdfs::directory_iterator(stdfs::path(directory) / "locales", ec)) {
    if (entry.path().extension() != ".yaml") continue;
    read_file(entry.path(), files["locales/" + entry.path().filename().string()], errors);
  }
  return files;
}

}  // namespace

std::vector<std::string> preferred_languages(std::string_view header) {
  std::vector<std::pair<double, std::string>> ranked;
  std::size_t order = 0;
  while (!header.empty()) {
    const std::size_t comma = std::min(header.find(','), header.size());
    std::string_view item = header.substr(0, comma);
    header.remove_prefix(std::min(comma + 1, header.size()));
    const std::size_t semi = std::min(item.find(';'), item.size());
    auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    std::string_view tag = item.substr(0, semi);
    while (!tag.empty() && is_space(tag.front()))
      tag.remove_prefix(1);
    while (!tag.empty() && is_space(tag.back()))
      tag.remove_suffix(1);
    double q = 1.0;
    const std::string params = lower(item.substr(semi));  // "Q=0" is "q=0"
    if (const std::size_t qpos = params.find("q="); qpos != std::string::npos) {
      q = std::atof(params.substr(qpos + 2, 5).c_str());
    }
    if (tag.empty() || tag.size() > 35 || q <= 0 || ++order > 32) continue;
    // Stable: equal q keeps the header's order.
    ranked.emplace_back(q - static_cast<double>(order) * 1e-6, lower(tag));
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> tags;
  for (auto& [q, tag] : ranked)
    tags.push_back(std::move(tag));
  return tags;
}

std::shared_ptr<const Pages> Pages::load(const std::string& directory,
                                         std::vector<std::string>& errors) {
  const std::size_t errors_before = errors.size();
  std::map<std::string, std::string> files = gather_files(directory, errors);
  auto pages = std::make_shared<Pages>();
  pages->page_ = Template(files["page.mustache"]);
  pages->css_ = files["page.css"];
  pages->portal_page_ = Template(files["portal.mustache"]);
  pages->portal_css_ = files["portal.css"];
  for (const auto& [name, t] : {std::pair{"page.mustache", &pages->page_},
                                std::pair{"portal.mustache", &pages->portal_page_}}) {
    if (!t->valid()) errors.push_back(std::string(name) + ": " + t->error());
  }
  for (const auto& [name, text] : files) {
    if (!name.starts_with("locales/")) continue;
    const std::string tag = name.substr(8, name.size() - 8 - 5);
    if (auto catalog = parse_catalog(tag, text, errors, name)) {
      pages->catalogs_.push_back(std::move(*catalog));
    }
  }
  // English first: the fallback of every missing text.
  std::stable_partition(pages->catalogs_.begin(), pages->catalogs_.end(),
                        [](const Catalog& c) { return c.lang == "en"; });
  if (pages->catalogs_.empty() || pages->catalogs_.front().lang != "en") {
    errors.push_back("locales/en.yaml: the English catalog is missing");
  }
  pages->csp_ = "default-src 'none'; style-src " + style_source(pages->css_) +
                "; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  pages->portal_csp_ = "default-src 'none'; style-src " + style_source(pages->css_) + " " +
                       style_source(pages->portal_css_) +
                       "; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                       "base-uri 'none'";
  if (errors.size() != errors_before) return nullptr;
  return pages;
}

const Catalog& Pages::choose(std::string_view accept_language) const {
  for (const std::string& tag : preferred_languages(accept_language)) {
    for (std::string_view want :
         {std::string_view(tag), std::string_view(tag).substr(0, tag.find('-'))}) {
      for (const Catalog& c : catalogs_) {
        if (c.lang == want) return c;
      }
    }
  }
  return english();
}

std::string_view Pages::text(const Catalog& catalog, std::string_view key) const {
  if (auto it = catalog.texts.find(key); it != catalog.texts.end()) return it->second;
  if (auto it = english().texts.find(key); it != english().texts.end()) return it->second;
  return {};
}

const std::vector<std::string>& Pages::list(const Catalog& catalog, std::string_view key) const {
  static const std::vector<std::string> kNone;
  if (auto it = catalog.lists.find(key); it != catalog.lists.end()) return it->second;
  if (auto it = english().lists.find(key); it != english().lists.end()) return it->second;
  return kNone;
}

const Template& Pages::text_template(const Catalog& catalog, std::string_view key) const {
  static const Template kNone;
  if (auto it = catalog.text_templates.find(key); it != catalog.text_templates.end()) {
    return it->second;
  }
  if (auto it = english().text_templates.find(key); it != english().text_templates.end()) {
    return it->second;
  }
  return kNone;
}

const std::vector<Template>& Pages::list_templates(const Catalog& catalog,
                                                   std::string_view key) const {
  static const std::vector<Template> kNone;
  if (auto it = catalog.list_templates.find(key); it != catalog.list_templates.end()) {
    return it->second;
  }
  if (auto it = english().list_templates.find(key); it != english().list_templates.end()) {
    return it->second;
  }
  return kNone;
}

std::string style_source(std::string_view css) {
  return "'sha256-" + sha256_base64(css) + "'";
}

std::string format_utc(std::int64_t unix_time, std::string_view format) {
  std::time_t t = unix_time;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[128];
  const std::string f = format.empty() ? "%Y-%m-%d %H:%M UTC" : std::string(format);
  return std::strftime(text, sizeof text, f.c_str(), &tm) > 0 ? std::string(text) : std::string();
}

}  // namespace shelter::proxy::web
