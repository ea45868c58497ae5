#pragma once
// A generator source: record i is f(i), for i = 0 .. count-1 (or without end
// when count is unbounded). Index-based, so it shards without coordination:
// shard s of P produces the indices i with i % P == s.
//   generate([](std::uint64_t i) { return i * i; }, 1'000'000)
//   generate(make_event, unbounded)   // runs until the downstream stops it
#include <algorithm>
#include <cstdint>
#include <string>
#include <functional>
#include <limits>
#include <type_traits>

#include "../exec/barriers.hpp"
#include "source.hpp"

namespace spate {

inline constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();

template <class F>
struct generate_source : source_tag {
  F fn;
  std::uint64_t count;
  static constexpr const char* name = "generate";
  using value_type = std::remove_cvref_t<std::invoke_result_t<const F&, std::uint64_t>>;

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    const F* fn;
    std::uint64_t next, step, count;
    stage_label label{"generate", 0};
    /// The position for a checkpoint: the next index.
    void position(std::string& out) const { out = std::to_string(next); }
    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      std::size_t n = 0;
      // In locals for the loop: the stages' stores (their counters) might
      // alias the driver's members, so the compiler would reload them from
      // memory for every record. (A push that throws ends the job: its
      // drivers are dropped and nothing reads `next` again.)
      auto* const down = this->down;
      const F& f = *fn;
      std::uint64_t at = next;
      const std::uint64_t end = count, stride = step;
      for (; n < max && at < end; ++n) {
        bool go = down->push(detail::call_user(label, f, at));
        at = (end - at > stride) ? at + stride : end;
        if (!go) {
          next = at;
          return this->finish(n + 1, true);
        }
      }
      next = at;
      if (next >= count) return this->finish(n, false);
      return {n, poll_status::more};
    }
  };
  /// Shard `sh` resumed at the index a checkpoint saved (the same parallelism).
  template <class Env, class Down>
  auto open_at(Env& env, shard sh, Down& down, const exec::restored_input& at) const {
    auto d = open(env, sh, down);
    d.next = std::max(d.next, exec::restored_count(at, sh, name));
    return d;
  }
  template <class Env, class Down>
  auto open(Env&, shard sh, Down& down) const {
    return driver<Down>{{&down}, &fn, sh.index, sh.count, count};
  }
};

/// Record i is f(i) for i in [0, count); count may be `unbounded`.
template <class F>
auto generate(F f, std::uint64_t count) {
  return generate_source<F>{{}, std::move(f), count};
}

}  // namespace spate
