// Snapshot::open on hostile images, and the lookups on whatever it accepts. The first input byte
// picks a mode:
//   0  the rest of the input is the image, as it is;
//   1  the same, with the header's size and checksum fixed up, so that the structural checks
//      behind the checksum are reached;
//   2  a valid image is built from rules the input describes, then bytes chosen by the input are
//      overwritten and the checksum recomputed (a forged file).
// Modes 0 and 1 start with a name and a path to look up: [mode][n][name][m][path][image].
// Besides crashes and sanitizer reports, the fuzzer aborts when an accepted image answers
// something impossible: a deciding rule from a list or category that does not exist, or on a
// host that is not a suffix of the name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "blocklist/snapshot.h"
#include "blocklist/snapshot_format.h"

namespace bl = shelter::blocklist;
namespace fmt = shelter::blocklist::format;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// The input as a stream of choices; past its end every choice is 0.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}

  std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v = v << 8 | byte();
    return v;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : u32() % n; }
  std::string_view text(std::size_t size) {
    size = std::min<std::size_t>(size, static_cast<std::size_t>(end_ - p_));
    std::string_view out(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return out;
  }
  std::vector<std::uint8_t> rest() { return {p_, end_}; }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// The image in a 64-byte-aligned heap block of exactly its size, so that ASan sees any read
// past the end (a mapped file would hide it in the rest of the page).
std::shared_ptr<const bl::Snapshot> open_copy(const std::vector<std::uint8_t>& image) {
  void* block = nullptr;
  require(posix_memalign(&block, fmt::kAlign, std::max<std::size_t>(image.size(), 1)) == 0);
  auto* raw = static_cast<std::uint8_t*>(block);
  std::shared_ptr<const void> owner(raw, [](const void* p) { std::free(const_cast<void*>(p)); });
  if (!image.empty()) std::memcpy(raw, image.data(), image.size());
  std::string error;
  auto snapshot = bl::Snapshot::open(std::move(owner), raw, image.size(), error);
  require(snapshot != nullptr || !error.empty());
  return snapshot;
}

void check_result(const bl::Snapshot& s, std::string_view name, const bl::LookupResult& r) {
  if (!r.decided) return;
  require(r.decided->list_index < s.lists().size());
  require(r.decided->category < s.categories().size());
  require(name.ends_with(r.decided->host));
  require(r.decided->action == bl::RuleAction::block);
  require(!r.legal || s.lists()[r.decided->list_index].legal);
  for (const auto& a : r.local_data)
    require(a.size == 4 || a.size == 16);
}

void exercise(const bl::Snapshot& s, std::string_view name, std::string_view path,
              std::uint64_t enabled) {
  check_result(s, name, s.lookup(name));
  check_result(s, name, s.lookup(name, enabled));
  check_result(s, name, s.lookup_url(name, path, enabled));
  for (const auto& rule : s.matching_rules(name, path)) {
    require(rule.list_index < s.lists().size());
    require(name.ends_with(rule.host));
  }
  for (std::uint32_t list : s.lists_of(name))
    require(list < s.lists().size());
}

void exercise_all(const bl::Snapshot& s, const std::vector<std::string>& names,
                  const std::vector<std::string>& paths, std::uint64_t enabled) {
  (void)s.host_count();
  (void)s.domain_rule_count();
  (void)s.url_rule_count();
  (void)s.built_unix();
  require(s.image_bytes() >= fmt::kHeaderBytes);
  for (std::size_t i = 0; i < names.size(); ++i) {
    exercise(s, names[i], paths[i % paths.size()], enabled);
    exercise(s, "www." + names[i], paths[(i + 1) % paths.size()], enabled);
  }
}

void fuzz_raw(Input& in, bool fix_up) {
  std::string name(in.text(in.byte()));
  std::string path(in.text(in.byte()));
  std::vector<std::uint8_t> image = in.rest();
  if (fix_up && image.size() >= fmt::kHeaderBytes) {
    fmt::store64(image.data() + fmt::kImageSizeAt, image.size());
    fmt::store64(image.data() + fmt::kChecksumAt, fmt::image_checksum(image.data(), image.size()));
  }
  auto snapshot = open_copy(image);
  if (!snapshot) return;
  exercise_all(*snapshot, {name, "example.com", "a.b.c.d.e", ""}, {path, "/", "/a?b"},
               bl::kAllCategories);
}

constexpr std::string_view kLabels[] = {
    "a", "b", "com", "example", "x-y", "0", "averyverylonglabel-over16"};
constexpr std::string_view kPaths[] = {"/", "/a", "/a/", "/a?x=1", "/img/", "/p.html"};
constexpr std::string_view kCategories[] = {"", "adult", "gambling", "malware"};

// Rules from the input: hosts of one to three labels, any scope, action and answer.
std::vector<std::uint8_t> build_from(Input& in, std::vector<std::string>& hosts,
                                     std::vector<std::pair<std::string, std::uint32_t>>& domains) {
  bl::SnapshotBuilder builder;
  const std::size_t lists = 1 + in.byte() % 4;
  const std::uint8_t legal = in.byte();
  for (std::size_t i = 0; i < lists; ++i)
    builder.add_list(
        {"l" + std::to_string(i), "cat" + std::to_string(i % 2), ((legal >> i) & 1) != 0, "", ""});
  const std::size_t rules = in.byte() % 24;
  for (std::size_t i = 0; i < rules; ++i) {
    std::string host;
    for (std::size_t n = 1 + in.byte() % 3; n-- > 0;)
      host += std::string(kLabels[in.below(std::size(kLabels))]) + (n ? "." : "");
    const std::uint8_t bits = in.byte();
    bl::Rule rule;
    rule.host = host;
    rule.action = (bits & 1) ? bl::RuleAction::allow : bl::RuleAction::block;
    rule.important = (bits & 2) != 0;
    rule.scope = static_cast<bl::HostScope>((bits >> 2) % 3);
    rule.answer = static_cast<bl::DnsAnswer>((bits >> 4) & 3);
    rule.address_size = (bits & 0x40) ? 16 : 4;
    for (std::size_t k = 0; k < rule.address_size; ++k)
      rule.address[k] = in.byte();
    rule.category = kCategories[in.byte() % std::size(kCategories)];
    if (bits & 0x80) {
      rule.path = kPaths[in.below(std::size(kPaths))];
      rule.path_prefix = (in.byte() & 1) != 0;
      rule.path_separator = rule.path_prefix && (in.byte() & 1) != 0;
    }
    const auto list = static_cast<std::uint32_t>(in.below(lists));
    require(builder.add(list, rule));
    hosts.push_back(host);
    if (rule.path.empty()) domains.emplace_back(host, list);
  }
  return builder.build_image(0, in.u32());
}

void fuzz_forged(Input& in) {
  std::vector<std::string> hosts;
  std::vector<std::pair<std::string, std::uint32_t>> domains;
  std::vector<std::uint8_t> image = build_from(in, hosts, domains);
  const std::size_t changes = in.byte() % 8;
  const std::uint64_t size = image.size();
  const std::uint64_t interesting[] = {0,          1,         63,      64,         size,
                                       size + 64,  size - 64, ~0ULL,   1ULL << 58, (1ULL << 58) + 1,
                                       1ULL << 32, 0xffff,    0x10000, 1ULL << 63};
  for (std::size_t i = 0; i < changes; ++i) {
    const std::uint8_t kind = in.byte();
    const std::size_t at = in.below(image.size());
    switch (kind % 4) {
      case 0:
        image[at] ^= static_cast<std::uint8_t>(1u << (kind >> 5));
        break;
      case 1:
        image[at] = in.byte();
        break;
      default: {
        // A word, often at a header field or a section boundary.
        std::size_t word = kind % 4 == 2 ? in.below(fmt::kHeaderBytes / 8) * 8 : at;
        if (word + 8 > image.size()) break;
        std::uint64_t value = interesting[in.below(std::size(interesting))] + (in.byte() % 3) - 1;
        std::size_t width = 1u << (in.byte() % 4);  // 1, 2, 4 or 8 bytes
        std::uint8_t bytes[8];
        fmt::store64(bytes, value);
        std::memcpy(image.data() + word, bytes, width);
        break;
      }
    }
  }
  fmt::store64(image.data() + fmt::kChecksumAt, fmt::image_checksum(image.data(), image.size()));
  auto snapshot = open_copy(image);
  if (changes == 0) {
    // Untouched, the image must open and hold every domain rule it was given.
    require(snapshot != nullptr);
    for (const auto& [host, list] : domains) {
      auto lists = snapshot->lists_of(host);
      require(std::find(lists.begin(), lists.end(), list) != lists.end());
    }
  }
  if (!snapshot) return;
  hosts.emplace_back(in.text(in.byte()));
  std::vector<std::string> paths(std::begin(kPaths), std::end(kPaths));
  paths.emplace_back(in.text(in.byte()));
  exercise_all(*snapshot, hosts, paths, (std::uint64_t{in.u32()} << 32) | in.u32());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  switch (in.byte() % 3) {
    case 0:
      fuzz_raw(in, false);
      break;
    case 1:
      fuzz_raw(in, true);
      break;
    default:
      fuzz_forged(in);
      break;
  }
  return 0;
}
