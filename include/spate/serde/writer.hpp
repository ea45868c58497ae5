#pragma once
// serde::writer: appends spate's binary encoding to a caller-owned string.
// Byte order is fixed (little-endian) by shifting, never by copying host
// memory, so the bytes are the same on every machine.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spate::serde {

class writer {
 public:
  // Appends to `out`; what is already there is kept (Serializer::serialize
  // appends, so one buffer can carry many records).
  explicit writer(std::string& out) noexcept : out_(&out) {}

  void write_u8(std::uint8_t b) { out_->push_back(static_cast<char>(b)); }

  // Fixed width, little-endian.
  template <std::unsigned_integral U>
  void write_le(U v) {
    char bytes[sizeof(U)];
    for (std::size_t i = 0; i < sizeof(U); ++i) bytes[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
    out_->append(bytes, sizeof(U));
  }

  // Unsigned LEB128: 7 bits per byte, low bits first, high bit = "more".
  // Used for lengths and counts, which are usually small.
  void write_varint(std::uint64_t v) {
    while (v >= 0x80) {
      write_u8(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    write_u8(static_cast<std::uint8_t>(v));
  }

  void write_bytes(std::string_view bytes) { out_->append(bytes); }

  // Any encodable value, in spate's binary encoding (see codec.hpp). Several
  // values are written one after the other.
  template <class... Ts>
  void write(const Ts&... values);

  std::string& buffer() noexcept { return *out_; }

 private:
  std::string* out_;
};

}  // namespace spate::serde

// write<T> needs every codec; codec.hpp needs writer. Including it here, after
// writer is complete, keeps this header usable on its own.
#include <spate/serde/codec.hpp>
