#pragma once
// Building Redis replies in tests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "proxy/redis/resp.h"

namespace shelter::proxy::redis::test {

inline Reply text(ReplyType type, std::string s) {
  Reply r;
  r.type = type;
  r.text = std::move(s);
  return r;
}

inline Reply str(std::string s) {
  return text(ReplyType::string, std::move(s));
}

inline Reply integer(std::int64_t n) {
  Reply r;
  r.type = ReplyType::integer;
  r.integer = n;
  return r;
}

inline Reply array(std::vector<Reply> elements) {
  Reply r;
  r.type = ReplyType::array;
  r.elements = std::move(elements);
  return r;
}

}  // namespace shelter::proxy::redis::test
