#pragma once
// serde::reader: the bounds-checked cursor over bytes that every binary
// decoder goes through. Each read either returns a value or an error that
// says what was expected and at which byte; nothing reads past the end.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <spate/core/result.hpp>

namespace spate::serde {

class reader {
 public:
  explicit reader(std::string_view in) noexcept : in_(in) {}

  std::size_t offset() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  std::string_view rest() const noexcept { return in_.substr(pos_); }

  result<std::uint8_t> read_u8() {
    if (at_end()) return truncated(1);
    return static_cast<std::uint8_t>(in_[pos_++]);
  }

  template <std::unsigned_integral U>
  result<U> read_le() {
    if (remaining() < sizeof(U)) return truncated(sizeof(U));
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<U>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i));
    pos_ += sizeof(U);
    return v;
  }

  // LEB128 as written by writer::write_varint. Only the shortest form is
  // accepted, so every value has exactly one encoding and decode->encode
  // gives back the input bytes.
  result<std::uint64_t> read_varint() {
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (at_end()) {
        return fail_at(start, "truncated input: varint not terminated after " + std::to_string(remaining_from(start)) + " bytes");
      }
      const auto b = static_cast<std::uint8_t>(in_[pos_++]);
      if (shift == 63 && b > 1) return fail_at(start, "varint overflows 64 bits");
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift != 0) return fail_at(start, "non-canonical varint (redundant trailing zero byte)");
        return v;
      }
    }
  }

  // A varint length or count that must fit in what is left, at `min_each`
  // bytes per item. Checking before allocating keeps a forged length from
  // reserving gigabytes.
  result<std::size_t> read_length(std::size_t min_each = 1) {
    const std::size_t start = pos_;
    auto n = read_varint();
    if (!n) return std::move(n).error();
    const std::size_t each = min_each == 0 ? 1 : min_each;
    if (*n > remaining() / each) {
      if (each == 1) {
        return fail_at(start, "length prefix " + std::to_string(*n) + " exceeds the " + std::to_string(remaining()) +
                                  " bytes left");
      }
      return fail_at(start, "count " + std::to_string(*n) + " needs at least " + std::to_string(each) +
                                " bytes per element, only " + std::to_string(remaining()) + " bytes left");
    }
    return static_cast<std::size_t>(*n);
  }

  // A view into the input: valid as long as the input is.
  result<std::string_view> read_bytes(std::size_t n) {
    if (remaining() < n) return truncated(n);
    auto v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }

  // Any encodable value (see codec.hpp).
  template <class T>
  result<T> read();

  // Errors for decoders, Value-like types included, to return.
  spate::error fail(std::string what) const { return spate::error(std::move(what), pos_); }
  spate::error fail_at(std::size_t offset, std::string what) const { return spate::error(std::move(what), offset); }

 private:
  spate::error truncated(std::size_t needed) const {
    return fail("truncated input, needed " + std::to_string(needed) + (needed == 1 ? " byte, " : " bytes, ") +
                std::to_string(remaining()) + " left");
  }
  std::size_t remaining_from(std::size_t start) const noexcept { return in_.size() - start; }

  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace spate::serde

// read<T> needs every codec; codec.hpp needs reader. See writer.hpp.
#include <spate/serde/codec.hpp>
