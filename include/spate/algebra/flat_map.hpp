#pragma once
// flat_map(f): each record becomes zero or more records. Two forms, neither
// allocates per record unless the user's function does:
//  - f(r) returns a range (a range-v3 view, spate::words(line), a std::array,
//    a std::vector...); each element is pushed on;
//  - flat_map<Out>(f) with f(r, emit): f calls emit(x) for each output; emit
//    returns false once downstream asked to stop.
//   from_elements("a b"s, "c"s) | flat_map([](const std::string& l) { return words(l); })  // a b c
#include <concepts>
#include <functional>
#include <iterator>
#include <type_traits>
#include <utility>

#include "stage.hpp"

namespace spate {

namespace detail {
template <class R>
concept iterable = requires(R& r) {
  std::begin(r);
  std::end(r);
};
template <class R>
using iter_value_t = std::remove_cvref_t<decltype(*std::begin(std::declval<R&>()))>;

// The emitter handed to callback-form flat_map functions.
template <class Down>
struct emitter {
  Down* down;
  bool open = true;
  template <class X>
  bool operator()(X&& x) {
    if (open) open = down->push(std::forward<X>(x));
    return open;
  }
};
// Stands for the downstream when checking a callback-form function.
struct any_down {
  template <class X>
  bool push(X&&);
};
}  // namespace detail

/// Out = void: f returns a range. Otherwise f(r, emit) emits records of type Out.
template <class F, class Out = void>
struct flat_map_stage : stage_tag {
  F fn;
  static constexpr const char* name = "flat_map";
  static constexpr bool callback_form = !std::is_void_v<Out>;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (callback_form) {
      if constexpr (!stage_invocable<F, const T&, detail::emitter<detail::any_down>&>) {
        (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"flat_map", T, F>>;
        return false;
      } else {
        return true;
      }
    } else if constexpr (!stage_invocable<F, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"flat_map", T, F>>;
      return false;
    } else if constexpr (!detail::iterable<stage_result_t<F, const T&>>) {
      // READ THIS IF YOUR COMPILE BREAKS HERE: the function must return a range,
      // or use flat_map<OutputType>(f) with f(record, emit).
      (void)&diagnostic::report<diagnostic::stage_bad_result<"flat_map", T, stage_result_t<F, const T&>>>;
      return false;
    } else {
      return true;
    }
  }

  template <class Flow, bool Callback = callback_form>
  struct out_of {
    using type = Out;
  };
  template <class Flow>
  struct out_of<Flow, false> {
    using type = detail::iter_value_t<stage_result_t<F, const typename Flow::value_type&>>;
  };
  template <class Flow>
  using output = flow<typename out_of<Flow>::type>;

  template <class Down>
  struct built : forward_control<Down> {
    F fn;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      if constexpr (callback_form) {
        detail::emitter<Down> emit{&this->down};
        detail::call_user(label, fn, std::forward<R>(r), emit);
        return emit.open;
      } else {
        for (auto&& x : detail::call_user(label, fn, std::forward<R>(r)))
          if (!this->down.push(std::forward<decltype(x)>(x))) return false;
        return true;
      }
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

/// Each record becomes the elements of the range f returns (or, as
/// flat_map<Out>(f), what f(r, emit) emits).
template <class Out = void, class F>
constexpr auto flat_map(F f) {
  return flat_map_stage<F, Out>{{}, std::move(f)};
}

}  // namespace spate
