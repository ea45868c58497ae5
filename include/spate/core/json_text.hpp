#pragma once
// Writing JSON text without a JSON library: plans and metrics are small,
// flat documents, and the umbrella header must not pull nlohmann-json in.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace spate::json_text {

/// s as a JSON string literal, quotes included.
inline std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

inline std::string number(double v) {
  if (v != v) return "null";  // NaN has no JSON spelling
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
inline std::string number(std::uint64_t v) { return std::to_string(v); }
inline std::string number(std::int64_t v) { return std::to_string(v); }
inline std::string boolean(bool b) { return b ? "true" : "false"; }

}  // namespace spate::json_text
