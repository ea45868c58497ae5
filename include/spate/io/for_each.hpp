#pragma once
// for_each(f): calls f(record) for each record; the end of the pipeline.
// Under a parallel context f is called from one sink thread (f need not be
// thread-safe). for_each(f).per_worker() instead runs one copy of f in each
// of the last P workers, with no queue in front of it: each copy is called
// from one thread, but copies that share state (a captured reference) must
// synchronize it themselves.
#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include "../algebra/stage.hpp"

namespace spate {

template <class F, bool PerWorker = false>
struct for_each_sink : sink_tag {
  F fn;
  static constexpr const char* name = "for_each";
  /// One copy of f per worker (see the top of this file).
  static constexpr bool per_worker_instances = PerWorker;
  for_each_sink<F, true> per_worker() const { return {{}, fn}; }

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (std::invocable<F&, const T&>) {
      return true;
    } else {
      (void)&diagnostic::report<diagnostic::sink_cannot_accept_input<"for_each", T, F>>;
      return false;
    }
  }
  struct built : sink_control {
    F fn;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      detail::call_user(label, fn, std::forward<R>(r));
      return true;
    }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label label) const {
    return built{{}, fn, label};
  }
};

/// Calls f for each record.
template <class F>
auto for_each(F f) {
  return for_each_sink<F>{{}, std::move(f)};
}

}  // namespace spate
