#pragma once
// map(f): each record r becomes f(r).
//   from_elements(1, 2, 3) | map([](int x) { return x * 10; })   // 10 20 30
#include <concepts>
#include <functional>
#include <type_traits>

#include "stage.hpp"

namespace spate {

template <class F>
struct map_stage : stage_tag {
  F fn;
  static constexpr const char* name = "map";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!stage_invocable<F, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"map", T, F>>;
      return false;
    } else if constexpr (std::is_void_v<stage_result_t<F, const T&>>) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"map", T, void>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::remove_cvref_t<stage_result_t<F, const typename Flow::value_type&>>>;

  template <class Down>
  struct built : forward_control<Down> {
    F fn;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      return this->down.push(detail::call_user(label, fn, std::forward<R>(r)));
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

struct map_fn {
  template <class F>
  constexpr auto operator()(F f) const {
    return map_stage<F>{{}, std::move(f)};
  }
};
/// Transforms each record with f.
inline constexpr map_fn map{};

}  // namespace spate
