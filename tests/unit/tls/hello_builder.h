#pragma once
// Builds ClientHellos for the TLS reader's tests: extensions, a handshake message, and TLS
// records that carry it, split wherever a test wants; reads the hellos captured from real
// clients (tests/unit/tls/data, written by capture_hellos.py).
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::tls_test {

inline std::string u8(unsigned v) {
  return std::string(1, static_cast<char>(v & 0xff));
}
inline std::string u16(unsigned v) {
  return u8(v >> 8) + u8(v);
}
inline std::string u24(unsigned v) {
  return u8(v >> 16) + u16(v);
}

inline std::string extension(unsigned type, std::string_view data) {
  return u16(type) + u16(static_cast<unsigned>(data.size())) + std::string(data);
}

/// server_name with one entry of `type` (0: host_name) per name.
inline std::string sni_extension(std::initializer_list<std::string_view> names, unsigned type = 0) {
  std::string list;
  for (std::string_view name : names)
    list += u8(type) + u16(static_cast<unsigned>(name.size())) + std::string(name);
  return extension(0, u16(static_cast<unsigned>(list.size())) + list);
}

inline std::string alpn_extension(std::initializer_list<std::string_view> protocols) {
  std::string list;
  for (std::string_view p : protocols)
    list += u8(static_cast<unsigned>(p.size())) + std::string(p);
  return extension(16, u16(static_cast<unsigned>(list.size())) + list);
}

inline std::string versions_extension(std::initializer_list<unsigned> versions) {
  std::string list;
  for (unsigned v : versions)
    list += u16(v);
  return extension(43, u8(static_cast<unsigned>(list.size())) + list);
}

/// A ClientHello handshake message (its 4-byte header included) with these extensions; with
/// `extensions_block` false, a hello that ends after its compression methods.
inline std::string hello_message(std::string_view extensions, bool extensions_block = true) {
  std::string body = u16(0x0303) + std::string(32, '\x5a') + u8(32) + std::string(32, '\x11') +
                     u16(4) + u16(0x1301) + u16(0xc02f) + u8(1) + u8(0);
  if (extensions_block)
    body += u16(static_cast<unsigned>(extensions.size())) + std::string(extensions);
  return u8(1) + u24(static_cast<unsigned>(body.size())) + body;
}

/// `message` carried in handshake records, cut at the given offsets (ascending, inside it).
inline std::string records(std::string_view message, std::vector<std::size_t> cuts = {},
                           unsigned version = 0x0301) {
  std::string out;
  std::size_t from = 0;
  cuts.push_back(message.size());
  for (std::size_t to : cuts) {
    out += u8(22) + u16(version) + u16(static_cast<unsigned>(to - from)) +
           std::string(message.substr(from, to - from));
    from = to;
  }
  return out;
}

/// The handshake message carried by the records in `wire` (which must be well framed).
inline std::string message_of(std::string_view wire) {
  std::string message;
  while (wire.size() >= 5) {
    const std::size_t length =
        static_cast<unsigned char>(wire[3]) << 8 | static_cast<unsigned char>(wire[4]);
    message += wire.substr(5, length);
    wire.remove_prefix(5 + length);
  }
  return message;
}

inline std::string hello(std::string_view extensions) {
  return records(hello_message(extensions));
}

inline std::string read_capture(std::string_view name) {
  const std::string path =
      std::string(SHELTER_SOURCE_DIR) + "/tests/unit/tls/data/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ").append(path));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace shelter::tls_test
