#pragma once
// Fused building: a descriptor list plus a sink becomes nested stage objects,
// each holding the next by value, so one push() call inlines through the
// whole segment into the loop a person would write.
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../algebra/pipeline.hpp"
#include "../exec/stage_metrics.hpp"
#include "../state/chain_snapshot.hpp"

namespace spate::fuse {

/// A built stage that also counts the records it takes (exec/stage_metrics.hpp):
/// it *is* the stage (derived from it: its `down`, state and functions are
/// where chain walkers look), with push counted and the count published
/// into its cell at control calls. Without a cell (no context, nothing to
/// report to) it still counts, into a register, and publishes nothing.
template <class Built>
struct metered : Built {
  std::uint32_t records_in_ = 0;
  exec::stage_cell* cell_ = nullptr;

  template <class R>
    requires requires(Built& b, R&& r) { b.push(std::forward<R>(r)); }
  [[gnu::always_inline]] decltype(auto) push(R&& r) {
    ++records_in_;
    return Built::push(std::forward<R>(r));
  }
  template <class K, class R>
    requires requires(Built& b, const K& k, R&& r) { b.push_keyed(k, std::forward<R>(r)); }
  [[gnu::always_inline]] decltype(auto) push_keyed(const K& k, R&& r) {
    ++records_in_;
    return Built::push_keyed(k, std::forward<R>(r));
  }
  void publish() const noexcept {
    if (!cell_) return;
    cell_->publish(records_in_);
    if constexpr (counts_state_keys<Built>)
      cell_->keys.store(state_keys(static_cast<const Built&>(*this)), std::memory_order_relaxed);
  }
  void on_watermark(event_time t) {
    if (cell_) {
      publish();
      cell_->watermark_ms.store(to_millis(t), std::memory_order_relaxed);
    }
    Built::on_watermark(t);
  }
  void on_tick(event_time now) {
    publish();
    Built::on_tick(now);
  }
  void on_batch_end(const batch_info& b) {
    publish();
    Built::on_batch_end(b);
  }
  void on_barrier(checkpoint_id id) {
    publish();
    Built::on_barrier(id);
  }
  void on_end() {
    publish();
    Built::on_end();
  }
};

namespace detail {
template <class Built>
metered<Built> meter(Built&& b, exec::metering_scope* scope, std::size_t position) {
  metered<Built> m{std::move(b)};
  if (scope) {
    m.cell_ = scope->stages->join(scope->job, position);
    if constexpr (spate::keeps_state<Built>()) m.cell_->keeps_state.store(true, std::memory_order_relaxed);
  }
  return m;
}

template <class Flow, std::size_t I, class Env, class Tuple, class Sink>
auto build_layers(Env& env, const Tuple& stages, const Sink& sink, std::size_t first_position,
                  exec::metering_scope* scope) {
  if constexpr (I == std::tuple_size_v<Tuple>) {
    using Built = decltype(sink.template build<Flow>(env, stage_label{}));
    static_assert(protocol::check<Sink, Flow, Built>(), "spate: see the message above");
    return meter(sink.template build<Flow>(env, stage_label{Sink::name, first_position + I}), scope,
                 first_position + I);
  } else {
    using D = std::tuple_element_t<I, Tuple>;
    using Out = typename D::template output<Flow>;
    const D& d = std::get<I>(stages);
    auto rest = build_layers<Out, I + 1>(env, stages, sink, first_position, scope);
    using Built = decltype(d.template build<Flow>(env, stage_label{}, std::move(rest)));
    static_assert(protocol::check<D, Flow, Built>(), "spate: see the message above");
    return meter(d.template build<Flow>(env, stage_label{D::name, first_position + I}, std::move(rest)), scope,
                 first_position + I);
  }
}
}  // namespace detail

/// Builds stages [I, end) of `stages` (whose input is Flow) in front of `sink`.
/// `first_position` is the position of stage I in the whole pipeline.
/// Every built stage and sink is held to the whole protocol here
/// (protocol::check in algebra/stage.hpp), and counts what it takes; the
/// counts reach the thread's metering scope when it has one, and only for
/// the segment's own chain (not the chains a stage builds inside, such as a
/// merge's inputs or a fan_out's branches).
template <class Flow, std::size_t I = 0, class Env, class Tuple, class Sink>
auto build_segment(Env& env, const Tuple& stages, const Sink& sink, std::size_t first_position = 1) {
  auto& scope = exec::current_metering();
  exec::metering_scope* report = scope.stages && !scope.building ? &scope : nullptr;
  struct building_guard {
    exec::metering_scope& s;
    bool was;
    ~building_guard() { s.building = was; }
  } guard{scope, scope.building};
  scope.building = true;
  return detail::build_layers<Flow, I>(env, stages, sink, first_position, report);
}

/// The fused chain of a whole job: stages and sink, ready for the source.
template <class Env, class Src, class Sink, class... Ds>
auto build(Env& env, const job<Src, Sink, Ds...>& j) {
  return build_segment<flow<typename Src::value_type>>(env, j.stages, j.sink);
}

}  // namespace spate::fuse
