#pragma once
// serde::binary<T>: spate's compact, versioned binary record format.
//
//   record = 0xB5 (magic) | version (0x01) | codec<T> body
//
// The body layout is in codec.hpp and docs/serializers.md. 0xB5 is a UTF-8
// continuation byte, so a binary record can never be mistaken for text or
// JSON, nor text for a binary record.

#include <cstdint>
#include <string>
#include <string_view>

#include <spate/core/reflect.hpp>
#include <spate/core/result.hpp>
#include <spate/serde/codec.hpp>
#include <spate/serde/reader.hpp>
#include <spate/serde/serializer.hpp>
#include <spate/serde/writer.hpp>

namespace spate::serde {

inline constexpr std::uint8_t binary_magic = 0xB5;
// Bumped only when the encoding rules change incompatibly; decoders keep
// reading every version spate has ever written.
inline constexpr std::uint8_t binary_version = 1;

template <class T>
struct binary {
  // READ THIS IF YOUR COMPILE BREAKS HERE: T must be an arithmetic type, enum,
  // std::string(_view), std::vector/std::optional/std::tuple/std::pair of
  // encodable types, a struct reflected with BOOST_HANA_DEFINE_STRUCT or
  // BOOST_HANA_ADAPT_STRUCT whose fields are all encodable, a ValueLike type
  // (members write(writer&) const and static read(reader&)), or a type with a
  // spate::serde::codec<T> specialization. See docs/records.md.
  static_assert(Encodable<T>, "spate::serde::binary<T>: T has no binary encoding (see the comment above)");

  using value_type = T;

  void serialize(const T& v, std::string& out) const {
    writer w(out);
    w.write_u8(binary_magic);
    w.write_u8(binary_version);
    codec<T>::write(w, v);
  }

  result<T> deserialize(std::string_view in) const {
    auto r = decode_record(in);
    if (!r) r.error().source = name();
    return r;
  }

  // Computed once: error paths can be hot when a source is fed garbage.
  static const std::string& name() {
    static const std::string n = "binary<" + readable_type_name<T>() + ">";
    return n;
  }

 private:
  static result<T> decode_record(std::string_view in) {
    reader r(in);
    if (in.empty()) return r.fail("empty input, expected a binary record header (0xb5, version)");
    auto magic = r.read_u8();
    if (*magic != binary_magic) {
      return r.fail_at(0, "bad magic byte " + detail::hex_byte(*magic) + " (expected " +
                              detail::hex_byte(binary_magic) + "): not a spate binary record");
    }
    auto version = r.read_u8();
    if (!version) return std::move(version).error();
    if (*version != binary_version) {
      return r.fail_at(1, "unsupported format version " + std::to_string(*version) + " (this build reads version " +
                              std::to_string(binary_version) + ")");
    }
    auto value = codec<T>::read(r);
    if (value && !r.at_end()) {
      return r.fail(std::to_string(r.remaining()) + " trailing bytes after the record");
    }
    return value;
  }
};

}  // namespace spate::serde
