#include "proxy/dns/edns_options.h"

#include <string_view>

#include "policy/identify.h"

namespace shelter::proxy::dns {
namespace {

constexpr std::size_t kMaxCpeIdBytes = 64;

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // standard and URL-safe alphabets
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::optional<ClientSubnet> read_subnet(Bytes data) {
  if (data.size() < 4) return std::nullopt;
  ClientSubnet subnet;
  subnet.family = read_u16(&data[0]);
  subnet.source_prefix = data[2];
  std::uint8_t scope = data[3];
  std::size_t max_bits = subnet.family == 1 ? 32 : subnet.family == 2 ? 128 : 0;
  if (max_bits == 0 || subnet.source_prefix > max_bits || scope != 0) return std::nullopt;
  std::size_t bytes = (subnet.source_prefix + 7u) / 8;
  if (data.size() != 4 + bytes) return std::nullopt;
  for (std::size_t i = 0; i < bytes; ++i)
    subnet.address[i] = data[4 + i];
  // RFC 7871 section 6: address bits beyond the source prefix must be zero.
  if (unsigned used = subnet.source_prefix % 8; used != 0 && bytes > 0) {
    if ((subnet.address[bytes - 1] & (0xFFu >> used)) != 0) return std::nullopt;
  }
  return subnet;
}

std::optional<std::array<std::uint8_t, 6>> read_mac_text(std::string_view text) {
  if (text.size() == 17) return policy::parse_mac(text);  // xx:xx:xx:xx:xx:xx
  std::array<std::uint8_t, 6> mac{};
  if (text.size() == 8) {  // base64 of 6 bytes: 48 bits in 8 sextets, no padding
    std::uint64_t bits = 0;
    for (char c : text) {
      int v = base64_value(c);
      if (v < 0) return std::nullopt;
      bits = bits << 6 | static_cast<std::uint64_t>(v);
    }
    for (std::size_t i = 0; i < 6; ++i)
      mac[i] = static_cast<std::uint8_t>(bits >> (8 * (5 - i)));
    return mac;
  }
  return std::nullopt;
}

std::optional<std::string> read_cpe_id(Bytes data) {
  if (data.empty() || data.size() > kMaxCpeIdBytes) return std::nullopt;
  for (std::uint8_t c : data) {
    if (c <= 0x20 || c >= 0x7f) return std::nullopt;
  }
  return std::string(data.begin(), data.end());
}

}  // namespace

ClientOptions read_client_options(Bytes options) {
  ClientOptions out;
  bool mac_seen = false;
  for (std::size_t at = 0; at < options.size();) {
    if (options.size() - at < 4) {
      out.malformed = true;
      break;
    }
    std::uint16_t code = read_u16(&options[at]);
    std::size_t length = read_u16(&options[at + 2]);
    at += 4;
    if (length > options.size() - at) {
      out.malformed = true;
      break;
    }
    Bytes data = options.subspan(at, length);
    at += length;
    auto take = [&out](auto& field, auto value, bool repeated) {
      if (repeated || !value) {
        out.malformed = true;
        field.reset();
      } else {
        field = std::move(value);
      }
    };
    switch (code) {
      case kOptionClientSubnet:
        take(out.subnet, read_subnet(data), out.subnet.has_value());
        break;
      case kOptionMacBinary:
      case kOptionMacText: {
        std::optional<std::array<std::uint8_t, 6>> mac;
        if (code == kOptionMacBinary && data.size() == 6) {
          mac.emplace();
          for (std::size_t i = 0; i < 6; ++i)
            (*mac)[i] = data[i];
        } else if (code == kOptionMacText) {
          mac = read_mac_text(
              std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
        }
        take(out.mac, mac, mac_seen);
        mac_seen = true;
        break;
      }
      case kOptionCpeId:
        take(out.cpe_id, read_cpe_id(data), out.cpe_id.has_value());
        break;
      default:
        break;
    }
  }
  return out;
}

bool malformed_cookie(Bytes options) {
  constexpr std::size_t kClientCookie = 8;
  constexpr std::size_t kMinWithServer = 16;
  constexpr std::size_t kMax = 40;
  for (std::size_t at = 0; options.size() - at >= 4;) {
    std::uint16_t code = read_u16(&options[at]);
    std::size_t length = read_u16(&options[at + 2]);
    at += 4;
    if (length > options.size() - at) return false;
    if (code == kOptionCookie && length != kClientCookie &&
        (length < kMinWithServer || length > kMax)) {
      return true;
    }
    at += length;
  }
  return false;
}

}  // namespace shelter::proxy::dns
