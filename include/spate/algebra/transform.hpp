#pragma once
// transform(f): Spark's DStream.transform. Once per micro-batch, f gets the
// batch's records and returns the records that go on, e.g. to sort, dedupe,
// or join with a table:
//   f(std::vector<R>& records[, spate::batch_info batch]) -> a range of U
//   ... | spate::transform([](std::vector<Click>& cs) {
//           std::ranges::sort(cs, {}, &Click::user);
//           return std::move(cs);
//         }) | ...
// `records` is the stage's own buffer (R owned: a string_view arrives as
// std::string): f may change it, return it, or return a view of it (it lives
// until the results are sent, then it is cleared). f runs for every batch,
// empty ones included, and its results go downstream before the batch end.
// A returned container is moved from; a view or a reference is copied from.
//
// Parallel: each worker runs its own transform on its share of the batch
// (Spark's mapPartitions, not a whole-RDD operation): after key_by, every
// record of the keys the worker owns, so per-key work (dedupe per key, a
// join on the key) gives what one worker gives; an order across keys (a
// global sort, a top-k over every key) does not, there use foreach_batch,
// which sees the whole batch.
// It needs batches: under run(job) or a continuous context it is an error
// at start (batch_records.hpp), naming the stage.
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "batch_records.hpp"
#include "stage.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: transform's function returns what
// goes on from the batch: a range (a std::vector, or a view of the records
// it was given), not a single record or void.
template <fixed_string Stage, class Input, class Result>
struct stage_must_return_range {
  static_assert(always_false<Result>,
                "spate: the stage's function must return a range of records (a container or a view), "
                "see the stage, its input and the returned type in the 'In instantiation of' line");
};
}  // namespace diagnostic

template <class F>
struct transform_stage : stage_tag {
  F fn;
  static constexpr const char* name = "transform";

  template <class T>
  using records_t = std::vector<exec::owned_t<T>>;
  template <class T>
  static constexpr bool takes_batch = stage_invocable<F, records_t<T>&, const batch_info&>;
  template <class T>
  static constexpr bool takes_records = stage_invocable<F, records_t<T>&>;
  template <class T, bool = takes_batch<T>, bool = takes_records<T>>
  struct result_s {
    using type = void;  // f takes neither: check() says so
  };
  template <class T, bool B>
  struct result_s<T, true, B> {
    using type = stage_result_t<F, records_t<T>&, const batch_info&>;
  };
  template <class T>
  struct result_s<T, false, true> {
    using type = stage_result_t<F, records_t<T>&>;
  };
  template <class T>
  using result_t = typename result_s<T>::type;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!takes_batch<T> && !takes_records<T>) {
      // f takes the batch's records as std::vector<R>& (or const&), and
      // optionally the spate::batch_info.
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"transform", T, F>>;
      return false;
    } else if constexpr (!std::ranges::input_range<result_t<T>>) {
      (void)&diagnostic::report<diagnostic::stage_must_return_range<"transform", T, result_t<T>>>;
      return false;
    } else {
      return true;
    }
  }
  template <class Flow>
  using output = flow<std::remove_cvref_t<std::ranges::range_reference_t<result_t<typename Flow::value_type>>>>;

  template <class T, class Down>
  struct built : forward_control<Down> {
    F fn;
    stage_label label;
    detail::batch_records<T> batch{};
    bool stopped = false;  // downstream asked to stop

    template <class R>
    bool push(R&& r) {
      batch.add(std::forward<R>(r));
      return !stopped;
    }
    void run(const batch_info& b) {
      decltype(auto) out = [&]() -> decltype(auto) {
        if constexpr (takes_batch<T>)
          return detail::call_user(label, fn, batch.records, b);
        else
          return detail::call_user(label, fn, batch.records);
      }();
      using Out = decltype(out);
      // Only a container the call returned by value is ours to move from.
      constexpr bool owning = !std::is_reference_v<Out> && !std::ranges::view<std::remove_cvref_t<Out>>;
      for (auto&& x : out) {
        if (stopped) break;
        if constexpr (owning)
          stopped = !this->down.push(std::move(x));
        else
          stopped = !this->down.push(std::as_const(x));
      }
      batch.records.clear();
    }
    void on_batch_end(const batch_info& b) {
      batch.seen(b);
      run(b);
      this->down.on_batch_end(b);
    }
    void on_end() {
      if (!batch.records.empty()) run(batch.after_last());
      this->down.on_end();
    }
    void on_barrier(checkpoint_id id) {
      if constexpr (!detail::batch_records<T>::encodable) batch.check_barrier(label);
      this->down.on_barrier(id);
    }
    static constexpr bool keeps_state = detail::batch_records<T>::encodable;
    void snapshot(std::string& out) const
      requires detail::batch_records<T>::encodable
    {
      batch.snapshot(out);
    }
    bool restore(std::string_view in)
      requires detail::batch_records<T>::encodable
    {
      return batch.restore(in);
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    detail::require_batches<Env>(label);
    return built<typename Flow::value_type, std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, label};
  }
};

/// Once per micro-batch, the records f(batch's records) returns (Spark's transform).
template <class F>
constexpr auto transform(F f) {
  return transform_stage<F>{{}, std::move(f)};
}

}  // namespace spate
