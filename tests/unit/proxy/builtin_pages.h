#pragma once
// The built-in pages (no pages directory), loaded once per test binary.

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "proxy/web/pages.h"

namespace shelter::test {

inline const proxy::web::Pages& builtin_pages() {
  static const std::shared_ptr<const proxy::web::Pages> pages = [] {
    std::vector<std::string> errors;
    auto loaded = proxy::web::Pages::load("", errors);
    REQUIRE(errors.empty());
    REQUIRE(loaded != nullptr);
    return loaded;
  }();
  return *pages;
}

}  // namespace shelter::test
