#pragma once
// serde::codec<T>: how one value of type T is laid out in spate's binary
// encoding (the body of a binary<T> record, without the header). This is the
// customization point: the built-in kinds below cover scalars, strings,
// tuples, vectors, optionals and reflected structs; a type can bring its own
// layout either intrusively (ValueLike: members write/read) or, for a type
// you cannot edit, by specializing codec<T>. docs/serializers.md has the
// byte-level spec this file implements.

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <spate/core/reflect.hpp>
#include <spate/core/result.hpp>
#include <spate/serde/reader.hpp>
#include <spate/serde/writer.hpp>

namespace spate::serde {

// Specialize with
//   static void write(writer&, const T&);
//   static result<T> read(reader&);
// and optionally `static constexpr std::size_t min_size` (fewest bytes one
// value takes; lets a vector reject a forged count before allocating).
template <class T>
struct codec;

// A Value-like type (Flink's Value types) owns its layout.
template <class T>
concept ValueLike = requires(const T& v, writer& w, reader& r) {
  v.write(w);
  { T::read(r) } -> std::same_as<result<T>>;
};

template <class T>
concept Encodable = requires(const T& v, writer& w, reader& r) {
  codec<T>::write(w, v);
  { codec<T>::read(r) } -> std::same_as<result<T>>;
};

namespace detail {

template <class T>
constexpr std::size_t min_size_of() {
  if constexpr (requires { codec<T>::min_size; }) {
    return codec<T>::min_size;
  } else {
    return 0;
  }
}

inline std::string hex_byte(std::uint8_t b) {
  constexpr char digits[] = "0123456789abcdef";
  return {'0', 'x', digits[b >> 4], digits[b & 0xf]};
}

// wchar_t's width differs between platforms and long double's layout between
// compilers: neither has one portable encoding, so neither is a record type.
template <class T>
concept Scalar = (std::is_arithmetic_v<T> || std::is_enum_v<T>) && !std::is_same_v<T, wchar_t> &&
                 !std::is_same_v<T, long double>;

template <class Tuple>
inline constexpr std::size_t min_size_sum = 0;
template <class... Ts>
inline constexpr std::size_t min_size_sum<std::tuple<Ts...>> = (std::size_t{0} + ... + min_size_of<Ts>());

template <class Tuple>
inline constexpr bool all_encodable = false;
template <class... Ts>
inline constexpr bool all_encodable<std::tuple<Ts...>> = (Encodable<Ts> && ...);

// Reads Ts... in order into a tuple without requiring them to be default
// constructible; the first failure stops the read and names the element.
template <class... Ts, std::size_t... I, class Name>
result<std::tuple<Ts...>> read_sequence(reader& r, std::index_sequence<I...>, Name element_name) {
  std::tuple<std::optional<Ts>...> staged;
  std::optional<spate::error> failure;
  auto read_one = [&]<std::size_t J, class T>() {
    auto x = codec<T>::read(r);
    if (!x) {
      failure = std::move(x).error().in_field(element_name(J));
      return false;
    }
    std::get<J>(staged).emplace(std::move(*x));
    return true;
  };
  // Short-circuits at the first failure; (void) because std::tuple<> reads nothing.
  static_cast<void>((read_one.template operator()<I, Ts>() && ...));
  static_cast<void>(read_one);
  if (failure) return std::move(*failure);
  return std::tuple<Ts...>(std::move(*std::get<I>(staged))...);
}

}  // namespace detail

// Integers, char, bool, enums: fixed width, two's complement, little-endian.
// Floating point: the IEEE-754 bits, little-endian, so NaN payloads, infinities
// and -0.0 survive.
template <class T>
  requires detail::Scalar<T>
struct codec<T> {
  static constexpr std::size_t min_size = sizeof(T);

  static void write(writer& w, T v) {
    if constexpr (std::is_enum_v<T>) {
      codec<std::underlying_type_t<T>>::write(w, static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_same_v<T, bool>) {
      w.write_u8(v ? 1 : 0);
    } else if constexpr (std::is_floating_point_v<T>) {
      w.write_le(std::bit_cast<bits>(v));
    } else {
      w.write_le(static_cast<std::make_unsigned_t<T>>(v));
    }
  }

  static result<T> read(reader& r) {
    if constexpr (std::is_enum_v<T>) {
      auto u = codec<std::underlying_type_t<T>>::read(r);
      if (!u) return std::move(u).error();
      return static_cast<T>(*u);
    } else if constexpr (std::is_same_v<T, bool>) {
      auto b = r.read_u8();
      if (!b) return std::move(b).error();
      // Only 0 and 1: any other byte means the input is not what we wrote.
      if (*b > 1) return r.fail_at(r.offset() - 1, "invalid bool byte " + detail::hex_byte(*b) + " (expected 0x00 or 0x01)");
      return *b == 1;
    } else if constexpr (std::is_floating_point_v<T>) {
      auto b = r.read_le<bits>();
      if (!b) return std::move(b).error();
      return std::bit_cast<T>(*b);
    } else {
      auto u = r.read_le<std::make_unsigned_t<T>>();
      if (!u) return std::move(u).error();
      return static_cast<T>(*u);
    }
  }

 private:
  static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559,
                "spate binary encoding stores floating point as IEEE-754 bits");
  using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
};

// Strings: varint byte length, then the bytes (no terminator, no transcoding).
template <>
struct codec<std::string> {
  static constexpr std::size_t min_size = 1;
  static void write(writer& w, const std::string& s) {
    w.write_varint(s.size());
    w.write_bytes(s);
  }
  static result<std::string> read(reader& r) {
    auto n = r.read_length();
    if (!n) return std::move(n).error();
    auto bytes = r.read_bytes(*n);
    if (!bytes) return std::move(bytes).error();
    return std::string(*bytes);
  }
};

// Same bytes as std::string; decoding returns a view into the input, so the
// input must outlive the record.
template <>
struct codec<std::string_view> {
  static constexpr std::size_t min_size = 1;
  static void write(writer& w, std::string_view s) {
    w.write_varint(s.size());
    w.write_bytes(s);
  }
  static result<std::string_view> read(reader& r) {
    auto n = r.read_length();
    if (!n) return std::move(n).error();
    return r.read_bytes(*n);
  }
};

// Vectors: varint element count, then the elements.
template <Encodable E, class A>
struct codec<std::vector<E, A>> {
  static constexpr std::size_t min_size = 1;
  static_assert(!requires { codec<E>::min_size; } || detail::min_size_of<E>() > 0,
                "binary: a std::vector of a type that encodes to zero bytes (e.g. std::tuple<>) "
                "cannot be decoded safely; wrap the element in something with content");

  static void write(writer& w, const std::vector<E, A>& v) {
    w.write_varint(v.size());
    for (const auto& e : v) codec<E>::write(w, e);
  }
  static result<std::vector<E, A>> read(reader& r) {
    auto n = r.read_length(detail::min_size_of<E>());
    if (!n) return std::move(n).error();
    std::vector<E, A> out;
    out.reserve(*n);
    for (std::size_t i = 0; i < *n; ++i) {
      auto e = codec<E>::read(r);
      if (!e) return std::move(e).error().in_field("[" + std::to_string(i) + "]");
      out.push_back(std::move(*e));
    }
    return out;
  }
};

// Optionals: one tag byte, 0x00 empty or 0x01 followed by the value.
template <Encodable T>
struct codec<std::optional<T>> {
  static constexpr std::size_t min_size = 1;
  static void write(writer& w, const std::optional<T>& v) {
    // One branch, not "tag then if": GCC 12 at -O3 otherwise warns that the
    // empty optional's value may be read (-Wmaybe-uninitialized).
    if (const T* value = v ? &*v : nullptr) {
      w.write_u8(1);
      codec<T>::write(w, *value);
    } else {
      w.write_u8(0);
    }
  }
  static result<std::optional<T>> read(reader& r) {
    auto tag = r.read_u8();
    if (!tag) return std::move(tag).error();
    if (*tag == 0) return std::optional<T>();
    if (*tag != 1) {
      return r.fail_at(r.offset() - 1,
                       "invalid optional tag " + detail::hex_byte(*tag) + " (expected 0x00 = empty or 0x01 = present)");
    }
    auto x = codec<T>::read(r);
    if (!x) return std::move(x).error();
    return std::optional<T>(std::move(*x));
  }
};

// Tuples and pairs: the elements one after the other, nothing in between.
template <Encodable... Ts>
struct codec<std::tuple<Ts...>> {
  static constexpr std::size_t min_size = detail::min_size_sum<std::tuple<Ts...>>;
  static void write(writer& w, const std::tuple<Ts...>& t) {
    std::apply([&](const auto&... e) { (codec<Ts>::write(w, e), ...); }, t);
  }
  static result<std::tuple<Ts...>> read(reader& r) {
    return detail::read_sequence<Ts...>(r, std::index_sequence_for<Ts...>{},
                                        [](std::size_t i) { return "get<" + std::to_string(i) + ">"; });
  }
};

template <Encodable A, Encodable B>
struct codec<std::pair<A, B>> {
  static constexpr std::size_t min_size = detail::min_size_of<A>() + detail::min_size_of<B>();
  static void write(writer& w, const std::pair<A, B>& p) {
    codec<A>::write(w, p.first);
    codec<B>::write(w, p.second);
  }
  static result<std::pair<A, B>> read(reader& r) {
    auto t = detail::read_sequence<A, B>(r, std::index_sequence<0, 1>{},
                                         [](std::size_t i) { return std::string(i == 0 ? "first" : "second"); });
    if (!t) return std::move(t).error();
    return std::pair<A, B>(std::move(std::get<0>(*t)), std::move(std::get<1>(*t)));
  }
};

// Reflected structs: the fields in declaration order, without names (the
// type is the schema). A struct that is also ValueLike uses its own layout.
template <class T>
  requires Reflected<T> && (!ValueLike<T>) && detail::all_encodable<field_types_t<T>>
struct codec<T> {
  static constexpr std::size_t min_size = detail::min_size_sum<field_types_t<T>>;

  static void write(writer& w, const T& v) {
    for_each_field(v, [&](std::string_view, const auto& f) { codec<std::remove_cvref_t<decltype(f)>>::write(w, f); });
  }
  static result<T> read(reader& r) {
    static_assert(std::is_default_constructible_v<T>,
                  "binary: a reflected struct is decoded field by field into a default-constructed "
                  "object; give it a default constructor or make it ValueLike");
    T out{};
    std::optional<spate::error> failure;
    for_each_field(out, [&](std::string_view name, auto& f) {
      if (failure) return;
      auto x = codec<std::remove_cvref_t<decltype(f)>>::read(r);
      if (!x) {
        failure = std::move(x).error().in_field(name);
        return;
      }
      f = std::move(*x);
    });
    if (failure) return std::move(*failure);
    return out;
  }
};

template <ValueLike T>
struct codec<T> {
  static void write(writer& w, const T& v) { v.write(w); }
  static result<T> read(reader& r) { return T::read(r); }
};

// Headerless encode/decode of one value: for embedding spate values in a
// format of your own. binary<T> adds the header and the trailing-bytes check.
template <Encodable T>
void encode(writer& w, const T& v) {
  codec<T>::write(w, v);
}

template <Encodable T>
result<T> decode(reader& r) {
  return codec<T>::read(r);
}

template <class... Ts>
void writer::write(const Ts&... values) {
  static_assert((Encodable<Ts> && ...), "writer::write: a type has no spate binary encoding (see serde/codec.hpp)");
  (codec<Ts>::write(*this, values), ...);
}

template <class T>
result<T> reader::read() {
  static_assert(Encodable<T>, "reader::read<T>: T has no spate binary encoding (see serde/codec.hpp)");
  return codec<T>::read(*this);
}

}  // namespace spate::serde
