#pragma once
// The source protocol. A source descriptor is a value (what to read); opening
// it for one shard of P binds it to the downstream chain and gives a driver,
// which an executor runs:
//   auto d = src.open(env, shard{i, P}, head);
//   d.drain();          // bounded: push everything (fast path, one tight loop)
//   d.poll(max);        // push at most max records now; says more/idle/ended/stopped
// A driver calls head.on_end() exactly once, when its input ends or the
// downstream asked to stop.
#include <chrono>
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
  /// Of the poll's time, what it spent waiting for input (a socket's poll, a
  /// broker's queue, a pause before looking again), whether any came: not
  /// work, so the executor leaves it out of a micro-batch's work time
  /// (exec/source_loop.hpp) and a merge adds up its inputs'.
  std::chrono::nanoseconds waited{0};
  bool finished() const noexcept { return status == poll_status::ended || status == poll_status::stopped; }
};

/// A driver that knows how large its input was when opened and where it
/// reads (a file's, io/text_file.hpp): the progress line and the metrics
/// report bytes read of that size.
template <class Drv>
concept sized_driver = requires(const Drv& d) {
  d.size_at_open;
  d.lines.offset();
};

/// Shared driver logic: end of input is signalled once, and drain() is poll()
/// until finished, for sources without a faster loop of their own.
///
/// Control that starts at the sources (batch ends, checkpoint barriers,
/// processing-time ticks) is injected through the driver, not the head of the
/// chain: a driver whose input is several chains (merge) routes it through
/// each of them and aligns it where they meet.
template <class Derived, class Down>
struct driver_base {
  Down* down;
  bool done = false;

  void on_batch_end(const batch_info& b) { down->on_batch_end(b); }
  void on_barrier(checkpoint_id id) { down->on_barrier(id); }
  void on_tick(event_time now) { down->on_tick(now); }

  /// Ends the input now (the downstream no longer wants it): on_end follows.
  void cancel() { finish(0, true); }

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
