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

/// The saved state of one participant: its chain's stateful stages (in chain
/// order) and, for a source shard, its position.
struct segment_state {
  std::vector<std::string> chain;
  std::string position;
  bool has_position = false;
};

inline std::string encode_segment_state(const chain_snapshot& c, const std::optional<std::string>& position) {
  std::string out;
  detail::snapshot_value(std::tuple<std::vector<std::string>, std::optional<std::string>>(c.states, position), out);
  return out;
}
inline result<segment_state> decode_segment_state(std::string_view in) {
  auto v = detail::restore_value<std::tuple<std::vector<std::string>, std::optional<std::string>>>(in);
  if (!v) return std::move(v).error();
  segment_state s;
  s.chain = std::move(std::get<0>(*v));
  s.has_position = std::get<1>(*v).has_value();
  if (s.has_position) s.position = std::move(*std::get<1>(*v));
  return s;
}

/// A stand-in downstream, for asking whether a source can be opened at a
/// restored position (open_at).
struct any_down {};

/// The job threads' side of a checkpoint runtime.
class checkpoint_hooks {
 public:
  virtual ~checkpoint_hooks() = default;

  /// The newest checkpoint the sources should inject (0: none yet).
  checkpoint_id triggered() const noexcept { return trigger_.load(std::memory_order_acquire); }
  /// After a graceful stop: the last checkpoint; a source that injected it
  /// reads no more (0 until it is triggered).
  checkpoint_id final_checkpoint() const noexcept { return final_.load(std::memory_order_acquire); }

  /// Participant `p` (see participant()) took its snapshot for n.
  virtual void acknowledge(std::size_t p, checkpoint_id n, std::string state, std::vector<split_position> splits) = 0;
  /// Participant `p` ended its input (on_end passed its segment).
  virtual void finished(std::size_t p) = 0;
  /// A source shard saw the graceful stop: the final checkpoint is wanted.
  virtual void request_final() = 0;

  /// The participant of segment `uid`, subtask `subtask` (registered while
  /// the job is launched, in the same order on every run of the same
  /// program).
  virtual std::size_t participant(const std::string& uid, std::size_t subtask, std::size_t subtasks) = 0;
  /// What participant `p` restores from (nothing on a fresh start).
  virtual const segment_state* restored(std::size_t p) const = 0;
  /// Blocks a job thread until every participant registered and the
  /// restored checkpoint was checked against them; false when the job
  /// cannot run (the error is the context's).
  virtual bool await_launch() = 0;
  /// A checkpoint is being restored.
  virtual bool restoring() const = 0;
  /// Participant p has stateful stages (`what`) but no state in the
  /// restored checkpoint: throws unless non-restored state is allowed.
  virtual void missing_state(std::size_t p, std::string_view what) const = 0;
  /// For source shards (participant p): every shard's position of the restored run.
  virtual std::optional<restored_input> restored_positions(std::size_t p) const = 0;

 protected:
  std::atomic<checkpoint_id> trigger_{0};
  std::atomic<checkpoint_id> final_{0};
};

/// The head of every segment a job runs: forwards everything to the
/// segment's chain and, when barrier n reaches it (aligned on all inputs),
/// snapshots the chain, forwards the barrier (through the sink, which flushes
/// or pre-commits), then acknowledges. On a source thread the source loop
/// sets `position` just before it injects the barrier.
template <class Head>
struct barrier_tap {
  Head* head;
  checkpoint_hooks* hooks = nullptr;
  std::size_t participant = 0;
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
  void on_barrier(checkpoint_id id) {
    if (!hooks) {
      head->on_barrier(id);
      return;
    }
    chain_snapshot s = snapshot_chain(*head);
    head->on_barrier(id);
    hooks->acknowledge(participant, id, encode_segment_state(s, position), std::move(splits));
    position.reset();
    splits.clear();
  }
  void on_end() {
    head->on_end();
    if (hooks) hooks->finished(participant);
  }
};

/// Restores participant p's chain from the checkpoint being restored, if any.
template <class Chain>
void restore_segment(const checkpoint_hooks& h, std::size_t p, Chain& chain, std::string_view what) {
  if (std::size_t n = unsnapshottable_stages(chain))
    throw std::runtime_error("spate: checkpointing: " + std::to_string(n) + " stateful stage(s) of " + std::string(what) +
                             " keep state with no binary encoding (give the state's types one: a reflected struct, "
                             "or a serde::codec), so they cannot be checkpointed");
  const segment_state* st = h.restored(p);
  if (!st) {
    if (h.restoring() && stateful_stages(chain) > 0) h.missing_state(p, what);
    return;
  }
  if (!restore_chain(chain, chain_snapshot{st->chain}))
    throw std::runtime_error("spate: the checkpointed state of " + std::string(what) +
                             " does not fit the job's stages (" + std::to_string(st->chain.size()) +
                             " saved, " + std::to_string(stateful_stages(chain)) +
                             " stateful stages now, or a stage refused its state): the job changed");
}

}  // namespace spate::exec
