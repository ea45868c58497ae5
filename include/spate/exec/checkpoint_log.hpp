#pragma once
// The figures of a context's checkpoints for its metrics: when each was
// first seen triggered at a source, when it completed, its size on disk, and
// the aborted ones, how long barriers waited to align. Fed by the source
// loops (trigger), the shuffles' consumers (alignment) and the checkpoint
// runtime's listeners (completion, abort); kept across restarts.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../core/time.hpp"

namespace spate {

/// One completed checkpoint.
struct checkpoint_record {
  checkpoint_id id = 0;
  std::int64_t completed_ms = 0;           ///< wall clock, ms since the epoch
  std::chrono::milliseconds duration{0};  ///< from the trigger reaching the sources to durable
  std::uint64_t bytes = 0;                ///< its state files on disk
  /// The longest a stage with several inputs (a shuffle's consumer) held
  /// the inputs that had delivered its barrier while it waited for the
  /// others (Flink's alignment duration); 0 where no stage has several inputs.
  std::chrono::microseconds alignment{0};
};

struct checkpoint_metrics {
  std::uint64_t completed = 0;
  std::uint64_t aborted = 0;
  std::optional<checkpoint_record> last;  ///< the last completed
  std::vector<checkpoint_record> history;  ///< the latest 100, oldest first
};

namespace exec {

class checkpoint_log {
 public:
  using clock = std::chrono::steady_clock;
  /// A source saw checkpoint n triggered (the first report counts).
  void triggered(checkpoint_id n, clock::time_point at = clock::now()) {
    std::lock_guard lock(m_);
    triggered_.try_emplace(n, at);
  }
  /// A stage with several inputs forwarded barrier n after waiting `d`
  /// for its inputs to align (the longest report counts).
  void aligned(checkpoint_id n, std::chrono::nanoseconds d) {
    std::lock_guard lock(m_);
    auto& a = alignment_[n];
    a = std::max(a, std::chrono::duration_cast<std::chrono::microseconds>(d));
    while (alignment_.size() > 64) alignment_.erase(alignment_.begin());  // of checkpoints that never completed
  }
  /// Checkpoint n is durable: `bytes` of state files, `by_stage` of them
  /// by stage uid (summed over its subtasks).
  void completed(checkpoint_id n, std::uint64_t bytes, std::map<std::string, std::uint64_t> by_stage = {},
                 clock::time_point at = clock::now()) {
    std::lock_guard lock(m_);
    last_stage_bytes_ = std::move(by_stage);
    checkpoint_record r;
    r.id = n;
    r.bytes = bytes;
    if (auto it = alignment_.find(n); it != alignment_.end()) {
      r.alignment = it->second;
      alignment_.erase(alignment_.begin(), std::next(it));
    }
    r.completed_ms = to_millis(std::chrono::time_point_cast<duration>(std::chrono::system_clock::now()));
    if (auto it = triggered_.find(n); it != triggered_.end()) {
      r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(at - it->second);
      triggered_.erase(triggered_.begin(), std::next(it));
    }
    ++completed_;
    history_.push_back(r);
    if (history_.size() > 100) history_.pop_front();
  }
  void aborted(checkpoint_id n) {
    std::lock_guard lock(m_);
    ++aborted_;
    triggered_.erase(n);
  }
  /// Each stage's state files in the last completed checkpoint, by uid.
  std::map<std::string, std::uint64_t> last_stage_bytes() const {
    std::lock_guard lock(m_);
    return last_stage_bytes_;
  }
  checkpoint_metrics read() const {
    std::lock_guard lock(m_);
    checkpoint_metrics m;
    m.completed = completed_;
    m.aborted = aborted_;
    if (!history_.empty()) m.last = history_.back();
    m.history.assign(history_.begin(), history_.end());
    return m;
  }

 private:
  mutable std::mutex m_;
  std::map<checkpoint_id, clock::time_point> triggered_;
  std::map<checkpoint_id, std::chrono::microseconds> alignment_;
  std::map<std::string, std::uint64_t> last_stage_bytes_;
  std::deque<checkpoint_record> history_;
  std::uint64_t completed_ = 0, aborted_ = 0;
};

}  // namespace exec
}  // namespace spate
