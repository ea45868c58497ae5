#pragma once
// What the threads of a running job see of checkpointing (the runtime itself
// is exec/checkpointing.hpp): the checkpoint to inject at the sources, where
// a segment acknowledges its snapshot, and what a restored segment starts
// from. Small on purpose: every executor header includes it, and a job that
// does not checkpoint pays one relaxed load per chunk of source records.
//
// The flow of checkpoint n (asynchronous barrier snapshots):
//   1. the coordinator sets `triggered()` to n;
//   2. each source shard, between two chunks, records its position and sends
//      barrier n into its segment, in band;
//   3. every segment's head (barrier_tap) snapshots its chain the moment
//      barrier n reaches it on all its inputs (the valves align them),
//      forwards the barrier, and acknowledges snapshot and position;
//   4. when every participant acknowledged and the snapshot is durable, the
//      committers run (the Kafka transaction) and n is complete.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/key_group.hpp"
#include "../core/time.hpp"
#include "../io/source.hpp"
#include "../state/chain_snapshot.hpp"
#include "../state/snapshot.hpp"

namespace spate::exec {

/// A position a source reports for the manifest (a Kafka partition's next
/// offset); its full position is in its state file.
struct split_position {
  std::string split;
  std::int64_t offset = 0;
};

/// What one source shard of a restored job starts from: the positions every
/// shard of the checkpointed run had reached (`shards[i]` of `count`). A
/// source that cannot restore at another parallelism says so when
/// count differs from its own shard count.
struct restored_input {
  std::size_t count = 1;
  std::vector<std::string_view> shards;
};

/// A shard's saved position as a count (collections, generators), checked
/// to be of a run at the same parallelism.
inline std::uint64_t restored_count(const restored_input& at, shard sh, std::string_view source) {
  if (at.count != sh.count)
    throw std::runtime_error("spate: the " + std::string(source) + " was checkpointed as " + std::to_string(at.count) +
                             " shards and cannot resume as " + std::to_string(sh.count));
  std::string_view v = at.shards[sh.index];
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') throw std::runtime_error("spate: the " + std::string(source) + "'s saved position '" + std::string(v) + "' is not a count");
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

/// One file of an acknowledgement: a stateful stage's snapshot (or a source
/// shard's position) under the stage's uid.
struct state_entry {
  std::string uid;
  std::string bytes;
  bool is_source = false;  ///< a source shard's position (its splits are the source's)
};

/// A stand-in downstream, for asking whether a source can be opened at a
/// restored position (open_at).
struct any_down {};

/// The job threads' side of a checkpoint runtime.
class checkpoint_hooks {
 public:
  virtual ~checkpoint_hooks() = default;

  /// The newest checkpoint the sources should inject (0: none yet) and,
  /// under micro-batch, the batch after whose end its barrier goes in, at
  /// every source shard alike (so that every input of a valve delivers batch
  /// ends and barriers in one order). One word, so both are read together.
  struct trigger {
    checkpoint_id id = 0;
    std::uint64_t batch = 0;
  };
  trigger triggered_at() const noexcept {
    const std::uint64_t w = trigger_.load(std::memory_order_acquire);
    return {w >> 32, w & 0xffffffffu};
  }
  checkpoint_id triggered() const noexcept { return triggered_at().id; }
  /// After a graceful stop: the last checkpoint; a source that injected it
  /// reads no more (0 until it is triggered).
  checkpoint_id final_checkpoint() const noexcept { return final_.load(std::memory_order_acquire); }

  /// Participant `p` (see participant()) took its snapshot for n: one
  /// entry per stateful stage and, for a source shard, its position.
  virtual void acknowledge(std::size_t p, checkpoint_id n, std::vector<state_entry> files,
                           std::vector<split_position> splits) = 0;
  /// Participant `p` ended its input (on_end passed its segment); `last`:
  /// its stages' state and (a source shard) position after the end, which
  /// every later checkpoint carries for it.
  virtual void finished(std::size_t p, std::vector<state_entry> last) = 0;
  /// A source shard saw the graceful stop: the final checkpoint is wanted.
  virtual void request_final() = 0;

  /// The participant `name` (a segment's subtask), registered while the job
  /// is launched; `uids` are the stateful stages (and source) it holds.
  virtual std::size_t participant(const std::string& name, std::size_t subtask, std::size_t subtasks,
                                  const std::vector<std::string>& uids) = 0;
  /// Blocks a job thread until every participant registered and the
  /// restored checkpoint was checked against them; false when the job
  /// cannot run (the error is the context's).
  virtual bool await_launch() = 0;
  /// A checkpoint is being restored.
  virtual bool restoring() const = 0;
  /// Participant p had ended its input when the restored checkpoint was
  /// taken: it does not run again, it only passes on_end on (Flink's
  /// finished tasks in checkpoints).
  virtual bool restored_finished(std::size_t p) const = 0;
  /// What stage `uid`, subtask `subtask` of `subtasks`, restores from: at
  /// the parallelism of the checkpoint its own file; at another, every
  /// subtask's file (the stage keeps the keys of its key groups). Empty:
  /// the checkpoint has no state for it.
  virtual std::vector<std::string_view> restored_stage(const std::string& uid, std::size_t subtask,
                                                       std::size_t subtasks) const = 0;
  /// How many subtasks stage `uid` had in the restored checkpoint (0: none).
  virtual std::size_t restored_subtasks(const std::string& uid) const = 0;
  /// Stage `uid` has no state in the restored checkpoint: throws unless
  /// non-restored state is allowed.
  virtual void missing_state(const std::string& uid) const = 0;
  /// For a source: every shard's position of the restored run.
  virtual std::optional<restored_input> restored_positions(const std::string& uid) const = 0;

 protected:
  void publish_trigger(checkpoint_id n, std::uint64_t batch) noexcept {
    trigger_.store((n << 32) | (batch & 0xffffffffu), std::memory_order_release);
  }
  std::atomic<std::uint64_t> trigger_{0};  // checkpoint id << 32 | batch
  std::atomic<checkpoint_id> final_{0};
};

/// The uids of a segment's layers: uid[d] for the d-th stage of its fused
/// chain (the sink last), empty for a stage without state.
using layer_uids = std::vector<std::string>;

/// The head of every segment a job runs: forwards everything to the
/// segment's chain and, when barrier n reaches it (aligned on all inputs),
/// snapshots every stateful stage of the chain, forwards the barrier
/// (through the sink, which flushes or pre-commits), then acknowledges. On a
/// source thread the source loop sets `position` just before it injects the
/// barrier.
template <class Head>
struct barrier_tap {
  Head* head;
  checkpoint_hooks* hooks = nullptr;
  std::size_t participant = 0;
  const layer_uids* uids = nullptr;
  std::string source_uid;               // a source shard's segment: the source's uid
  std::optional<std::string> position;  // set by the source loop for the next barrier
  std::vector<split_position> splits;

  template <class R>
  [[gnu::always_inline]] bool push(R&& r) {
    return head->push(std::forward<R>(r));
  }
  template <class K, class R>
  [[gnu::always_inline]] bool push_keyed(const K& k, R&& r) {
    return push_to(*head, &k, std::forward<R>(r));
  }
  void on_watermark(event_time t) { head->on_watermark(t); }
  void on_batch_end(const batch_info& b) { head->on_batch_end(b); }
  void on_tick(event_time now) { head->on_tick(now); }
  void on_idle(bool idle) { head->on_idle(idle); }
  /// A source shard's loop reports the end itself, with the position.
  bool source_reports_end = false;

  std::vector<state_entry> snapshot_files() const {
    std::vector<state_entry> files;
    std::size_t depth = 0;
    for_each_stage(*head, [&](const auto& st) {
      if constexpr (stateful_stage<std::remove_cvref_t<decltype(st)>>) {
        auto& f = files.emplace_back();
        f.uid = (*uids)[depth];
        st.snapshot(f.bytes);
      }
      ++depth;
    });
    return files;
  }
  void on_barrier(checkpoint_id id) {
    if (!hooks) {
      head->on_barrier(id);
      return;
    }
    // The barrier first: a sink pre-commits (or flushes) at it and then
    // snapshots what it pre-committed. No record passes in between, and no
    // stage changes its state at a barrier otherwise.
    head->on_barrier(id);
    std::vector<state_entry> files = snapshot_files();
    if (position) files.push_back({source_uid, std::move(*position), true});
    hooks->acknowledge(participant, id, std::move(files), std::move(splits));
    position.reset();
    splits.clear();
  }
  void on_end() {
    head->on_end();
    if (hooks && !source_reports_end) hooks->finished(participant, snapshot_files());
  }
  /// The source shard ended at `pos` (its position, if it has one).
  void source_ended(std::optional<std::string> pos) {
    if (!hooks) return;
    auto files = snapshot_files();
    if (pos) files.push_back({source_uid, std::move(*pos), true});
    hooks->finished(participant, std::move(files));
  }
};

/// Restores a segment's stateful stages from the checkpoint being restored
/// (if any): each from its own file at the checkpoint's parallelism, or, at
/// another, a keyed stage from every old subtask's file, keeping the keys of
/// its key groups (restore_rescaled); other state cannot move to another
/// parallelism, which is an error naming the stage.
template <class Chain>
void restore_segment(const checkpoint_hooks& h, Chain& chain, const layer_uids& uids, std::size_t subtask,
                     std::size_t subtasks, std::string_view what) {
  if (unsnapshottable_stages(chain)) {
    std::string which;
    std::size_t d = 0;
    for_each_stage(chain, [&](const auto& st) {
      if constexpr (unsnapshottable_stage<std::remove_cvref_t<decltype(st)>>)
        which += (which.empty() ? "" : ", ") + (d < uids.size() && !uids[d].empty() ? "'" + uids[d] + "'" : "layer " + std::to_string(d + 1));
      ++d;
    });
    throw std::runtime_error("spate: checkpointing: stage(s) " + which + " of " + std::string(what) +
                             " keep state with no binary encoding (give the state's types one: a reflected struct, "
                             "or a serde::codec), so they cannot be checkpointed");
  }
  if (!h.restoring()) return;
  std::size_t depth = 0;
  for_each_stage(chain, [&](auto& st) {
    using S = std::remove_cvref_t<decltype(st)>;
    if constexpr (stateful_stage<S>) {
      const std::string& uid = uids[depth];
      auto parts = h.restored_stage(uid, subtask, subtasks);
      if (parts.empty()) {
        h.missing_state(uid);
      } else {
        const bool same = h.restored_subtasks(uid) == subtasks;
        bool ok = false;
        if (same) {
          ok = st.restore(parts.front());
        } else if constexpr (requires { st.restore_rescaled(parts, key_group_range{}); }) {
          ok = st.restore_rescaled(parts, key_groups{}.range_of(subtask, subtasks));
        } else {
          throw std::runtime_error("spate: stage '" + uid + "' was checkpointed at parallelism " +
                                   std::to_string(h.restored_subtasks(uid)) + " and keeps state that cannot move to " +
                                   std::to_string(subtasks) + " subtasks (keyed state moves by key group; this stage's state is not "
                                   "keyed: restore it at parallelism " + std::to_string(h.restored_subtasks(uid)) + ")");
        }
        if (!ok)
          throw std::runtime_error("spate: the checkpointed state of stage '" + uid +
                                   "' does not fit the stage (the job changed, or the file is of another version)");
      }
    }
    ++depth;
  });
}

}  // namespace spate::exec
