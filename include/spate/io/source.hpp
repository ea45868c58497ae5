#pragma once
// The source protocol. A source descriptor is a value (what to read); opening
// it for one shard of P binds it to the downstream chain and gives a driver,
// which an executor runs:
//   auto d = src.open(env, shard{i, P}, head);
//   d.drain();          // bounded: push everything (fast path, one tight loop)
//   d.poll(max);        // push at most max records now; says more/idle/ended/stopped
// A driver calls head.on_end() exactly once, when its input ends or the
// downstream asked to stop.
#include <cstddef>
#include <cstdint>

#include "../algebra/stage.hpp"

namespace spate {

/// Which part of a source a worker reads: shard `index` of `count`.
struct shard {
  std::size_t index = 0;
  std::size_t count = 1;
};

enum class poll_status {
  more,     ///< there may be more right away
  idle,     ///< nothing now (an unbounded source waiting for data)
  ended,    ///< the input is exhausted; on_end was sent
  stopped,  ///< the downstream asked to stop; on_end was sent
};

struct poll_result {
  std::size_t records = 0;
  poll_status status = poll_status::more;
  bool finished() const noexcept { return status == poll_status::ended || status == poll_status::stopped; }
};

/// Shared driver logic: end of input is signalled once, and drain() is poll()
/// until finished, for sources without a faster loop of their own.
template <class Derived, class Down>
struct driver_base {
  Down* down;
  bool done = false;

  poll_result finish(std::size_t n, bool stopped) {
    if (!done) {
      done = true;
      down->on_end();
    }
    return {n, stopped ? poll_status::stopped : poll_status::ended};
  }
  /// Pushes everything; returns false when the downstream stopped it early.
  bool drain() {
    for (;;) {
      poll_result r = static_cast<Derived*>(this)->poll(std::size_t(1) << 16);
      if (r.finished()) return r.status == poll_status::ended;
    }
  }
};

}  // namespace spate
