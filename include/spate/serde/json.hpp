#pragma once
// serde::json<T>: records as JSON text (nlohmann-json underneath).
//
// Mapping: reflected struct <-> object (keys in declaration order), bool <->
// true/false, integers/char/enums <-> integers (range-checked), floating
// point <-> numbers with "NaN"/"Infinity"/"-Infinity" strings for the
// non-finite values JSON cannot spell (the proto3 JSON convention),
// std::string <-> string, vector <-> array, tuple/pair <-> fixed-length array,
// optional <-> value or null; an empty optional struct field is omitted and a
// missing one decodes as empty. Unknown keys are ignored so producers can add
// fields first. Decoding is strict about types: "12" is not an integer.

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <spate/core/reflect.hpp>
#include <spate/core/result.hpp>
#include <spate/serde/serializer.hpp>

namespace spate::serde {

namespace json_detail {

using document = nlohmann::ordered_json;

template <class T> inline constexpr bool is_vector = false;
template <class E, class A> inline constexpr bool is_vector<std::vector<E, A>> = true;
template <class T> inline constexpr bool is_optional = false;
template <class E> inline constexpr bool is_optional<std::optional<E>> = true;
template <class T> inline constexpr bool is_tuple_like = false;
template <class... Ts> inline constexpr bool is_tuple_like<std::tuple<Ts...>> = true;
template <class A, class B> inline constexpr bool is_tuple_like<std::pair<A, B>> = true;

template <class T>
constexpr bool supported();

template <class Tuple>
constexpr bool all_supported = false;
template <class... Ts>
constexpr bool all_supported<std::tuple<Ts...>> = (supported<Ts>() && ...);

template <class T>
constexpr bool supported() {
  if constexpr (std::is_same_v<T, wchar_t> || std::is_same_v<T, long double>) {
    return false;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::string>) {
    return true;
  } else if constexpr (is_vector<T> || is_optional<T>) {
    return supported<typename T::value_type>();
  } else if constexpr (is_tuple_like<T>) {
    return []<class... Ts>(std::type_identity<std::tuple<Ts...>>) { return (supported<Ts>() && ...); }(
        std::type_identity<decltype(std::tuple_cat(std::declval<T>()))>{});
  } else if constexpr (Reflected<T>) {
    return all_supported<field_types_t<T>>;
  } else {
    return false;
  }
}

// "string \"12\"": the JSON type, and a short excerpt of the value so the
// reader can find it in the input.
inline std::string describe(const document& j) {
  std::string text = j.dump(-1, ' ', false, document::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(j.type_name()) + " " + text;
}

inline spate::error type_error(std::string_view expected, const document& j) {
  return spate::error("expected " + std::string(expected) + ", got " + describe(j));
}

template <class T>
void encode(document& j, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    j = v;
  } else if constexpr (std::is_enum_v<T>) {
    encode(j, static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>) j = static_cast<std::int64_t>(v);
    else j = static_cast<std::uint64_t>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) j = "NaN";
    else if (std::isinf(v)) j = v > 0 ? "Infinity" : "-Infinity";
    else j = static_cast<double>(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    j = v;
  } else if constexpr (is_vector<T>) {
    j = document::array();
    for (const auto& e : v) encode(j.emplace_back(), e);
  } else if constexpr (is_optional<T>) {
    if (v) encode(j, *v);
    else j = nullptr;
  } else if constexpr (is_tuple_like<T>) {
    j = document::array();
    std::apply([&](const auto&... e) { (encode(j.emplace_back(), e), ...); }, v);
  } else {
    static_assert(Reflected<T>);
    j = document::object();
    for_each_field(v, [&](std::string_view name, const auto& f) {
      if constexpr (is_optional<std::remove_cvref_t<decltype(f)>>) {
        if (!f) return;
      }
      encode(j[std::string(name)], f);
    });
  }
}

template <class T>
result<T> decode(const document& j);

template <class T>
result<T> decode_integer(const document& j) {
  using limits = std::numeric_limits<T>;
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(limits::max())) return static_cast<T>(u);
  } else if (j.is_number_integer()) {
    const auto i = j.get<std::int64_t>();
    const bool fits = limits::is_signed
                          ? i >= static_cast<std::int64_t>(limits::min()) && i <= static_cast<std::int64_t>(limits::max())
                          : i >= 0 && static_cast<std::uint64_t>(i) <= static_cast<std::uint64_t>(limits::max());
    if (fits) return static_cast<T>(i);
  } else {
    return type_error("integer", j);
  }
  return spate::error("integer " + j.dump() + " out of range [" + std::to_string(+limits::min()) + ", " +
                      std::to_string(+limits::max()) + "]");
}

template <class T>
result<T> decode_float(const document& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<T>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<T>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<T>::infinity();
  }
  if (!j.is_number()) return type_error("number", j);
  const auto d = j.get<double>();
  if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max())) {
    return spate::error("number " + j.dump() + " out of range for " + readable_type_name<T>());
  }
  return static_cast<T>(d);
}

template <class Tuple, std::size_t... I>
result<Tuple> decode_tuple(const document& j, std::index_sequence<I...>) {
  constexpr std::size_t n = sizeof...(I);
  if (!j.is_array() || j.size() != n) return type_error("array of " + std::to_string(n) + " elements", j);
  std::tuple<std::optional<std::tuple_element_t<I, Tuple>>...> staged;
  std::optional<spate::error> failure;
  auto one = [&]<std::size_t K>() {
    auto x = decode<std::tuple_element_t<K, Tuple>>(j[K]);
    if (!x) {
      failure = std::move(x).error().in_field("[" + std::to_string(K) + "]");
      return false;
    }
    std::get<K>(staged).emplace(std::move(*x));
    return true;
  };
  static_cast<void>((one.template operator()<I>() && ...));
  static_cast<void>(one);
  if (failure) return std::move(*failure);
  return Tuple(std::move(*std::get<I>(staged))...);
}

template <class T>
result<T> decode_struct(const document& j) {
  if (!j.is_object()) return type_error("object", j);
  T out{};
  std::optional<spate::error> failure;
  for_each_field(out, [&](std::string_view name, auto& f) {
    using F = std::remove_cvref_t<decltype(f)>;
    if (failure) return;
    auto it = j.find(name);
    if (it == j.end()) {
      if constexpr (!is_optional<F>) failure = spate::error("missing field", spate::error::npos, std::string(name));
      return;
    }
    auto x = decode<F>(*it);
    if (!x) {
      failure = std::move(x).error().in_field(name);
      return;
    }
    f = std::move(*x);
  });
  if (failure) return std::move(*failure);
  return out;
}

template <class T>
result<T> decode(const document& j) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return type_error("boolean", j);
    return j.get<bool>();
  } else if constexpr (std::is_enum_v<T>) {
    auto u = decode_integer<std::underlying_type_t<T>>(j);
    if (!u) return std::move(u).error();
    return static_cast<T>(*u);
  } else if constexpr (std::is_integral_v<T>) {
    return decode_integer<T>(j);
  } else if constexpr (std::is_floating_point_v<T>) {
    return decode_float<T>(j);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return type_error("string", j);
    return j.get<std::string>();
  } else if constexpr (is_vector<T>) {
    if (!j.is_array()) return type_error("array", j);
    T out;
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      auto e = decode<typename T::value_type>(j[i]);
      if (!e) return std::move(e).error().in_field("[" + std::to_string(i) + "]");
      out.push_back(std::move(*e));
    }
    return out;
  } else if constexpr (is_optional<T>) {
    if (j.is_null()) return T();
    auto x = decode<typename T::value_type>(j);
    if (!x) return std::move(x).error();
    return T(std::move(*x));
  } else if constexpr (is_tuple_like<T>) {
    return decode_tuple<T>(j, std::make_index_sequence<std::tuple_size_v<T>>{});
  } else {
    static_assert(std::is_default_constructible_v<T>,
                  "json<T>: a reflected struct is decoded into a default-constructed object");
    return decode_struct<T>(j);
  }
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse
// error at line 1, column 5: "; our error already says where.
inline std::string strip_nlohmann_prefix(std::string_view what) {
  if (auto column = what.find("column "); column != std::string_view::npos) {
    if (auto colon = what.find(": ", column); colon != std::string_view::npos) return std::string(what.substr(colon + 2));
  }
  if (what.starts_with("[json.exception.")) {
    if (auto close = what.find("] "); close != std::string_view::npos) return std::string(what.substr(close + 2));
  }
  return std::string(what);
}

}  // namespace json_detail

template <class T>
struct json {
  // READ THIS IF YOUR COMPILE BREAKS HERE: json<T> handles bool, integers,
  // char, enums, float/double, std::string, std::vector, std::optional,
  // std::tuple/std::pair, and structs reflected with BOOST_HANA_DEFINE_STRUCT
  // or BOOST_HANA_ADAPT_STRUCT made of those. std::string_view cannot be
  // decoded (JSON strings are unescaped into new storage): use std::string.
  // ValueLike types define a binary layout only: use binary<T> for them.
  static_assert(json_detail::supported<T>(), "spate::serde::json<T>: T has no JSON mapping (see the comment above)");

  using value_type = T;

  void serialize(const T& v, std::string& out) const {
    json_detail::document j;
    json_detail::encode(j, v);
    // JSON text must be Unicode: invalid UTF-8 inside a std::string becomes
    // U+FFFD instead of failing a write that has no way to report it.
    out += j.dump(-1, ' ', false, json_detail::document::error_handler_t::replace);
  }

  result<T> deserialize(std::string_view in) const {
    auto r = parse_and_decode(in);
    if (!r) r.error().source = name();
    return r;
  }

  // Computed once: error paths can be hot when a source is fed garbage.
  static const std::string& name() {
    static const std::string n = "json<" + readable_type_name<T>() + ">";
    return n;
  }

 private:
  static result<T> parse_and_decode(std::string_view in) {
    json_detail::document j;
    try {
      j = json_detail::document::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      // nlohmann counts bytes from 1 and points at the last byte it read.
      const std::size_t at = e.byte == 0 ? 0 : e.byte - 1;
      return spate::error(json_detail::strip_nlohmann_prefix(e.what()), at > in.size() ? in.size() : at);
    } catch (const nlohmann::json::exception& e) {
      return spate::error(json_detail::strip_nlohmann_prefix(e.what()));
    }
    return json_detail::decode<T>(j);
  }
};

}  // namespace spate::serde
