#pragma once
// Conversions between our plain address values and Asio's. Included only by .cc files that
// already use Asio, so the plain headers stay free of it.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "proxy/net/endpoint.h"

namespace shelter::proxy::net {

inline boost::asio::ip::address to_asio(const net::Address& a) {
  if (a.v6) return boost::asio::ip::address_v6(a.bytes);
  return boost::asio::ip::address_v4({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
}

inline net::Address from_asio(const boost::asio::ip::address& a) {
  net::Address out;
  if (a.is_v6()) {
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped())
      return from_asio(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
    out.v6 = true;
    out.bytes = v6.to_bytes();
  } else {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
  }
  return out;
}

template <typename Protocol>
typename Protocol::endpoint to_asio_endpoint(const net::Endpoint& e) {
  return typename Protocol::endpoint(to_asio(e.address), e.port);
}

}  // namespace shelter::proxy::net
