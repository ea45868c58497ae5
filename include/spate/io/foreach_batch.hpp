#pragma once
// foreach_batch(f): Spark's foreachRDD. The end of a pipeline that calls
// f(records, batch) once per micro-batch, with all of the batch's records,
// in batch order, empty batches included (as Spark calls foreachRDD):
//   records  const std::vector<R>&, R the record type (owned: a string_view
//            arrives as std::string); valid during the call
//   batch    spate::batch_info: its time (Spark's `Time: ... ms`, the end of
//            its interval) and its number (0, 1, 2, ...)
// f may also take only the records.
//   ctx.add(src | spate::map(parse) | spate::foreach_batch([&](const auto& rs, spate::batch_info b) {
//     db.insert(b.time, rs);   // one round trip per batch, not per record
//   }));
// Under a parallel context the sink runs once, on the sink thread, behind
// every worker: f is called from one thread, and a batch reaches it only
// when every worker has delivered it (the valve aligns batch ends), so it is
// whole; records within a batch come in no particular order across workers.
// It needs batches: under run(job) or a continuous context it is an error
// at start (algebra/batch_records.hpp), naming the stage.
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/batch_records.hpp"
#include "../algebra/stage.hpp"

namespace spate {

template <class F>
struct foreach_batch_sink : sink_tag {
  F fn;
  static constexpr const char* name = "foreach_batch";

  template <class T>
  using records_t = std::vector<exec::owned_t<T>>;
  template <class T>
  static constexpr bool takes_batch = stage_invocable<F, const records_t<T>&, const batch_info&>;
  template <class T>
  static constexpr bool takes_records = stage_invocable<F, const records_t<T>&>;

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (takes_batch<T> || takes_records<T>) {
      return true;
    } else {
      // READ THIS IF YOUR COMPILE BREAKS HERE: f takes the batch's records
      // (const std::vector<R>&) and, optionally, the spate::batch_info.
      (void)&diagnostic::report<diagnostic::sink_cannot_accept_input<"foreach_batch", T, F>>;
      return false;
    }
  }

  template <class T>
  struct built : sink_control {
    F fn;
    stage_label label;
    detail::batch_records<T> batch{};

    template <class R>
    bool push(R&& r) {
      batch.add(std::forward<R>(r));
      return true;
    }
    void call(const batch_info& b) {
      if constexpr (takes_batch<T>)
        detail::call_user(label, fn, std::as_const(batch.records), b);
      else
        detail::call_user(label, fn, std::as_const(batch.records));
      batch.records.clear();
    }
    void on_batch_end(const batch_info& b) {
      batch.seen(b);
      call(b);
    }
    void on_end() {
      if (!batch.records.empty()) call(batch.after_last());
    }
    void on_barrier(checkpoint_id) {
      if constexpr (!detail::batch_records<T>::encodable) batch.check_barrier(label);
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
  template <class Flow, class Env>
  auto build(Env&, stage_label label) const {
    detail::require_batches<Env>(label);
    return built<typename Flow::value_type>{{}, fn, label};
  }
};

/// Calls f(records, batch) once per micro-batch (Spark's foreachRDD).
template <class F>
auto foreach_batch(F f) {
  return foreach_batch_sink<F>{{}, std::move(f)};
}

}  // namespace spate
