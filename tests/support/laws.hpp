#pragma once
// The laws every stage is held to, as reusable checks (Hana's test/_include/
// laws/ in spirit): a new stage's test instantiates them in a line or two.
//   fused == unfused                 fused_equals_unfused<Out>(make)
//   parallel == sequential           parallel_equals_sequential<Out>(make, normalize)
//   restore(snapshot(s)) == s        restore_equals_uninterrupted<Out, Env>(make, events, cut)
// `make(out)` builds the job writing into `out` (collect_into(out) and the
// like); `Out` is the container it fills.
#include <catch2/catch.hpp>

#include <spate/exec.hpp>
#include <spate/fuse/build.hpp>
#include <spate/spate.hpp>
#include <spate/state/chain_snapshot.hpp>

#include <chrono>
#include <cstddef>
#include <initializer_list>
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
  Out whole;
  {
    auto c = spate::fuse::build(env, make(whole));
    std::uint64_t batches = 0;
    detail::feed(c, events, 0, events.size(), batches);
    c.on_end();
  }
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

}  // namespace spate_laws
