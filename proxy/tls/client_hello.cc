#include "proxy/tls/client_hello.h"

#include <algorithm>

namespace shelter::proxy::tls {
namespace {

constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kAlertRecord = 21;
constexpr std::uint8_t kClientHello = 1;
constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kMessageHeader = 4;
constexpr std::size_t kMaxRecordPayload = 16384;  // RFC 8446 5.1: plaintext at most 2^14

constexpr std::uint16_t kServerName = 0;
constexpr std::uint16_t kAlpn = 16;
constexpr std::uint16_t kSupportedVersions = 43;
constexpr std::uint16_t kEncryptedClientHello = 0xfe0d;
constexpr std::uint16_t kTls13 = 0x0304;

// RFC 8701: GREASE values are 0x?a?a with both bytes equal.
bool is_grease(std::uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

// Big-endian reads over a hello's bytes; each returns false, reading nothing, when too short.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : rest_(bytes) {}
  bool empty() const { return rest_.empty(); }
  bool u8(std::uint8_t& v) {
    if (rest_.empty()) return false;
    v = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (rest_.size() < 2) return false;
    v = static_cast<std::uint16_t>(byte(0) << 8 | byte(1));
    rest_.remove_prefix(2);
    return true;
  }
  bool take(std::size_t n, std::string_view& out) {
    if (rest_.size() < n) return false;
    out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  // A vector with a 1- or 2-byte length prefix.
  bool vec8(std::string_view& out) {
    std::uint8_t n = 0;
    return u8(n) && take(n, out);
  }
  bool vec16(std::string_view& out) {
    std::uint16_t n = 0;
    return u16(n) && take(n, out);
  }

 private:
  unsigned byte(std::size_t i) const { return static_cast<unsigned char>(rest_[i]); }
  std::string_view rest_;
};

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

bool is_name_char(char c) {
  const char l = ascii_lower(c);
  return (l >= 'a' && l <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The length of `name` as a DNS name without its trailing dot (RFC 6066 sends none; a filter
// must not let "host." differ from "host"), or 0 when it is not one: letters, digits, '-' and
// '_' in labels of 1-63 bytes, at most 253 bytes in all.
std::size_t host_name_length(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return 0;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return 0;
      label = 0;
    } else if (!is_name_char(c) || ++label > 63) {
      return 0;
    }
  }
  return label == 0 ? 0 : name.size();
}

// RFC 6066 3: a ServerNameList holds at most one host_name (type 0); other types are skipped.
std::string_view parse_server_name(std::string_view data, ClientHello& out) {
  Cursor ext(data);
  std::string_view list;
  if (!ext.vec16(list) || !ext.empty() || list.empty()) return "bad_extension";
  Cursor names(list);
  bool host_seen = false;
  while (!names.empty()) {
    std::uint8_t type = 0;
    std::string_view name;
    if (!names.u8(type) || !names.vec16(name)) return "bad_extension";
    if (type != 0) continue;
    if (host_seen) return "bad_extension";
    host_seen = true;
    const std::size_t length = host_name_length(name);
    out.sni = length > 0 ? SniStatus::valid : SniStatus::invalid;
    out.server_name = name.substr(0, length);
  }
  return {};
}

// RFC 7301 3.1: a non-empty list of non-empty names.
std::string_view parse_alpn(std::string_view data, ClientHello& out) {
  Cursor ext(data);
  std::string_view list;
  if (!ext.vec16(list) || !ext.empty() || list.empty()) return "bad_extension";
  Cursor names(list);
  while (!names.empty()) {
    std::string_view name;
    if (!names.vec8(name) || name.empty()) return "bad_extension";
  }
  out.alpn = ProtocolList(list);
  return {};
}

// RFC 8446 4.2.1, the ClientHello form: a list of 2-byte versions (GREASE among them).
std::string_view parse_supported_versions(std::string_view data, ClientHello& out) {
  Cursor ext(data);
  std::string_view list;
  if (!ext.vec8(list) || !ext.empty() || list.empty() || list.size() % 2 != 0) {
    return "bad_extension";
  }
  Cursor versions(list);
  std::uint16_t version = 0;
  while (versions.u16(version))
    out.tls13 = out.tls13 || version == kTls13;
  return {};
}

std::string_view parse_extension(std::uint16_t type, std::string_view data, ClientHello& out) {
  switch (type) {
    case kServerName:
      return parse_server_name(data, out);
    case kAlpn:
      return parse_alpn(data, out);
    case kSupportedVersions:
      return parse_supported_versions(data, out);
    case kEncryptedClientHello:
      // Its content (outer or GREASE) is for the origin to read; only its presence matters here.
      out.ech = true;
      return {};
    default:
      return {};
  }
}

// Every extension is parsed once; a type seen twice is refused as servers refuse it (RFC 8446
// 4.2), after the loop, so the loop stays a single pass. GREASE types are left out of the check.
std::string_view parse_extensions(std::string_view block, ClientHello& out) {
  // At most one extension per 4 bytes of a capped hello; left uninitialised, `count` are used.
  std::array<std::uint16_t, kMaxHelloBytes / 4> types;
  std::size_t count = 0;
  Cursor extensions(block);
  while (!extensions.empty()) {
    std::uint16_t type = 0;
    std::string_view data;
    if (!extensions.u16(type) || !extensions.vec16(data)) return "bad_extension";
    if (is_grease(type)) continue;
    types[count++] = type;
    const std::string_view failure = parse_extension(type, data, out);
    if (!failure.empty()) return failure;
  }
  std::sort(types.begin(), types.begin() + static_cast<std::ptrdiff_t>(count));
  const auto end = types.begin() + static_cast<std::ptrdiff_t>(count);
  if (std::adjacent_find(types.begin(), end) != end) return "duplicate_extension";
  return {};
}

// RFC 8446 4.1.2 (and 5246 7.4.1.2, whose hellos may end before the extensions).
std::string_view parse_client_hello(std::string_view body, ClientHello& out) {
  Cursor hello(body);
  std::string_view random, session_id, cipher_suites, compression;
  if (!hello.u16(out.legacy_version) || (out.legacy_version >> 8) != 3 || !hello.take(32, random) ||
      !hello.vec8(session_id) || session_id.size() > 32 || !hello.vec16(cipher_suites) ||
      cipher_suites.empty() || cipher_suites.size() % 2 != 0 || !hello.vec8(compression) ||
      compression.empty()) {
    return "bad_handshake";
  }
  if (hello.empty()) return {};
  std::string_view extensions;
  if (!hello.vec16(extensions) || !hello.empty()) return "bad_handshake";
  return parse_extensions(extensions, out);
}

}  // namespace

std::size_t ProtocolList::size() const {
  return static_cast<std::size_t>(std::distance(begin(), end()));
}

bool ProtocolList::contains(std::string_view protocol) const {
  return std::find(begin(), end(), protocol) != end();
}

HelloStatus ClientHelloReader::fail(HelloStatus status, std::string_view failure) {
  status_ = status;
  failure_ = failure;
  return status_;
}

void ClientHelloReader::reset() {
  std::string message = std::move(message_);
  message.clear();
  *this = ClientHelloReader();
  message_ = std::move(message);
}

HelloStatus ClientHelloReader::feed(std::span<const std::uint8_t> bytes) {
  if (status_ != HelloStatus::need_more || bytes.empty()) return status_;
  ++hello_.segments;
  std::size_t used = 0;
  while (used < bytes.size() && status_ == HelloStatus::need_more) {
    if (header_bytes_ < kRecordHeader) {
      // A record of one byte more would not fit: stop before reading its header.
      if (header_bytes_ == 0 && consumed_ + kRecordHeader + 1 > kMaxHelloBytes) {
        return fail(HelloStatus::too_large, "too_large");
      }
      header_[header_bytes_++] = bytes[used++];
      ++consumed_;
      if (header_bytes_ == kRecordHeader) start_record();
      // The first two bytes tell a TLS stream from anything else: a handshake record, major 3.
      if (hello_.records == 0 && header_bytes_ <= 2 &&
          header_[header_bytes_ - 1] != (header_bytes_ == 1 ? kHandshakeRecord : 3)) {
        return fail(HelloStatus::not_tls, "not_tls");
      }
    } else {
      take_payload(bytes.subspan(used), used);
    }
  }
  return status_;
}

// Called with a whole record header: checks it and starts reading its payload.
HelloStatus ClientHelloReader::start_record() {
  const std::size_t length = static_cast<std::size_t>(header_[3]) << 8 | header_[4];
  // Record versions are 0x0301 (a first hello, for old middleboxes) to 0x0303. No interleaved
  // alert or change_cipher_spec can come before the server has spoken.
  if (header_[0] != kHandshakeRecord || header_[1] != 3 || header_[2] < 1 || header_[2] > 3 ||
      length == 0 || length > kMaxRecordPayload) {
    return fail(HelloStatus::malformed, "bad_record");
  }
  if (consumed_ + length > kMaxHelloBytes) return fail(HelloStatus::too_large, "too_large");
  // The message must end with a record: a ClientHello is the client's whole first flight.
  if (message_size_ != 0 && length > message_size_ - message_.size()) {
    return fail(HelloStatus::malformed, "bad_handshake");
  }
  ++hello_.records;
  record_left_ = length;
  return status_;
}

HelloStatus ClientHelloReader::take_payload(std::span<const std::uint8_t> bytes,
                                            std::size_t& used) {
  // Until the message header is in, read it alone (it fits the string's inline buffer); then
  // the rest of the message in one reserved block.
  const std::size_t wanted =
      message_size_ == 0 ? kMessageHeader - message_.size() : message_size_ - message_.size();
  const std::size_t n = std::min({record_left_, wanted, bytes.size()});
  message_.append(reinterpret_cast<const char*>(bytes.data()), n);
  used += n;
  consumed_ += n;
  record_left_ -= n;
  if (record_left_ == 0) header_bytes_ = 0;
  if (message_[0] != kClientHello) return fail(HelloStatus::malformed, "not_client_hello");
  if (message_size_ == 0 && message_.size() == kMessageHeader) {
    const auto b = [&](std::size_t i) { return static_cast<std::size_t>(message_[i] & 0xff); };
    message_size_ = kMessageHeader + (b(1) << 16 | b(2) << 8 | b(3));
    // Headers read so far plus the message: the least the hello can still take.
    if (kRecordHeader * hello_.records + message_size_ > kMaxHelloBytes) {
      return fail(HelloStatus::too_large, "too_large");
    }
    if (record_left_ > message_size_ - message_.size()) {
      return fail(HelloStatus::malformed, "bad_handshake");
    }
    message_.reserve(message_size_);
  }
  if (message_size_ != 0 && message_.size() == message_size_) return finish();
  return status_;
}

HelloStatus ClientHelloReader::finish() {
  const std::string_view failure =
      parse_client_hello(std::string_view(message_).substr(kMessageHeader), hello_);
  if (!failure.empty()) return fail(HelloStatus::malformed, failure);
  // The name's view is into message_: lower-case it in place.
  if (!hello_.server_name.empty()) {
    const auto offset = static_cast<std::size_t>(hello_.server_name.data() - message_.data());
    for (std::size_t i = 0; i < hello_.server_name.size(); ++i)
      message_[offset + i] = ascii_lower(message_[offset + i]);
  }
  hello_.hello_bytes = consumed_;
  hello_.message_bytes = message_size_;
  status_ = HelloStatus::complete;
  return status_;
}

// Which alert says "blocked" best, as clients show it (Chromium 156 and curl 7.88 checked
// against a listener sending each alert):
//  - unrecognized_name (112): RFC 6066's answer of a server that does not serve the name asked
//    for, which is true of this proxy for a blocked host. Chromium: "This site can't provide a
//    secure connection", ERR_SSL_UNRECOGNIZED_NAME_ALERT; curl: "tlsv1 unrecognized name";
//    Firefox (NSS): SSL_ERROR_UNRECOGNIZED_NAME_ALERT. The one alert that names the cause.
//  - access_denied (49) sounds closer, but Chromium folds it into ERR_SSL_PROTOCOL_ERROR ("sent
//    an invalid response"), which reads as a broken site.
//  - handshake_failure (40) reads as no common cipher or version
//    (ERR_SSL_VERSION_OR_CIPHER_MISMATCH, "uses an unsupported protocol"), which sends users and
//    support looking for a TLS settings problem that is not there.
// None of them can show a page: only a certificate for the blocked name could, and Shelter does
// not intercept TLS. The alert is fatal (level 2), so clients close instead of going on.
std::array<std::uint8_t, 7> alert_record(AlertDescription description) {
  return {kAlertRecord, 3, 3, 0, 2, 2, static_cast<std::uint8_t>(description)};
}

std::string_view to_string(HelloStatus status) {
  switch (status) {
    case HelloStatus::need_more:
      return "need_more";
    case HelloStatus::complete:
      return "complete";
    case HelloStatus::not_tls:
      return "not_tls";
    case HelloStatus::malformed:
      return "malformed";
    case HelloStatus::too_large:
      return "too_large";
  }
  return "?";
}

}  // namespace shelter::proxy::tls
