#pragma once
// The TLS ClientHello reader of the SNI proxy: fed a client's first bytes as they arrive from TCP,
// in any split, it reassembles the TLS records and the handshake message they carry (browsers
// split long hellos over records, TCP splits them over segments) and parses the ClientHello for
// what a decision needs: the server name, ALPN, whether ECH or TLS 1.3 is offered.
// Pure and I/O-free: bytes in, a status and facts out (fuzzed by client_hello_fuzz).

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

namespace shelter::proxy::tls {

/// A hello's records, 5-byte headers included, may take at most this many bytes. Real hellos
/// take 200 bytes to 2 KB (Chromium's post-quantum one about 2 KB).
inline constexpr std::size_t kMaxHelloBytes = 16384;

enum class HelloStatus : std::uint8_t {
  need_more,  ///< no verdict yet: feed more bytes (at end of stream: a truncated hello)
  complete,   ///< a well-formed ClientHello: `hello()` holds its facts
  not_tls,    ///< the stream does not start with a TLS handshake record (plain HTTP, noise)
  malformed,  ///< a TLS record that breaks the protocol: `failure()` says where
  too_large,  ///< the hello's records would exceed kMaxHelloBytes
};

/// The SNI as found: one valid host_name, none, or one that is not a DNS name.
enum class SniStatus : std::uint8_t { absent, valid, invalid };

/// The protocol_name_list of an ALPN extension, as a range of names (checked when parsed: every
/// name non-empty). A view into the reader's buffer.
class ProtocolList {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;
    iterator() = default;
    explicit iterator(std::string_view rest) : rest_(rest) {}
    std::string_view operator*() const {
      return rest_.substr(1, static_cast<unsigned char>(rest_[0]));
    }
    iterator& operator++() {
      rest_.remove_prefix(1 + static_cast<unsigned char>(rest_[0]));
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& other) const { return rest_.size() == other.rest_.size(); }

   private:
    std::string_view rest_;
  };

  ProtocolList() = default;
  explicit ProtocolList(std::string_view wire) : wire_(wire) {}
  iterator begin() const { return iterator(wire_); }
  iterator end() const { return iterator(wire_.substr(wire_.size())); }
  bool empty() const { return wire_.empty(); }
  std::size_t size() const;
  bool contains(std::string_view protocol) const;
  /// The list as offered on the wire (length-prefixed names), for logs or a copy.
  std::string_view wire() const { return wire_; }

 private:
  std::string_view wire_;
};

/// What a complete ClientHello says. Views point into the reader's own buffer: valid until the
/// reader is reset or destroyed.
struct ClientHello {
  std::uint16_t legacy_version = 0;  ///< 0x0303 for TLS 1.2 and 1.3 clients
  SniStatus sni = SniStatus::absent;
  /// Lower-case, without a trailing dot, only letters, digits, '-', '_' and '.', at most 253
  /// bytes, labels 1-63 bytes; empty unless `sni` is valid. An IPv4 literal passes the check.
  std::string_view server_name;
  ProtocolList alpn;              ///< empty without an ALPN extension
  bool ech = false;               ///< an encrypted_client_hello (0xfe0d) extension: GREASE or real
  bool tls13 = false;             ///< supported_versions offers TLS 1.3 (0x0304)
  std::size_t records = 0;        ///< TLS records the hello took
  std::size_t segments = 0;       ///< feed() calls (TCP reads) the hello took
  std::size_t hello_bytes = 0;    ///< the hello's records on the wire, headers included
  std::size_t message_bytes = 0;  ///< the handshake message, its 4-byte header included
};

/// A resumable ClientHello reader: one per connection, fed every byte the client sends until its
/// status is no longer need_more. It keeps what it needs (the handshake message, at most
/// kMaxHelloBytes, in one allocation) and never holds on to the caller's bytes, so the caller is
/// free to keep its own copy to forward. Not thread-safe; cheap to reset and reuse. Movable (the
/// views of `hello()` move with the buffer), not copyable (a copy's views would be the original's).
class ClientHelloReader {
 public:
  ClientHelloReader() = default;
  ClientHelloReader(const ClientHelloReader&) = delete;
  ClientHelloReader& operator=(const ClientHelloReader&) = delete;
  ClientHelloReader(ClientHelloReader&&) = default;
  ClientHelloReader& operator=(ClientHelloReader&&) = default;

  /// Reads as much of `bytes` as belongs to the hello and returns the status. Once the status is
  /// not need_more, further calls change nothing and read nothing. Bytes after the hello's last
  /// record (early data, say) are not read: `consumed()` tells where the hello ended.
  HelloStatus feed(std::span<const std::uint8_t> bytes);
  HelloStatus feed(std::string_view bytes) {
    return feed(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }

  HelloStatus status() const { return status_; }
  /// complete only: the hello's facts.
  const ClientHello& hello() const { return hello_; }
  /// A short class name for metrics and logs, quoting nothing from the input: "" unless failed,
  /// else one of "not_tls", "bad_record", "too_large", "not_client_hello", "bad_handshake",
  /// "bad_extension", "duplicate_extension".
  std::string_view failure() const { return failure_; }
  /// Bytes of the stream read so far (for a complete hello: its records' length).
  std::size_t consumed() const { return consumed_; }
  /// Forgets everything (keeps the buffer's memory) to read a new stream.
  void reset();

 private:
  HelloStatus fail(HelloStatus status, std::string_view failure);
  HelloStatus start_record();
  HelloStatus take_payload(std::span<const std::uint8_t> bytes, std::size_t& used);
  HelloStatus finish();

  HelloStatus status_ = HelloStatus::need_more;
  std::string_view failure_;
  std::array<std::uint8_t, 5> header_{};  // the record header being read
  std::size_t header_bytes_ = 0;
  std::size_t record_left_ = 0;   // payload bytes of the current record still to read
  std::size_t message_size_ = 0;  // the handshake message's size, once its header is in
  std::string message_;           // the handshake message, reassembled
  std::size_t consumed_ = 0;
  ClientHello hello_;
};

/// TLS alert descriptions a proxy may send before any ServerHello.
enum class AlertDescription : std::uint8_t {
  handshake_failure = 40,
  access_denied = 49,
  internal_error = 80,
  unrecognized_name = 112,
};

/// The 7 bytes of a fatal alert record (record version 0x0303, plaintext: no keys exist before
/// the ServerHello) to send in place of the origin's answer when a host is blocked. The default,
/// unrecognized_name, is explained in client_hello.cc.
std::array<std::uint8_t, 7> alert_record(
    AlertDescription description = AlertDescription::unrecognized_name);

/// The protocol's name for a status, for logs and tests.
std::string_view to_string(HelloStatus status);

}  // namespace shelter::proxy::tls
