#include "policy/tzif.h"

#include <array>
#include <cstring>

namespace shelter::policy {
namespace {

constexpr std::size_t kHeaderBytes = 44;
constexpr std::int32_t kMinUtOffset = -89999;  // RFC 9636 section 3.2: above -25 hours
constexpr std::int32_t kMaxUtOffset = 93599;   // and below 26 hours

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0;
  std::uint32_t isstdcnt = 0;
  std::uint32_t leapcnt = 0;
  std::uint32_t timecnt = 0;
  std::uint32_t typecnt = 0;
  std::uint32_t charcnt = 0;

  // Bytes of the data block that follows, with `time_size`-byte transition times. The counts
  // are 32-bit, so the 64-bit sum cannot overflow.
  std::uint64_t data_bytes(std::uint64_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6ull + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

// A bounds-checked reader over the input; every read is preceded by a size check by the caller.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t left() const { return bytes_.size() - pos_; }
  std::uint8_t u8() { return bytes_[pos_++]; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v = v << 8 | bytes_[pos_++];
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v = v << 8 | bytes_[pos_++];
    return static_cast<std::int64_t>(v);
  }
  std::int64_t time(std::uint64_t size) {
    return size == 8 ? i64() : std::int64_t{static_cast<std::int32_t>(u32())};
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    const auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(std::size_t n) { pos_ += n; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

bool fail(std::string& error, const char* what) {
  error = std::string("TZif: ") + what;
  return false;
}

bool read_header(Reader& r, Header& h, std::string& error) {
  if (r.left() < kHeaderBytes) return fail(error, "truncated header");
  const auto magic = r.take(4);
  if (std::memcmp(magic.data(), "TZif", 4) != 0) return fail(error, "not a TZif file");
  h.version = static_cast<char>(r.u8());
  if (h.version != 0 && (h.version < '2' || h.version > '4')) {
    return fail(error, "unsupported version");
  }
  r.skip(15);
  h.isutcnt = r.u32();
  h.isstdcnt = r.u32();
  h.leapcnt = r.u32();
  h.timecnt = r.u32();
  h.typecnt = r.u32();
  h.charcnt = r.u32();
  return true;
}

bool check_counts(const Header& h, std::string& error) {
  if (h.typecnt == 0) return fail(error, "no local time types");
  if (h.typecnt > 256) return fail(error, "more than 256 local time types");
  if (h.charcnt == 0) return fail(error, "no time zone abbreviations");
  if (h.isutcnt != 0 && h.isutcnt != h.typecnt) return fail(error, "bad isutcnt");
  if (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) return fail(error, "bad isstdcnt");
  if (h.timecnt > kMaxTzifTransitions) return fail(error, "more than 10000 transitions");
  if (h.leapcnt != 0) return fail(error, "leap-second tables (right/ zones) are not supported");
  return true;
}

bool read_data(Reader& r, const Header& h, std::uint64_t time_size, TzifContents& out,
               std::string& error) {
  if (!check_counts(h, error)) return false;
  if (r.left() < h.data_bytes(time_size)) return fail(error, "truncated data block");
  out.transitions.resize(h.timecnt);
  for (std::size_t i = 0; i < h.timecnt; ++i) {
    out.transitions[i].at = r.time(time_size);
    if (i > 0 && out.transitions[i].at <= out.transitions[i - 1].at) {
      return fail(error, "transition times not ascending");
    }
  }
  for (auto& t : out.transitions) {
    t.type = r.u8();
    if (t.type >= h.typecnt) return fail(error, "transition type index out of range");
  }
  out.type_offsets.resize(h.typecnt);
  for (auto& offset : out.type_offsets) {
    offset = static_cast<std::int32_t>(r.u32());
    const std::uint8_t is_dst = r.u8();
    const std::uint8_t abbreviation = r.u8();
    if (offset < kMinUtOffset || offset > kMaxUtOffset)
      return fail(error, "UT offset out of range");
    if (is_dst > 1) return fail(error, "bad isdst flag");
    if (abbreviation >= h.charcnt) return fail(error, "abbreviation index out of range");
  }
  r.skip(h.charcnt);  // abbreviations: not used
  for (const auto flag : r.take(h.isstdcnt + std::size_t{h.isutcnt})) {
    if (flag > 1) return fail(error, "bad standard/wall or UT/local indicator");
  }
  return true;
}

// "\n<TZ string>\n" at the very end of a version 2+ file.
bool read_footer(Reader& r, TzifContents& out, std::string& error) {
  if (r.left() == 0 || r.u8() != '\n') return fail(error, "missing footer");
  const auto rest = r.take(r.left());
  const auto* end = static_cast<const std::uint8_t*>(std::memchr(rest.data(), '\n', rest.size()));
  if (end == nullptr) return fail(error, "unterminated footer");
  const auto length = static_cast<std::size_t>(end - rest.data());
  if (length + 1 != rest.size()) return fail(error, "trailing bytes after footer");
  out.footer.assign(reinterpret_cast<const char*>(rest.data()), length);
  if (out.footer.find('\0') != std::string::npos) return fail(error, "NUL in footer");
  return true;
}

}  // namespace

std::optional<TzifContents> parse_tzif(std::span<const std::uint8_t> bytes, std::string& error) {
  Reader r(bytes);
  Header first;
  if (!read_header(r, first, error)) return std::nullopt;
  TzifContents out;
  if (first.version == 0) {
    if (!read_data(r, first, 4, out, error)) return std::nullopt;
    if (r.left() != 0) {
      fail(error, "trailing bytes after data block");
      return std::nullopt;
    }
    return out;
  }
  // Version 2+: skip the 32-bit block, whatever its counts say, to the second header.
  if (r.left() < first.data_bytes(4)) {
    fail(error, "truncated version 1 data block");
    return std::nullopt;
  }
  r.skip(static_cast<std::size_t>(first.data_bytes(4)));
  Header second;
  if (!read_header(r, second, error)) return std::nullopt;
  if (second.version == 0) {
    fail(error, "version 1 header where version 2+ is expected");
    return std::nullopt;
  }
  if (!read_data(r, second, 8, out, error) || !read_footer(r, out, error)) return std::nullopt;
  return out;
}

}  // namespace shelter::policy
