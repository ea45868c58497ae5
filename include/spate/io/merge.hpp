#pragma once
// merge(a, b, ...): one stream of the records of several streams of the same
// type (Flink's union, Spark's DStream.union). Each input is a source or a
// pipeline (a source with stages); all must carry the same record type.
//   auto both = merge(from_collection(xs), text_file(p) | map(parse));
//   both | key_by(...) | ... | sink
// Inputs are read in turns of at most `turn(n)` records each (default
// merge_turn_records, 64), round-robin, also when they are bounded: a
// collection is not drained before the next input is read, so none starves
// and the merged stream interleaves them (no order between inputs is
// promised beyond that). A stream whose watermarks are assigned after the
// merge sees records of one input up to a turn behind the others'; assign
// them per input, before the merge, for the minimum below. Where the inputs
// meet:
//  - the watermark is the minimum over the inputs (an ended input no longer
//    holds it back, nor does an idle one: see with_idleness in
//    time/watermark.hpp), forwarded only when it advances; when every input
//    has ended it is max_watermark, as in Flink, so every window downstream
//    fires;
//  - batch ends and barriers are aligned: forwarded once all inputs passed
//    them (an input ahead is not read until then);
//  - on_end is forwarded when the last input ended;
//  - a stop from downstream stops every input.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../algebra/pipeline.hpp"
#include "../core/valve.hpp"
#include "../fuse/build.hpp"
#include "source.hpp"

namespace spate {

namespace detail {
// An input given to merge as a plain source is a pipeline without stages.
template <class I>
auto as_pipeline(I&& in) {
  if constexpr (is_pipeline_v<std::remove_cvref_t<I>>)
    return std::forward<I>(in);
  else
    return pipeline<std::remove_cvref_t<I>>{std::forward<I>(in), {}};
}

// What the inputs share where they meet: their control facts meet in a valve
// (core/valve.hpp), which forwards the combined ones to the head.
template <std::size_t N, class Head>
struct union_state {
  Head* head;
  valve v{N};
  bool stopped = false;
};

// The end of input I's chain: records go on to the shared head.
template <std::size_t I, std::size_t N, class Head>
struct union_port {
  union_state<N, Head>* st;
  template <class R>
  bool push(R&& r) {
    if (st->stopped) return false;
    if (!st->head->push(std::forward<R>(r))) st->stopped = true;
    return !st->stopped;
  }
  void on_watermark(event_time t) { st->v.watermark(I, t, *st->head); }
  void on_batch_end(const batch_info& b) { st->v.batch_end(I, b, *st->head); }
  void on_barrier(checkpoint_id id) { st->v.barrier(I, id, *st->head); }
  void on_tick(event_time) {}  // ticks reach the head once, from the merge driver
  void on_idle(bool idle) { st->v.idle(I, idle, *st->head); }
  void on_end() {
    if (st->v.end(I, *st->head)) st->head->on_end();
  }
};
}  // namespace detail

// The sink descriptor that ends input I's chain in its union_port.
template <std::size_t I, std::size_t N, class Head>
struct union_port_sink {
  detail::union_state<N, Head>* st;
  static constexpr const char* name = "merge";
  template <class Flow, class Env>
  detail::union_port<I, N, Head> build(Env&, stage_label) const {
    return {st};
  }
};

/// How many records merge reads from one input before it turns to the next,
/// unless merge(...).turn(n) says otherwise.
inline constexpr std::size_t merge_turn_records = 64;

template <class State, class Chains, class Drivers>
struct merge_driver {
  static constexpr std::size_t N = std::tuple_size_v<Drivers>;
  std::unique_ptr<State> st;
  std::unique_ptr<Chains> chains;  // pinned: the drivers point into it
  Drivers drivers;
  std::size_t turn_records = merge_turn_records;
  std::array<bool, N> finished{};
  std::size_t first = 0;  // the input that opens the next call's round

  // Rounds over the inputs until `max` records are read or none has more
  // now; each round gives every input a turn of at most turn_records (less
  // when max is small, so that every input still gets one). A bounded input
  // thus interleaves with the others instead of being drained first.
  poll_result poll(std::size_t max) {
    std::size_t total = 0;
    std::chrono::nanoseconds waited{0};
    std::array<bool, N> quiet{};  // nothing right now: not asked again in this call
    const std::size_t start = first;
    first = (first + 1) % N;
    for (;;) {
      std::size_t active = 0;
      for (std::size_t i = 0; i < N; ++i) active += !finished[i] && !quiet[i];
      if (active == 0 || total >= max || st->stopped) break;
      const std::size_t share = std::clamp<std::size_t>((max - total) / active, 1, std::max<std::size_t>(turn_records, 1));
      std::size_t round = 0;
      for (std::size_t k = 0; k < N && total < max && !st->stopped; ++k) {
        const std::size_t i = (start + k) % N;
        if (finished[i] || quiet[i]) continue;
        if (st->v.blocked(i)) {  // ahead of the others at a batch end or barrier
          quiet[i] = true;
          continue;
        }
        poll_result r = poll_one(i, std::min(share, max - total));
        // Not work: what each input waited, also one that brought nothing
        // (another input's records make this poll count).
        waited += r.waited;
        total += r.records;
        round += r.records;
        if (r.finished()) finished[i] = true;
        else if (r.status != poll_status::more) quiet[i] = true;
      }
      if (round == 0) break;  // inputs that say "more" but give nothing: let the caller come back
    }
    if (st->stopped) cancel();
    if (std::all_of(finished.begin(), finished.end(), [](bool f) { return f; }))
      return {total, st->stopped ? poll_status::stopped : poll_status::ended, waited};
    bool any_more = false;
    for (std::size_t i = 0; i < N; ++i) any_more = any_more || (!finished[i] && !quiet[i]);
    return {total, any_more ? poll_status::more : poll_status::idle, waited};
  }
  bool drain() {
    for (;;) {
      poll_result r = poll(std::size_t(1) << 16);
      if (r.finished()) return r.status == poll_status::ended;
    }
  }
  void cancel() {
    for_each_driver([&](std::size_t i, auto& d) {
      if (!finished[i]) {
        d.cancel();
        finished[i] = true;
      }
    });
  }
  // Control from the executor goes through every input's chain and is
  // aligned at the ports; ticks reach the head once.
  void on_batch_end(const batch_info& b) {
    for_each_driver([&](std::size_t, auto& d) { d.on_batch_end(b); });
  }
  void on_barrier(checkpoint_id id) {
    for_each_driver([&](std::size_t, auto& d) { d.on_barrier(id); });
  }
  void on_tick(event_time now) {
    for_each_driver([&](std::size_t, auto& d) { d.on_tick(now); });
    st->head->on_tick(now);
  }

 private:
  template <class F>
  void for_each_driver(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (f(I, std::get<I>(drivers)), ...); }(std::make_index_sequence<N>{});
  }
  poll_result poll_one(std::size_t i, std::size_t max) {
    poll_result out{};
    for_each_driver([&](std::size_t j, auto& d) {
      if (j == i) out = d.poll(max);
    });
    return out;
  }
};

template <class... Ps>
struct merge_source : source_tag {
  static constexpr std::size_t N = sizeof...(Ps);
  std::tuple<Ps...> inputs;
  std::size_t turn_records = merge_turn_records;
  static constexpr const char* name = "merge";
  using value_type = typename std::tuple_element_t<0, std::tuple<Ps...>>::value_type;

  /// Reads at most n records (at least 1) of an input before turning to the next.
  merge_source turn(std::size_t n) const {
    auto c = *this;
    c.turn_records = n == 0 ? 1 : n;
    return c;
  }

  template <class Env, class Head>
  auto open(Env& env, shard sh, Head& head) const {
    return open_impl(env, sh, head, std::index_sequence_for<Ps...>{});
  }

 private:
  template <class Env, class Head, std::size_t... I>
  auto open_impl(Env& env, shard sh, Head& head, std::index_sequence<I...>) const {
    using State = detail::union_state<N, Head>;
    auto st = std::make_unique<State>();
    st->head = &head;
    auto make_chains = [&] {
      return std::tuple{fuse::build_segment<detail::source_flow<typename Ps::source_type>>(
          env, std::get<I>(inputs).stages, union_port_sink<I, N, Head>{st.get()})...};
    };
    using Chains = decltype(make_chains());
    auto chains = std::make_unique<Chains>(make_chains());
    auto drivers = std::tuple{std::get<I>(inputs).source.open(env, sh, std::get<I>(*chains))...};
    return merge_driver<State, Chains, decltype(drivers)>{std::move(st), std::move(chains), std::move(drivers),
                                                          turn_records};
  }
};

/// One stream of the records of all inputs (sources or pipelines of one type).
template <class First, class... Rest>
auto merge(First&& first, Rest&&... rest) {
  using T = typename decltype(detail::as_pipeline(std::forward<First>(first)))::value_type;
  if constexpr ((std::is_same_v<T, typename decltype(detail::as_pipeline(std::forward<Rest>(rest)))::value_type> && ...)) {
    return merge_source<decltype(detail::as_pipeline(std::forward<First>(first))),
                        decltype(detail::as_pipeline(std::forward<Rest>(rest)))...>{
        {}, {detail::as_pipeline(std::forward<First>(first)), detail::as_pipeline(std::forward<Rest>(rest))...}};
  } else {
    (void)&diagnostic::report<diagnostic::merged_streams_differ<
        T, std::tuple<typename decltype(detail::as_pipeline(std::forward<Rest>(rest)))::value_type...>>>;
    return error_pipeline{};
  }
}
/// Flink's name for merge.
template <class... Ins>
auto union_(Ins&&... ins) {
  return merge(std::forward<Ins>(ins)...);
}

}  // namespace spate
