#pragma once
// filter(p): keeps the records for which p(r) is true.
//   from_elements(1, 2, 3, 4) | filter([](int x) { return x % 2 == 0; })   // 2 4
#include <concepts>
#include <functional>
#include <type_traits>

#include "stage.hpp"

namespace spate {

template <class P>
struct filter_stage : stage_tag {
  P pred;
  static constexpr const char* name = "filter";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!std::invocable<const P&, const T&>) {
      (void)diagnostic::stage_cannot_accept_input<"filter", T, P>{};
      return false;
    } else if constexpr (!std::convertible_to<std::invoke_result_t<const P&, const T&>, bool>) {
      (void)diagnostic::stage_bad_result<"filter", T, std::invoke_result_t<const P&, const T&>>{};
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<typename Flow::value_type>;

  template <class Down>
  struct built : forward_control<Down> {
    P pred;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      if (detail::call_user(label, pred, std::as_const(r))) return this->down.push(std::forward<R>(r));
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, pred, label};
  }
};

struct filter_fn {
  template <class P>
  constexpr auto operator()(P p) const {
    return filter_stage<P>{{}, std::move(p)};
  }
};
/// Keeps the records that satisfy p.
inline constexpr filter_fn filter{};

}  // namespace spate
