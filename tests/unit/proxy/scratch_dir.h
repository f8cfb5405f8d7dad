#pragma once
// A fresh directory of its own for a test (tests of several binaries may run at once), with
// the files a test writes into it, removed afterwards.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace shelter::test {

struct Scratch {
  Scratch() {
    std::string pattern = (std::filesystem::temp_directory_path() / "shelter-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::string path(std::string_view name) const { return (dir / name).string(); }
  void write(std::string_view name, std::string_view bytes) const {
    std::filesystem::create_directories((dir / name).parent_path());
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
  }
  std::string read(std::string_view name) const {
    std::ifstream in(dir / name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path dir;
};

}  // namespace shelter::test
