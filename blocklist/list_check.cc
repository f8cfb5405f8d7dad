#include "blocklist/list_check.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "blocklist/parse_util.h"

namespace shelter::blocklist {
namespace {

using parse::to_lower;

// Enough of a file to tell a list from an error page or a binary download.
constexpr std::size_t kSniffBytes = 4096;
// Control bytes (other than white space) a text list may hold by accident: a stray byte or
// two in a large file is a malformed line, not a binary file.
constexpr double kMaxControlShare = 0.01;

struct Magic {
  std::string_view bytes;
  const char* what;
};
// Compressed and container formats a list download is often served in by mistake.
constexpr std::array<Magic, 6> kMagics = {{
    {"\x1f\x8b", "gzip-compressed data"},
    {"PK\x03\x04", "a ZIP archive"},
    {"BZh", "bzip2-compressed data"},
    {std::string_view("\xfd"
                      "7zXZ\x00",
                      6),
     "xz-compressed data"},
    {"\x28\xb5\x2f\xfd", "zstd-compressed data"},
    {"%PDF-", "a PDF document"},
}};

bool is_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f;
}

std::string_view markup_kind(std::string_view head) {
  std::string lower(head.substr(0, 256));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return to_lower(c); });
  if (lower.starts_with("<?xml")) return "an XML document";
  for (std::string_view tag : {"<!doctype html", "<html", "<head", "<body", "<title", "<meta"}) {
    if (lower.starts_with(tag)) return "an HTML page";
  }
  return "markup (it starts with '<')";
}

std::string_view skip_space(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n\f\v");
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", share * 100.0);
  return text;
}

}  // namespace

TextKind sniff_text(std::string_view bytes, std::string* detail) {
  auto say = [detail](TextKind kind, std::string_view what) {
    if (detail != nullptr) *detail = what;
    return kind;
  };
  for (const Magic& magic : kMagics) {
    if (bytes.starts_with(magic.bytes)) return say(TextKind::binary, magic.what);
  }
  // A zero-filled tail is what a crash during a copy often leaves behind: look at all of it.
  if (std::memchr(bytes.data(), '\0', bytes.size()) != nullptr) {
    return say(TextKind::binary, "binary data (NUL bytes)");
  }
  std::string_view head = bytes.substr(0, kSniffBytes);
  if (head.starts_with("\xef\xbb\xbf")) head.remove_prefix(3);  // UTF-8 byte order mark
  std::size_t controls = static_cast<std::size_t>(std::count_if(
      head.begin(), head.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); }));
  if (!head.empty() && static_cast<double>(controls) > kMaxControlShare * head.size()) {
    return say(TextKind::binary, "binary data (control bytes)");
  }
  std::string_view start = skip_space(head);
  if (start.empty() && skip_space(bytes.substr(std::min(bytes.size(), kSniffBytes))).empty()) {
    return say(TextKind::empty, "no bytes but white space");
  }
  if (start.starts_with('<')) return say(TextKind::markup, markup_kind(start));
  return say(TextKind::text, "text");
}

std::string_view verdict_name(ListVerdict verdict) {
  switch (verdict) {
    case ListVerdict::ok:
      return "ok";
    case ListVerdict::refused_empty:
      return "refused-empty";
    case ListVerdict::refused_format:
      return "refused-format";
    case ListVerdict::refused_shrink:
      return "refused-shrink";
  }
  return "ok";
}

ListCheck check_list(const ListFacts& facts, std::optional<std::uint64_t> last_good_entries,
                     const ListLimits& limits, std::string_view format) {
  const std::string declared = "a " + std::string(format) + " list";
  if (facts.kind == TextKind::empty) {
    return {ListVerdict::refused_empty, "the file is empty (" + facts.kind_detail + ")"};
  }
  if (facts.kind != TextKind::text) {
    return {ListVerdict::refused_format, "not " + declared + ": it is " + facts.kind_detail};
  }
  if (facts.entries == 0) {
    return {ListVerdict::refused_empty,
            "no entries (" + std::to_string(facts.malformed) + " malformed lines)"};
  }
  const std::uint64_t lines = facts.entries + facts.malformed;
  const double malformed = static_cast<double>(facts.malformed) / static_cast<double>(lines);
  if (malformed > limits.max_malformed) {
    return {ListVerdict::refused_format,
            "not " + declared + ": " + std::to_string(facts.malformed) +
                " malformed lines against " + std::to_string(facts.entries) + " entries (" +
                percent(malformed) + ", limit " + percent(limits.max_malformed) + ")"};
  }
  if (last_good_entries && *last_good_entries > facts.entries) {
    const double lost = static_cast<double>(*last_good_entries - facts.entries) /
                        static_cast<double>(*last_good_entries);
    if (lost > limits.max_shrink) {
      return {ListVerdict::refused_shrink, "shrank by " + percent(lost) + " (" +
                                               std::to_string(*last_good_entries) + " -> " +
                                               std::to_string(facts.entries) + " entries, limit " +
                                               percent(limits.max_shrink) + ")"};
    }
  }
  return {};
}

}  // namespace shelter::blocklist
