#pragma once
// field<"name">: a member of a Boost.Hana-reflected struct, by name, as a
// function object. Made for key_by(field<"user">); works anywhere a function
// of the record is expected.
//   struct Click { BOOST_HANA_DEFINE_STRUCT(Click, (std::string, user), (long, ts)); };
//   ... | key_by(field<"user">) | count()
#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/core/to.hpp>
#include <boost/hana/find_if.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <string_view>
#include <type_traits>

#include "../core/diagnostics.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: the struct (first argument) has no
// reflected member of that name (second argument), or is not reflected at all
// (BOOST_HANA_DEFINE_STRUCT / BOOST_HANA_ADAPT_STRUCT).
template <class Struct, fixed_string Name>
struct no_such_field {
  static_assert(always_false<Struct>, "spate: field<\"name\">: the record has no reflected member of this name");
};
}  // namespace diagnostic

template <fixed_string Name>
struct field_fn {
  template <class T>
  static constexpr auto accessor() {
    namespace hana = boost::hana;
    if constexpr (!hana::Struct<T>::value) {
      return hana::nothing;
    } else {
      return hana::find_if(hana::accessors<T>(), [](auto pair) {
        using S = std::remove_cvref_t<decltype(hana::first(pair))>;
        return hana::bool_c<std::string_view(hana::to<const char*>(S{})) == std::string_view(Name.text)>;
      });
    }
  }
  template <class T>
    requires(!decltype(boost::hana::is_nothing(accessor<T>()))::value)
  constexpr decltype(auto) operator()(const T& r) const {
    return boost::hana::second(accessor<T>().value())(r);
  }
  template <class T>
    requires(decltype(boost::hana::is_nothing(accessor<T>()))::value)
  constexpr int operator()(const T&) const {
    (void)&diagnostic::report<diagnostic::no_such_field<T, Name>>;
    return 0;
  }
};

/// The member called Name of a reflected struct.
template <fixed_string Name>
inline constexpr field_fn<Name> field{};

}  // namespace spate
