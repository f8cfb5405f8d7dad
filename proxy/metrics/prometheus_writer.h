#pragma once
// Writing the Prometheus text format (version 0.0.4): a family's HELP and TYPE, then samples.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace shelter::proxy::metrics {

class Writer {
 public:
  void help(std::string_view name, std::string_view type, std::string_view text) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += text;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    line(name, labels, std::to_string(value));
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    line(name, labels, buffer);
  }
  std::string take() { return std::move(out_); }

 private:
  void line(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  std::string out_;
};

}  // namespace shelter::proxy::metrics
