#pragma once
// UTF-8 validation (RFC 3629): where the first invalid byte is and why.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::serde {

struct utf8_problem {
  std::size_t offset;   // first byte of the offending sequence
  std::string reason;
};

// nullopt if `s` is valid UTF-8. Rejects overlong forms, surrogates
// (U+D800..U+DFFF) and code points above U+10FFFF, as RFC 3629 requires.
inline std::optional<utf8_problem> find_invalid_utf8(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  auto hex = [](std::uint8_t b) {
    constexpr char d[] = "0123456789abcdef";
    return std::string{'0', 'x', d[b >> 4], d[b & 0xf]};
  };
  auto code_point = [](std::uint32_t cp) {
    constexpr char d[] = "0123456789ABCDEF";
    std::string out;
    for (int shift = cp > 0xffff ? 20 : 12; shift >= 0; shift -= 4) out += d[(cp >> shift) & 0xf];
    return "U+" + out;
  };
  for (std::size_t i = 0; i < s.size();) {
    const std::uint8_t b0 = byte(i);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if ((b0 & 0xe0) == 0xc0) {
      len = 2, cp = b0 & 0x1f, min = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3, cp = b0 & 0x0f, min = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else if ((b0 & 0xc0) == 0x80) {
      return utf8_problem{i, "unexpected continuation byte " + hex(b0)};
    } else {
      return utf8_problem{i, "invalid byte " + hex(b0)};
    }
    if (s.size() - i < len) return utf8_problem{i, "truncated " + std::to_string(len) + "-byte sequence"};
    for (std::size_t k = 1; k < len; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) {
        return utf8_problem{i, "byte " + hex(byte(i + k)) + " at position " + std::to_string(k + 1) + " of a " +
                                   std::to_string(len) + "-byte sequence is not a continuation byte"};
      }
      cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if (cp < min) return utf8_problem{i, "overlong encoding of " + code_point(cp)};
    if (cp >= 0xd800 && cp <= 0xdfff) return utf8_problem{i, "encoded surrogate (U+D800..U+DFFF)"};
    if (cp > 0x10ffff) return utf8_problem{i, "code point above U+10FFFF"};
    i += len;
  }
  return std::nullopt;
}

}  // namespace spate::serde
