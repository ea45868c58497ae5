#pragma once
// Compile-time reflection of plain structs, on top of Boost.Hana.
//
// A struct becomes a "reflected record" (Flink's POJO) by declaring its
// fields with BOOST_HANA_DEFINE_STRUCT inside the struct, or by naming them
// with BOOST_HANA_ADAPT_STRUCT next to a struct you cannot edit. Everything
// here only reads what Hana recorded, so serializers, key_by and printers all
// agree on the same field names and order (declaration order).

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/hana/accessors.hpp>
#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/basic_tuple.hpp>
#include <boost/hana/tuple.hpp>

namespace spate {

template <class T>
inline constexpr bool is_reflected_v = boost::hana::Struct<std::remove_cvref_t<T>>::value;

template <class T>
concept Reflected = is_reflected_v<T>;

template <Reflected T>
inline constexpr std::size_t field_count_v =
    decltype(boost::hana::length(boost::hana::accessors<std::remove_cvref_t<T>>()))::value;

// Calls f(std::string_view name, field) for every field in declaration order.
// `field` has the constness and value category of `obj`, so f may assign to
// it (decoding) or move from it.
template <class T, class F>
  requires Reflected<T>
constexpr void for_each_field(T&& obj, F&& f) {
  boost::hana::for_each(boost::hana::accessors<std::remove_cvref_t<T>>(), [&](auto field) {
    f(std::string_view(boost::hana::to<char const*>(boost::hana::first(field))),
      boost::hana::second(field)(static_cast<T&&>(obj)));
  });
}

// std::tuple<F1, F2, ...> of the field types (cv-ref removed), for checking
// what a struct holds at compile time.
namespace detail {
// A class rather than a lambda in decltype: clang 14 mishandles lambdas in
// unevaluated operands of templates used in constraints.
template <class T>
struct field_types_of {
  template <class... Accessor>
  static auto from(const boost::hana::basic_tuple<Accessor...>&)
      -> std::tuple<std::remove_cvref_t<decltype(boost::hana::second(std::declval<Accessor>())(std::declval<T&>()))>...>;
  template <class... Accessor>
  static auto from(const boost::hana::tuple<Accessor...>&)
      -> std::tuple<std::remove_cvref_t<decltype(boost::hana::second(std::declval<Accessor>())(std::declval<T&>()))>...>;
  using type = decltype(from(boost::hana::accessors<T>()));
};
}  // namespace detail

template <Reflected T>
using field_types_t = typename detail::field_types_of<std::remove_cvref_t<T>>::type;

template <Reflected T>
constexpr std::array<std::string_view, field_count_v<T>> field_names() {
  std::array<std::string_view, field_count_v<T>> names{};
  std::size_t i = 0;
  boost::hana::for_each(boost::hana::accessors<std::remove_cvref_t<T>>(), [&](auto field) {
    names[i++] = boost::hana::to<char const*>(boost::hana::first(field));
  });
  return names;
}

namespace detail {
template <auto Member, class Accessor>
inline constexpr bool accessor_is = false;
// Hana's own accessor type carries the member pointer; matching on it is the
// only way to name a member pointer without an object at hand.
template <auto Member>
inline constexpr bool accessor_is<Member, boost::hana::struct_detail::member_ptr<decltype(Member), Member>> = true;

template <class T>
struct member_class;
template <class M, class C>
struct member_class<M C::*> {
  using type = C;
};
}  // namespace detail

// field_name<&Order::price>() == "price"; "" if the member is not one of the
// reflected fields. Lets key_by(&Order::customer) print a readable name.
template <auto Member>
  requires std::is_member_object_pointer_v<decltype(Member)> &&
           Reflected<typename detail::member_class<decltype(Member)>::type>
constexpr std::string_view field_name() {
  using S = typename detail::member_class<decltype(Member)>::type;
  std::string_view found;
  boost::hana::for_each(boost::hana::accessors<S>(), [&](auto field) {
    if constexpr (detail::accessor_is<Member, std::remove_cvref_t<decltype(boost::hana::second(field))>>) {
      found = boost::hana::to<char const*>(boost::hana::first(field));
    }
  });
  return found;
}

// The compiler's spelling of T, for error messages ("binary<Order>").
// Measured against a probe type so the compiler-specific text around the
// name in __PRETTY_FUNCTION__ need not be hard-coded.
namespace detail {
template <class T>
constexpr std::string_view pretty_function() {
  return __PRETTY_FUNCTION__;
}
inline constexpr std::string_view probe = pretty_function<double>();
inline constexpr std::size_t probe_prefix = probe.find("double");
inline constexpr std::size_t probe_suffix = probe.size() - probe_prefix - std::string_view("double").size();
}  // namespace detail

template <class T>
constexpr std::string_view type_name() {
  constexpr std::string_view raw = detail::pretty_function<T>();
  return raw.substr(detail::probe_prefix, raw.size() - detail::probe_prefix - detail::probe_suffix);
}

// type_name<T>() with the standard library's inline namespaces and default
// arguments removed, so messages say "std::string", not
// "std::__cxx11::basic_string<char>". Only used on error paths.
template <class T>
std::string readable_type_name() {
  std::string s(type_name<T>());
  static constexpr std::pair<std::string_view, std::string_view> rewrites[] = {
      {"std::__cxx11::", "std::"},
      {"std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string"},
      {"std::basic_string<char>", "std::string"},
      {"std::basic_string_view<char, std::char_traits<char> >", "std::string_view"},
      {"std::basic_string_view<char>", "std::string_view"},
      {" >", ">"},
      // GCC spells some integer types long-hand; use the short form clang uses.
      {"long long unsigned int", "unsigned long long"},
      {"long unsigned int", "unsigned long"},
      {"short unsigned int", "unsigned short"},
      {"long long int", "long long"},
      {"long int", "long"},
      {"short int", "short"},
  };
  for (auto [from, to] : rewrites) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  }
  return s;
}

}  // namespace spate
