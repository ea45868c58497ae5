#pragma once
// The laws every stage is held to, as reusable checks (Hana's test/_include/
// laws/ in spirit): a new stage's test instantiates them in a line or two.
//   fused == unfused                 fused_equals_unfused<Out>(make)
//   parallel == sequential           parallel_equals_sequential<Out>(make, normalize)
//   restore(snapshot(s)) == s        restore_equals_uninterrupted<Out, Env>(make, events, cut)
//   rescaled restore == one chain    rescale_equals_uninterrupted<Out>(make, events, cut, key_of, P, P')
// `make(out)` builds the job writing into `out` (collect_into(out) and the
// like); `Out` is the container it fills.
#include <catch2/catch.hpp>

#include <spate/exec.hpp>
#include <spate/fuse/build.hpp>
#include <spate/spate.hpp>
#include <spate/state/chain_snapshot.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace spate_laws {

/// run == run_unfused and run_batch == run_batch_unfused.
template <class Out, class Make>
void fused_equals_unfused(const Make& make) {
  Out fused, unfused;
  spate::run(make(fused));
  spate::run_unfused(make(unfused));
  CHECK(fused == unfused);
  Out fused_batch, unfused_batch;
  spate::run_batch(make(fused_batch));
  spate::run_batch_unfused(make(unfused_batch));
  CHECK(fused_batch == unfused_batch);
}

/// A context at each P (continuous and micro-batch) gives what spate::run
/// gives, once `normalize` (e.g. sort, or keep the last value per key) has
/// taken out the order the threads chose.
template <class Out, class Make, class Normalize>
void parallel_equals_sequential(const Make& make, const Normalize& normalize,
                                std::initializer_list<std::size_t> parallelism = {2, 3}) {
  using namespace std::chrono_literals;
  Out sequential;
  spate::run(make(sequential));
  const auto expected = normalize(sequential);
  for (std::size_t p : parallelism)
    for (bool batched : {false, true}) {
      INFO("parallelism " << p << (batched ? ", micro-batch" : ", continuous"));
      Out out;
      auto ctx = batched ? std::make_unique<spate::context>(spate::micro_batch{20ms}, spate::parallelism{p})
                         : std::make_unique<spate::context>(spate::continuous{}, spate::parallelism{p});
      ctx->add(make(out));
      ctx->start();
      ctx->await_termination();
      CHECK(normalize(out) == expected);
    }
}

/// What drives a chain in the restore law: a record, a watermark, or a batch end.
struct batch_end {};
template <class T>
using event = std::variant<T, spate::event_time, batch_end>;

namespace detail {
template <class Chain, class T>
void feed(Chain& c, const std::vector<event<T>>& events, std::size_t from, std::size_t to, std::uint64_t& batches) {
  for (std::size_t i = from; i < to; ++i) {
    const auto& e = events[i];
    if (const T* r = std::get_if<0>(&e))
      c.push(*r);
    else if (const auto* w = std::get_if<1>(&e))
      c.on_watermark(*w);
    else
      c.on_batch_end(spate::batch_info{spate::from_millis(static_cast<std::int64_t>(batches) * 1000), batches}), ++batches;
  }
}
}  // namespace detail

namespace detail {
/// What one chain given every event (then the end) writes.
template <class Out, class Env, class Make, class T>
Out uninterrupted(Env& env, const Make& make, const std::vector<event<T>>& events) {
  Out whole;
  auto c = spate::fuse::build(env, make(whole));
  std::uint64_t batches = 0;
  feed(c, events, 0, events.size(), batches);
  c.on_end();
  return whole;
}
}  // namespace detail

struct as_is {
  template <class Out>
  const Out& operator()(const Out& o) const {
    return o;
  }
};

/// A chain snapshotted after events[0, cut) and restored into a chain built
/// anew, which takes events[cut, n), gives what one chain given all of them
/// gives: restore(snapshot(s)) == s, observed where it matters, in the output
/// (after `normalize`, for outputs whose order across keys is free).
template <class Out, class Env = spate::rolling_env, class Make, class T, class Normalize = as_is>
void restore_equals_uninterrupted(const Make& make, const std::vector<event<T>>& events, std::size_t cut,
                                  const Normalize& normalize = {}) {
  INFO("cut after " << cut << " of " << events.size() << " events");
  Env env;
  Out whole = detail::uninterrupted<Out>(env, make, events);
  Out resumed;
  {
    auto a = spate::fuse::build(env, make(resumed));
    REQUIRE(spate::stateful_stages(a) > 0);  // a law about state needs a stage that has some
    std::uint64_t batches = 0;
    detail::feed(a, events, 0, cut, batches);
    const spate::chain_snapshot snap = spate::snapshot_chain(a);
    auto b = spate::fuse::build(env, make(resumed));
    REQUIRE(spate::restore_chain(b, snap));
    detail::feed(b, events, cut, events.size(), batches);
    b.on_end();
  }
  CHECK(normalize(resumed) == normalize(whole));
}

/// Keyed state moves to another parallelism: P chains (each fed the records
/// of the keys of its key groups, and every watermark and batch end)
/// snapshotted after events[0, cut), restored into P' chains built anew
/// (each keeps the keys of its key groups from every old snapshot,
/// restore_rescaled) that take events[cut, n), give together what one chain
/// given all of them gives (after `normalize`).
template <class Out, class Env = spate::rolling_env, class Make, class T, class KeyOf, class Normalize = as_is>
void rescale_equals_uninterrupted(const Make& make, const std::vector<event<T>>& events, std::size_t cut,
                                  const KeyOf& key_of, std::size_t from, std::size_t to,
                                  const Normalize& normalize = {}) {
  INFO("cut after " << cut << " of " << events.size() << " events, parallelism " << from << " -> " << to);
  Env env;
  Out whole = detail::uninterrupted<Out>(env, make, events);
  const spate::key_groups kg;
  using chain_t = decltype(spate::fuse::build(env, make(whole)));
  // Chains in a deque: built in place, never moved or copied again (some
  // stages, such as async_map's, hold requests in flight and are move-only).
  auto feed = [&](std::deque<chain_t>& cs, std::size_t lo, std::size_t hi, std::uint64_t& batches) {
    for (std::size_t i = lo; i < hi; ++i) {
      const auto& e = events[i];
      if (const T* r = std::get_if<0>(&e)) {
        cs[kg.worker_of(key_of(*r), cs.size())].push(*r);
      } else if (const auto* w = std::get_if<1>(&e)) {
        for (auto& c : cs) c.on_watermark(*w);
      } else {
        for (auto& c : cs) c.on_batch_end(spate::batch_info{spate::from_millis(static_cast<std::int64_t>(batches) * 1000), batches});
        ++batches;
      }
    }
  };
  Out resumed;
  std::uint64_t batches = 0;
  std::vector<std::vector<std::string>> parts;  // [stateful stage][old subtask]
  {
    std::deque<chain_t> old;
    for (std::size_t w = 0; w < from; ++w) old.push_back(spate::fuse::build(env, make(resumed)));
    feed(old, 0, cut, batches);
    for (auto& c : old) {
      auto snap = spate::snapshot_chain(c);
      parts.resize(snap.states.size());
      for (std::size_t s = 0; s < snap.states.size(); ++s) parts[s].push_back(std::move(snap.states[s]));
    }
  }
  std::deque<chain_t> now;
  for (std::size_t w = 0; w < to; ++w) {
    now.push_back(spate::fuse::build(env, make(resumed)));
    std::size_t s = 0;
    spate::for_each_stage(now.back(), [&](auto& st) {
      if constexpr (spate::stateful_stage<std::remove_cvref_t<decltype(st)>>) {
        const std::vector<std::string_view> views(parts[s].begin(), parts[s].end());
        bool ok = false;
        if constexpr (requires { st.restore_rescaled(views, spate::key_group_range{}); })
          ok = st.restore_rescaled(views, kg.range_of(w, to));
        REQUIRE(ok);  // every stateful stage of the job moves to another parallelism
        ++s;
      }
    });
    REQUIRE(s == parts.size());
  }
  feed(now, cut, events.size(), batches);
  for (auto& c : now) c.on_end();
  CHECK(normalize(resumed) == normalize(whole));
}

}  // namespace spate_laws
