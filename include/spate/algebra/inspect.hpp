#pragma once
// inspect(f): calls f(r) for each record and passes r on unchanged (a tap, for
// logging or metrics).
#include <concepts>
#include <functional>
#include <type_traits>

#include "stage.hpp"

namespace spate {

template <class F>
struct inspect_stage : stage_tag {
  F fn;
  static constexpr const char* name = "inspect";

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!stage_invocable<F, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"inspect", T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = Flow;  // a tap keeps the stream as it is, keyed or not

  template <class Down>
  struct built : forward_control<Down> {
    F fn;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      detail::call_user(label, fn, std::as_const(r));
      return this->down.push(std::forward<R>(r));
    }
    template <class K, class R>
    bool push_keyed(const K& k, R&& r) {
      detail::call_user(label, fn, std::as_const(r));
      return push_to(this->down, &k, std::forward<R>(r));
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

struct inspect_fn {
  template <class F>
  constexpr auto operator()(F f) const {
    return inspect_stage<F>{{}, std::move(f)};
  }
};
/// Observes each record without changing the stream.
inline constexpr inspect_fn inspect{};

}  // namespace spate
