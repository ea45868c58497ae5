#pragma once
// Running a job on the calling thread, to the end of its input.
//   run(job)            record at a time (continuous semantics): keyed
//                       aggregations emit every update
//   run_batch(job)      the bounded input as one batch (Flink's batch mode,
//                       one Spark micro-batch): keyed aggregations emit the
//                       final value per key once, at the end
//   run(job, progress_line{...}), run_batch(job, progress_line{...})
//                       the same, with the progress line as asked (by
//                       default: on stderr when it is a terminal and the
//                       source is a file, whose size says how far it is)
//   run_unfused(job), run_batch_unfused(job)
//                       the same through virtual calls between stages, for
//                       comparison (fused == unfused is a law the tests check)
// Exceptions from user code leave as spate::stage_error naming the stage.
#include "../algebra/pipeline.hpp"
#include "../algebra/rich.hpp"
#include "../fuse/build.hpp"
#include "../fuse/unfused.hpp"
#include "../io/source.hpp"
#include "progress.hpp"

namespace spate {

namespace detail {
// In batch mode the end of input is also the end of the one batch.
template <class Head>
struct whole_input_batch {
  Head* head;
  template <class R>
  bool push(R&& r) {
    return head->push(std::forward<R>(r));
  }
  void on_watermark(event_time t) { head->on_watermark(t); }
  void on_barrier(checkpoint_id id) { head->on_barrier(id); }
  void on_batch_end(const batch_info& b) { head->on_batch_end(b); }
  void on_tick(event_time now) { head->on_tick(now); }
  void on_idle(bool idle) { head->on_idle(idle); }
  void on_end() {
    auto now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
    head->on_batch_end(batch_info{now, 0});
    head->on_end();
  }
};

// A sized driver (a file's) is polled in chunks when the progress line may
// show; what it read goes to a registry of its own that the line reads (the
// other sources, and every source when no line can show, drain in one loop).
template <class Drv>
void drain_showing_progress(Drv& d, const progress_line& shown) {
  exec::stage_registry reg;
  exec::stage_cell* cell = reg.join(0, 0);
  exec::progress_reporter line(reg, shown, true);
  const auto first = static_cast<std::uint64_t>(d.lines.offset());
  std::uint64_t records = 0;
  try {
    for (;;) {
      const poll_result r = d.poll(std::size_t(1) << 16);
      records += r.records;
      cell->in.store(records, std::memory_order_relaxed);
      cell->publish_read(first, static_cast<std::uint64_t>(d.lines.offset()), static_cast<std::uint64_t>(d.size_at_open));
      if (r.finished()) break;
    }
  } catch (...) {
    line.abandon();  // the line as it stood, not a finished one
    throw;
  }
  line.finish();
}
template <class Env, class J, class Head>
void drive(Env& env, const J& j, Head& head, const progress_line& shown) {
  auto go = [&](auto& target) {
    auto d = j.source.open(env, shard{}, target);
    if constexpr (sized_driver<decltype(d)>)
      if (exec::progress_may_show(shown)) return drain_showing_progress(d, shown);
    d.drain();
  };
  if constexpr (Env::mode == emit_mode::compacted) {
    whole_input_batch<Head> batch{&head};
    go(batch);
  } else {
    go(head);
  }
}
template <class Env, class J>
void run_fused(const J& j, const progress_line& shown = {}) {
  Env env;
  auto head = fuse::build(env, j);
  counter_registry counters;
  // Rich functions see one instance of job 0; identities as a context gives them.
  function_scope functions{head, [&](std::size_t depth, stage_label where) {
    std::string uid;
    if (depth < J::stage_count) uid = !j.pins.stage(depth).empty() ? j.pins.stage(depth)
                                      : "j0." + std::to_string(depth + 1) + ":" + std::string(where.name);
    else uid = !j.pins.sink.empty() ? j.pins.sink : "j0.sink:" + std::string(where.name);
    return runtime_context{0, 1, 0, where, std::move(uid), &counters};
  }};
  drive(env, j, head, shown);
  functions.close();
}
template <class Env, class J>
void run_virtual(const J& j) {
  Env env;
  auto chain = fuse::build_unfused(env, j);
  using Flow = flow<typename std::remove_cvref_t<J>::source_type::value_type>;
  fuse::node_ref<Flow> head{chain.get()};
  drive(env, j, head, progress_line{.show = progress_line::when::never});
}
}  // namespace detail

template <Job J>
void run(const J& j) { detail::run_fused<rolling_env>(j); }
template <Job J>
void run_batch(const J& j) { detail::run_fused<compacted_env>(j); }
template <Job J>
void run(const J& j, const progress_line& shown) { detail::run_fused<rolling_env>(j, shown); }
template <Job J>
void run_batch(const J& j, const progress_line& shown) { detail::run_fused<compacted_env>(j, shown); }
template <Job J>
void run_unfused(const J& j) { detail::run_virtual<rolling_env>(j); }
template <Job J>
void run_batch_unfused(const J& j) { detail::run_virtual<compacted_env>(j); }

// A pipeline that failed its compile-time check already produced the one
// message; these keep the compiler quiet after it.
inline void run(error_pipeline) {}
inline void run_batch(error_pipeline) {}
inline void run_unfused(error_pipeline) {}
inline void run_batch_unfused(error_pipeline) {}

}  // namespace spate
