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
    if constexpr (!stage_invocable<P, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"filter", T, P>>;
      return false;
    } else if constexpr (!std::convertible_to<stage_result_t<P, const T&>, bool>) {
      (void)&diagnostic::report<diagnostic::stage_bad_result<"filter", T, stage_result_t<P, const T&>>>;
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
      // The verdict travels as an int from a wrapper that calls pred
      // directly. call_user reaches the function through std::invoke, which
      // GCC 12 inlines late; a bool returned by a late-inlined call becomes a
      // 1-bit value its vectorizer rejects. Called directly, pred is inlined
      // early and the test stays a comparison, so map | filter | sum
      // vectorizes where the hand-written loop does (docs/fusion.md).
      auto verdict = [this](const auto& x) -> int {
        if constexpr (std::is_member_pointer_v<P>)
          return static_cast<bool>(std::invoke(pred, x));
        else
          return static_cast<bool>(pred(x));
      };
      const int keep = detail::call_user(label, verdict, std::as_const(r));
      if (keep != 0) return this->down.push(std::forward<R>(r));
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
