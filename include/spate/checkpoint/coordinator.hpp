#pragma once
// The checkpoint coordinator (Flink's CheckpointCoordinator) as pure logic:
// no thread, no clock of its own. The executor calls it with the time and
// with what happened, and does what it answers:
//
//   poll(now)             -> a checkpoint id to trigger: inject barrier n at every source
//   acknowledge(n, p, a)  -> participant p took its snapshot for n (a: its state files
//                            and source positions); `ready` when it was the last one
//   take_content(n)       -> what to write (checkpoint_store::write), then
//   persisted(n) / persist_failed(n, why)
//                         -> n durable: the committer (if any) commits it — for
//                            exactly-once with Kafka, the transaction carrying n's
//                            source offsets — then n is complete and every
//                            listener hears on_complete(n) (Flink's
//                            notifyCheckpointComplete) ...
//   decline(n, p, why)    -> ... or n aborted (on_abort), as on a timeout.
//
// At most one checkpoint is in flight (Flink's default). Checkpoint n+1 is
// due `interval` after n was triggered and `min_pause` after n ended
// (completed or aborted), whichever is later. A failure — a decline, a
// storage error, a timeout — aborts the checkpoint; more than
// `tolerable_failures` in a row fail the job (on_job_failure), a completed
// checkpoint resets the count. persist_checkpoint() does the write step
// synchronously, for executors that have no writer thread.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <spate/core/key_group.hpp>
#include <spate/core/time.hpp>
#include <spate/core/valve.hpp>

#include "store.hpp"

namespace spate::checkpoint {

enum class checkpoint_mode : std::uint8_t {
  exactly_once,  ///< barriers aligned: an input that delivered barrier n waits for the others
  at_least_once  ///< barriers counted, nothing held back: after a restore some records count twice
};

constexpr barrier_alignment alignment_of(checkpoint_mode m) noexcept {
  return m == checkpoint_mode::exactly_once ? barrier_alignment::aligned : barrier_alignment::unaligned;
}

/// "90 s", "2 min", "1500 ms": durations in messages.
inline std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + " min";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

/// Flink's checkpointing options, with Flink's defaults.
struct checkpoint_options {
  std::chrono::milliseconds interval{0};                      ///< required: > 0
  checkpoint_mode mode = checkpoint_mode::exactly_once;
  std::chrono::milliseconds timeout = std::chrono::minutes(10);  ///< from trigger to durable
  std::chrono::milliseconds min_pause{0};                     ///< from the end of one to the next trigger
  std::size_t tolerable_failures = 0;                         ///< failures in a row the job survives
  std::size_t retained = 1;                                   ///< completed checkpoints kept

  barrier_alignment alignment() const noexcept { return alignment_of(mode); }

  /// Throws std::invalid_argument with a message naming the option.
  void validate() const {
    if (interval <= std::chrono::milliseconds::zero())
      throw std::invalid_argument("spate: the checkpoint interval must be positive (it is " +
                                  format_duration(interval) + ")");
    if (timeout <= std::chrono::milliseconds::zero())
      throw std::invalid_argument("spate: the checkpoint timeout must be positive (it is " +
                                  format_duration(timeout) + ")");
    if (min_pause < std::chrono::milliseconds::zero())
      throw std::invalid_argument("spate: the minimum pause between checkpoints must not be negative (it is " +
                                  format_duration(min_pause) + ")");
    if (retained == 0) throw std::invalid_argument("spate: at least one completed checkpoint must be retained");
  }
};

/// A Kafka transaction of an exactly-once sink stays open from the first
/// record after checkpoint n-1 until checkpoint n completes: up to the
/// interval plus the checkpoint timeout. The broker aborts it after the
/// transaction timeout, so that must be longer; fails with a clear message.
inline void check_transaction_timeout(std::chrono::milliseconds transaction_timeout,
                                      std::chrono::milliseconds interval,
                                      std::chrono::milliseconds checkpoint_timeout) {
  if (transaction_timeout <= interval + checkpoint_timeout)
    throw std::invalid_argument(
        "spate: the Kafka transaction timeout (" + format_duration(transaction_timeout) +
        ") must be longer than the checkpoint interval plus the checkpoint timeout (" + format_duration(interval) +
        " + " + format_duration(checkpoint_timeout) + " = " + format_duration(interval + checkpoint_timeout) +
        "): a transaction stays open until the next checkpoint completes, and the broker aborts it after its "
        "timeout. Raise transaction_timeout (and the broker's transaction.max.timeout.ms) or lower the interval "
        "or the checkpoint timeout");
}
inline void check_transaction_timeout(std::chrono::milliseconds transaction_timeout, const checkpoint_options& o) {
  check_transaction_timeout(transaction_timeout, o.interval, o.timeout);
}

/// What a participant hands in for checkpoint n.
struct acknowledgement {
  std::vector<state_file> files;
  std::vector<source_position> sources;
};

enum class ack_status : std::uint8_t {
  accepted,             ///< more acknowledgements are due
  ready,                ///< the last one: take_content and persist
  unknown_checkpoint,   ///< not the checkpoint in flight (aborted, or late): ignored
  unknown_participant,  ///< not among the expected participants: ignored
  duplicate             ///< this participant already acknowledged n: ignored
};

/// Callbacks; any may be empty.
struct checkpoint_listener {
  std::function<void(checkpoint_id)> on_complete;
  std::function<void(checkpoint_id, const std::string& reason)> on_abort;
  std::function<void(const std::string& reason)> on_job_failure;
};

/// The shape of the job that goes into every manifest.
struct job_shape {
  std::size_t parallelism = 1;
  std::size_t max_parallelism = default_max_parallelism;
  std::vector<std::string> stage_uids;
};

class coordinator {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// `participants`: who must acknowledge each checkpoint (the executor's
  /// names for its segments' subtasks and sinks). `first_id`: the first
  /// checkpoint's id (after a restore, checkpoint_store::next_id()).
  coordinator(checkpoint_options o, std::vector<std::string> participants, job_shape shape, time_point start,
              checkpoint_id first_id = 1)
      : o_(o), participants_(std::move(participants)), shape_(std::move(shape)), next_id_(first_id),
        last_trigger_(start) {
    o_.validate();
    if (participants_.empty()) throw std::invalid_argument("spate: a checkpoint needs at least one participant");
    for (std::size_t i = 0; i < participants_.size(); ++i)
      for (std::size_t j = i + 1; j < participants_.size(); ++j)
        if (participants_[i] == participants_[j])
          throw std::invalid_argument("spate: checkpoint participant '" + participants_[i] + "' is named twice");
    if (first_id == 0) throw std::invalid_argument("spate: checkpoint ids start at 1");
  }

  void add_listener(checkpoint_listener l) { listeners_.push_back(std::move(l)); }

  /// The commit decision, between durable and complete: called with n and
  /// its source positions; when it throws, n fails (its folder is not a
  /// committed checkpoint and should be discarded).
  using committer = std::function<void(checkpoint_id, const std::vector<source_position>&)>;
  void set_committer(committer f) { committer_ = std::move(f); }
  const checkpoint_options& options() const noexcept { return o_; }

  /// Aborts a checkpoint that outlived its timeout; returns the id of the
  /// checkpoint to trigger now, if one is due.
  std::optional<checkpoint_id> poll(time_point now) {
    if (failed_) return std::nullopt;
    expire(now);
    if (failed_) return std::nullopt;
    if (pending_ || now < next_trigger()) return std::nullopt;
    return trigger_now(now);
  }

  /// Triggers a checkpoint now, whether due or not (the final checkpoint of
  /// a graceful stop); nothing when one is in flight or the job failed.
  std::optional<checkpoint_id> trigger_now(time_point now) {
    if (failed_) return std::nullopt;
    expire(now);
    if (failed_ || pending_) return std::nullopt;
    pending_.emplace();
    pending_->id = next_id_++;
    pending_->triggered = now;
    pending_->acks.resize(participants_.size());
    last_trigger_ = now;
    return pending_->id;
  }

  /// The id the next checkpoint gets.
  checkpoint_id next_id() const noexcept { return next_id_; }

  /// When the next checkpoint is due (once the one in flight, if any, ends).
  time_point next_trigger() const {
    auto t = last_trigger_ + o_.interval;
    if (last_end_) t = std::max(t, *last_end_ + o_.min_pause);
    return t;
  }

  ack_status acknowledge(checkpoint_id n, std::string_view participant, acknowledgement a, time_point now) {
    expire(now);
    if (!pending_ || pending_->id != n || pending_->persisting) return ack_status::unknown_checkpoint;
    auto i = index_of(participant);
    if (i == participants_.size()) return ack_status::unknown_participant;
    if (pending_->acks[i]) return ack_status::duplicate;
    pending_->acks[i] = std::move(a);
    ++pending_->acked;
    return pending_->acked == participants_.size() ? ack_status::ready : ack_status::accepted;
  }

  /// A participant could not take its snapshot for n: n is aborted.
  void decline(checkpoint_id n, std::string_view participant, const std::string& reason, time_point now) {
    expire(now);
    if (!pending_ || pending_->id != n) return;
    fail_pending("checkpoint " + std::to_string(n) + " declined by '" + std::string(participant) + "': " + reason, now);
  }

  /// The checkpoint to write, once every acknowledgement is in (files and
  /// sources in participant order). The checkpoint is then persisting.
  checkpoint_content take_content(checkpoint_id n) {
    if (!pending_ || pending_->id != n || pending_->acked != participants_.size() || pending_->persisting)
      throw std::logic_error("spate: take_content(" + std::to_string(n) +
                             "): not a checkpoint with every acknowledgement in");
    pending_->persisting = true;
    checkpoint_content c;
    c.id = n;
    c.parallelism = shape_.parallelism;
    c.max_parallelism = shape_.max_parallelism;
    c.stage_uids = shape_.stage_uids;
    for (auto& a : pending_->acks) {
      for (auto& f : a->files) c.files.push_back(std::move(f));
      for (auto& s : a->sources) c.sources.push_back(std::move(s));
    }
    pending_->sources = c.sources;
    pending_->acks.clear();
    return c;
  }

  /// The storage made n durable: the committer commits it, then n is
  /// complete and every listener hears it. False when n did not complete
  /// (it timed out, or the commit failed): then its folder should be
  /// discarded.
  bool persisted(checkpoint_id n, time_point now) {
    expire(now);
    if (!pending_ || pending_->id != n || !pending_->persisting) return false;
    if (committer_) {
      try {
        committer_(n, pending_->sources);
      } catch (const std::exception& e) {
        fail_pending("checkpoint " + std::to_string(n) + " is durable but its commit failed: " + e.what(), now);
        return false;
      }
    }
    pending_.reset();
    last_end_ = now;
    last_completed_ = n;
    consecutive_failures_ = 0;
    ++completed_;
    for (auto& l : listeners_)
      if (l.on_complete) l.on_complete(n);
    return true;
  }

  void persist_failed(checkpoint_id n, const std::string& why, time_point now) {
    expire(now);
    if (!pending_ || pending_->id != n) return;
    fail_pending("checkpoint " + std::to_string(n) + " could not be stored: " + why, now);
  }

  /// The checkpoint in flight, if any.
  std::optional<checkpoint_id> pending() const {
    return pending_ ? std::optional<checkpoint_id>(pending_->id) : std::nullopt;
  }
  bool persisting() const noexcept { return pending_ && pending_->persisting; }
  /// The newest completed checkpoint (0: none yet).
  checkpoint_id last_completed() const noexcept { return last_completed_; }
  std::size_t completed() const noexcept { return completed_; }
  std::size_t failed_checkpoints() const noexcept { return failed_total_; }
  std::size_t consecutive_failures() const noexcept { return consecutive_failures_; }
  /// More than tolerable_failures failed in a row: the job must stop.
  bool job_failed() const noexcept { return failed_; }
  const std::string& failure() const noexcept { return failure_; }

 private:
  struct in_flight {
    checkpoint_id id = 0;
    time_point triggered;
    std::vector<std::optional<acknowledgement>> acks;
    std::vector<source_position> sources;
    std::size_t acked = 0;
    bool persisting = false;
  };

  void expire(time_point now) {
    if (pending_ && now - pending_->triggered >= o_.timeout)
      fail_pending("checkpoint " + std::to_string(pending_->id) + " timed out after " + format_duration(o_.timeout) +
                       " (" + missing() + ")",
                   now);
  }

  std::size_t index_of(std::string_view p) const {
    return static_cast<std::size_t>(std::find(participants_.begin(), participants_.end(), p) - participants_.begin());
  }

  std::string missing() const {
    if (pending_->persisting) return "every participant acknowledged; the storage did not finish";
    std::string m = std::to_string(pending_->acked) + " of " + std::to_string(participants_.size()) +
                    " participants acknowledged; missing:";
    for (std::size_t i = 0; i < participants_.size(); ++i)
      if (pending_->acks.size() > i && !pending_->acks[i]) m += " '" + participants_[i] + "'";
    return m;
  }

  void fail_pending(const std::string& reason, time_point now) {
    const checkpoint_id n = pending_->id;
    pending_.reset();
    last_end_ = now;
    ++failed_total_;
    ++consecutive_failures_;
    for (auto& l : listeners_)
      if (l.on_abort) l.on_abort(n, reason);
    if (consecutive_failures_ > o_.tolerable_failures) {
      failed_ = true;
      failure_ = "spate: " + std::to_string(consecutive_failures_) + " checkpoint" +
                 (consecutive_failures_ == 1 ? "" : "s") + " failed in a row (tolerable: " +
                 std::to_string(o_.tolerable_failures) + "); the last: " + reason;
      for (auto& l : listeners_)
        if (l.on_job_failure) l.on_job_failure(failure_);
    }
  }

  checkpoint_options o_;
  std::vector<std::string> participants_;
  job_shape shape_;
  checkpoint_id next_id_;
  time_point last_trigger_;
  std::optional<time_point> last_end_;
  std::optional<in_flight> pending_;
  std::vector<checkpoint_listener> listeners_;
  committer committer_;
  checkpoint_id last_completed_ = 0;
  std::size_t completed_ = 0, failed_total_ = 0, consecutive_failures_ = 0;
  bool failed_ = false;
  std::string failure_;
};

/// The write step done synchronously: takes n's content, writes it to the
/// store and reports the outcome to the coordinator at the time `now()`
/// gives after the write; on success prunes the store to the retained count
/// of the options, on failure (or when n timed out or its commit failed)
/// discards n's folder. Returns whether n completed.
template <class Now>
  requires std::is_invocable_r_v<coordinator::time_point, Now&>
bool persist_checkpoint(coordinator& c, checkpoint_store& store, checkpoint_id n, Now&& now) {
  auto content = c.take_content(n);
  auto discard = [&] {
    try {
      store.discard(n);
    } catch (const std::exception&) {
      // The storage is failing. A folder without a manifest is never
      // restored, one past the committed id is skipped, and the next prune
      // removes either.
    }
  };
  try {
    store.write(content);
  } catch (const std::exception& e) {
    discard();
    c.persist_failed(n, e.what(), now());
    return false;
  }
  if (!c.persisted(n, now())) {
    discard();
    return false;
  }
  store.prune(n, c.options().retained);  // n is complete; a storage error here throws checkpoint_error
  return true;
}

}  // namespace spate::checkpoint
