#pragma once
// What crosses a thread must own its data: a string_view produced by words()
// points into the source's line buffer, which is reused as soon as the source
// reads on. owned_t<T> is the type a record or key is copied into before it
// enters a queue: string_view and const char* become std::string, pairs and
// tuples convert element-wise, everything else is kept.
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace spate::exec {

template <class T>
struct owned {
  using type = T;
};
template <class T>
using owned_t = typename owned<std::remove_cvref_t<T>>::type;

template <>
struct owned<std::string_view> {
  using type = std::string;
};
template <>
struct owned<const char*> {
  using type = std::string;
};
template <class A, class B>
struct owned<std::pair<A, B>> {
  using type = std::pair<owned_t<A>, owned_t<B>>;
};
template <class... Ts>
struct owned<std::tuple<Ts...>> {
  using type = std::tuple<owned_t<Ts>...>;
};

/// Converts r to owned_t<R> (a move when nothing changes).
template <class R>
owned_t<R> to_owned(R&& r) {
  using O = owned_t<R>;
  if constexpr (std::is_same_v<O, std::remove_cvref_t<R>>) {
    return O(std::forward<R>(r));
  } else if constexpr (requires { std::tuple_size<std::remove_cvref_t<R>>::value; }) {
    return std::apply([](auto&&... xs) { return O(to_owned(std::forward<decltype(xs)>(xs))...); },
                      std::forward<R>(r));
  } else {
    return O(std::forward<R>(r));
  }
}

}  // namespace spate::exec
