#pragma once
// string_schema (Flink's SimpleStringSchema): the bytes are the string.
// utf8_string_schema additionally rejects bytes that are not UTF-8, for
// inputs that downstream code (JSON, regexes, terminals) will treat as text.

#include <string>
#include <string_view>

#include <spate/core/result.hpp>
#include <spate/serde/utf8.hpp>

namespace spate::serde {

struct string_schema {
  using value_type = std::string;
  void serialize(const std::string& v, std::string& out) const { out += v; }
  std::string_view view(const std::string& v) const { return v; }  // the string is its own encoding
  result<std::string> deserialize(std::string_view in) const { return std::string(in); }
};

struct utf8_string_schema {
  using value_type = std::string;
  // Writing does not validate: what the program holds is its business; what
  // it reads from outside is checked.
  void serialize(const std::string& v, std::string& out) const { out += v; }
  std::string_view view(const std::string& v) const { return v; }
  result<std::string> deserialize(std::string_view in) const {
    if (auto bad = find_invalid_utf8(in)) {
      return spate::error("invalid UTF-8: " + bad->reason, bad->offset, {}, "utf8_string_schema");
    }
    return std::string(in);
  }
};

}  // namespace spate::serde
