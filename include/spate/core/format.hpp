#pragma once
// How records are written as text (print, text-file sinks): numbers and
// strings as themselves, pairs and tuples as (a,b) like Spark's print, Hana
// structs as {name=value, ...}, ranges as [a, b], and anything else through
// its operator<<.
#include <boost/hana/accessors.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/core/to.hpp>
#include <boost/hana/concept/struct.hpp>
#include <cstddef>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "diagnostics.hpp"

namespace spate {

namespace detail {
template <class T>
concept streamable = requires(std::ostream& os, const T& t) { os << t; };
template <class T>
concept tuple_like = requires { std::tuple_size<T>::value; };
template <class T>
concept hana_struct = boost::hana::Struct<T>::value;
template <class T>
concept text_range = requires(const T& t) {
  std::begin(t);
  std::end(t);
};
}  // namespace detail

template <class T>
void write_text(std::ostream& os, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    os << std::string_view(v);
  } else if constexpr (std::is_same_v<T, char>) {
    os << v;  // a character; signed/unsigned char (int8_t, uint8_t) print as numbers
  } else if constexpr (std::is_arithmetic_v<T>) {
    if constexpr (sizeof(T) == 1) os << +v; else os << v;
  } else if constexpr (detail::tuple_like<T>) {
    os << '(';
    std::apply([&](const auto&... xs) {
      std::size_t i = 0;
      ((os << (i++ ? "," : ""), write_text(os, xs)), ...);
    }, v);
    os << ')';
  } else if constexpr (detail::hana_struct<T>) {
    os << '{';
    bool first = true;
    boost::hana::for_each(boost::hana::accessors<T>(), [&](auto pair) {
      os << (first ? "" : ", ") << boost::hana::to<const char*>(boost::hana::first(pair)) << '=';
      write_text(os, boost::hana::second(pair)(v));
      first = false;
    });
    os << '}';
  } else if constexpr (detail::streamable<T>) {
    os << v;
  } else if constexpr (requires { v.has_value(); *v; }) {
    if (v.has_value()) write_text(os, *v); else os << "None";
  } else if constexpr (detail::text_range<T>) {
    os << '[';
    bool first = true;
    for (const auto& x : v) {
      os << (first ? "" : ", ");
      write_text(os, x);
      first = false;
    }
    os << ']';
  } else {
    static_assert(sizeof(T) == 0, "spate: no way to write this record as text; give it an operator<<");
  }
}

template <class T>
std::string to_text(const T& v) {
  std::ostringstream os;
  write_text(os, v);
  return std::move(os).str();
}

template <class T>
concept TextWritable = requires(std::ostream& os, const T& v) { write_text(os, v); };

/// The check() of every sink that writes records as text (print, files).
template <fixed_string Sink, class Flow>
constexpr bool text_sink_accepts() {
  using T = typename Flow::value_type;
  if constexpr (TextWritable<T>) {
    return true;
  } else {
    (void)&diagnostic::report<diagnostic::sink_cannot_accept_input<Sink, T, std::ostream>>;
    return false;
  }
}

}  // namespace spate
