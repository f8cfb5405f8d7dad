#pragma once
// A request as handlers see it and the response they return: plain values, no Beast, so that
// every page handler is a pure function that unit tests call directly (the model of Asio's HTTP
// server example's request_handler).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/net/endpoint.h"

namespace shelter::proxy::http {

struct Request {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< origin-form as sent: "/path?query"
  int version_minor = 1;
  /// Header fields in order, names lower-cased; values as sent (the head guard checked them).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  net::Address client;  ///< the TCP peer
  net::Address local;   ///< the address the connection came to

  /// The first value of a header (`name` lower-case).
  std::optional<std::string_view> header(std::string_view name) const;
  /// The Host header without its port, lower-cased, without a trailing dot; "" when absent.
  std::string host() const;
  std::string_view path() const;   ///< the target up to '?'
  std::string_view query() const;  ///< after '?', or ""
};

struct Response {
  unsigned status = 200;
  std::string content_type = "text/html; charset=utf-8";
  /// Extra header fields; the server adds the security headers (unless set here), Date, and
  /// the framing ones.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  ///< close the connection after this response

  void set(std::string name, std::string value);
};

/// A short plain-text answer (errors, refusals): `status` and one line of text.
Response text_response(unsigned status, std::string_view text);

}  // namespace shelter::proxy::http
