#pragma once
// The valve: where several inputs meet (a merge, the consumer side of a
// shuffle, a Kafka source's partitions, a two-input operator), the one place
// that keeps each input's control facts and derives the combined ones —
// Flink's StatusWatermarkValve and barrier handler in one small class.
//
// Per input it keeps the watermark, whether the input is idle, the last batch
// end and barrier it delivered, and whether it ended. From those:
//  - watermark: the minimum over the active inputs (an idle input is left
//    out; an ended one counts as max_watermark), forwarded only when it
//    advances; when every input is idle event time stands still; when all
//    ended it is max_watermark, so every window downstream fires (Flink).
//    An input that resumes after idleness takes part again at once with its
//    own watermark (so a resumed input that lags holds the combined
//    watermark where it is rather than turning its records late; Flink's
//    valve instead leaves it out until it catches up).
//  - batch ends: batch n is forwarded once every input that has not ended
//    delivered it; an input that delivered batch n is `blocked` until then,
//    so no record of batch n+1 is counted in batch n.
//  - barriers: checkpoint n is forwarded once every input that has not ended
//    delivered barrier n. In the aligned mode (exactly-once) an input that
//    delivered barrier n is `blocked` until then; in the unaligned mode
//    (at-least-once) it is not.
//  - end: `end(i)` says true for the last input to end.
// Inputs deliver batch ends and barriers in one order (executors inject them
// at every source alike); a reader that reads only inputs not `blocked`
// then never waits forever.
// The valve calls `out.on_watermark`, `out.on_batch_end` and `out.on_barrier`
// for what became combined; it never calls on_end (the caller does, when
// end() says so), so a caller can finish its own work first.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "time.hpp"

namespace spate {

enum class barrier_alignment : std::uint8_t {
  aligned,   ///< an input that delivered barrier n waits for the others (exactly-once)
  unaligned  ///< barriers are counted, no input is held back (at-least-once)
};

class valve {
 public:
  explicit valve(std::size_t inputs, barrier_alignment mode = barrier_alignment::aligned)
      : in_(inputs), mode_(mode) {}

  std::size_t size() const noexcept { return in_.size(); }

  template <class Out>
  void watermark(std::size_t i, event_time t, Out& out) {
    auto& s = in_[i];
    if (s.ended) return;
    s.watermark = std::max(s.watermark, t);
    advance(out);
  }

  template <class Out>
  void idle(std::size_t i, bool idle, Out& out) {
    auto& s = in_[i];
    if (s.ended || s.idle == idle) return;
    s.idle = idle;
    advance(out);
  }

  template <class Out>
  void batch_end(std::size_t i, const batch_info& b, Out& out) {
    auto& s = in_[i];
    if (s.ended) return;
    s.batch = static_cast<std::int64_t>(b.number);
    batch_time_[b.number % batch_time_.size()] = b.time;
    align_batches(out);
  }

  template <class Out>
  void barrier(std::size_t i, checkpoint_id id, Out& out) {
    auto& s = in_[i];
    if (s.ended) return;
    s.barrier = std::max(s.barrier, id);
    if (!aligning_ && s.barrier > barrier_) {  // the first input to deliver the next barrier
      aligning_ = true;
      align_from_ = std::chrono::steady_clock::now();
    }
    align_barriers(out);
  }

  /// Input i ended. Returns true when it was the last one: the caller then
  /// sends on_end downstream.
  template <class Out>
  bool end(std::size_t i, Out& out) {
    auto& s = in_[i];
    if (s.ended) return false;
    s.ended = true;
    s.idle = false;
    s.watermark = max_watermark;
    ++ended_;
    align_batches(out);
    align_barriers(out);
    advance(out);
    return ended_ == in_.size();
  }

  /// Input i must not be read now: it is ahead in a batch or (aligned) a checkpoint.
  bool blocked(std::size_t i) const noexcept {
    const auto& s = in_[i];
    if (s.ended) return false;
    if (s.batch > batch_) return true;
    return mode_ == barrier_alignment::aligned && s.barrier > barrier_;
  }
  bool ended(std::size_t i) const noexcept { return in_[i].ended; }
  bool idle(std::size_t i) const noexcept { return in_[i].idle; }
  bool all_ended() const noexcept { return ended_ == in_.size(); }
  /// The combined watermark forwarded so far.
  event_time current_watermark() const noexcept { return emitted_; }
  /// The last batch and checkpoint forwarded (-1 / 0 before the first).
  std::int64_t current_batch() const noexcept { return batch_; }
  checkpoint_id current_barrier() const noexcept { return barrier_; }
  barrier_alignment alignment() const noexcept { return mode_; }
  /// How long the last barrier forwarded waited: from the first input
  /// delivering it to the last (Flink's alignment duration; 0 with one input).
  /// Two clock reads per checkpoint, none per record.
  std::chrono::nanoseconds last_alignment() const noexcept { return last_alignment_; }

 private:
  struct input {
    event_time watermark = min_watermark;
    std::int64_t batch = -1;
    checkpoint_id barrier = 0;
    bool idle = false;
    bool ended = false;
  };

  template <class Out>
  void advance(Out& out) {
    event_time m = max_watermark;
    bool any = false;
    for (const auto& s : in_)
      if (!s.idle) {
        m = std::min(m, s.watermark);
        any = true;
      }
    if (any && m > emitted_) {
      emitted_ = m;
      out.on_watermark(m);
    }
  }

  // The newest number every live input has reached; when all ended, the
  // newest any reached (nothing is left to wait for).
  template <class Num, class Get>
  Num aligned_min(Num none, Get get) const {
    Num lo = std::numeric_limits<Num>::max(), hi = none;
    bool live = false;
    for (const auto& s : in_) {
      hi = std::max(hi, get(s));
      if (!s.ended) {
        lo = std::min(lo, get(s));
        live = true;
      }
    }
    return live ? lo : hi;
  }

  template <class Out>
  void align_batches(Out& out) {
    std::int64_t m = aligned_min<std::int64_t>(-1, [](const input& s) { return s.batch; });
    // Inputs are held back at a batch end, so only a few numbers are ever
    // pending; their times sit in a small ring.
    while (batch_ < m) {
      ++batch_;
      auto n = static_cast<std::uint64_t>(batch_);
      out.on_batch_end(batch_info{batch_time_[n % batch_time_.size()], n});
    }
  }

  template <class Out>
  void align_barriers(Out& out) {
    checkpoint_id m = aligned_min<checkpoint_id>(0, [](const input& s) { return s.barrier; });
    if (m > barrier_) {
      barrier_ = m;
      if (aligning_) {
        const auto now = std::chrono::steady_clock::now();
        last_alignment_ = now - align_from_;
        // An input already past this one: the next alignment began when it
        // delivered its barrier; counted from now, a lower bound.
        aligning_ = std::any_of(in_.begin(), in_.end(), [&](const input& s) { return !s.ended && s.barrier > barrier_; });
        align_from_ = now;
      }
      out.on_barrier(m);
    }
  }

  std::vector<input> in_;
  barrier_alignment mode_;
  std::array<event_time, 64> batch_time_{};
  event_time emitted_ = min_watermark;
  std::int64_t batch_ = -1;
  checkpoint_id barrier_ = 0;
  std::size_t ended_ = 0;
  bool aligning_ = false;
  std::chrono::steady_clock::time_point align_from_{};
  std::chrono::nanoseconds last_alignment_{0};
};

}  // namespace spate
