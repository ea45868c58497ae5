#pragma once
// Checkpointing of a running context:
//   spate::context ctx{spate::continuous{}, spate::checkpointing{1s, "/var/lib/clicks/checkpoints"}};
// The runtime below owns the checkpoint folder (checkpoint/store.hpp), the
// coordinator (checkpoint/coordinator.hpp) and one thread that triggers
// checkpoints, writes them once every participant acknowledged, runs the
// committers (the exactly-once Kafka sink's transaction) and prunes. The job
// threads see it through exec/barriers.hpp.
//
// Restore: when the context starts, the newest checkpoint that validates (and,
// with an exactly-once Kafka sink, whose transaction committed) is read, and
// every segment restores its stages and every source shard its position.
// Ends of a job:
//   - its input ends: every participant passes on_end; then a final
//     checkpoint marked finished is written and committed (the sinks' last
//     transaction). A restart with the same folder then has nothing to do.
//   - a graceful stop: a final checkpoint is triggered at once; each source
//     shard injects its barrier and reads no more; once it completes the
//     job stops without draining (windows in flight stay in the checkpoint),
//     and a restart continues exactly there (Flink's stop-with-savepoint).
//   - a crash: the restart continues from the newest committed checkpoint.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../checkpoint/coordinator.hpp"
#include "../checkpoint/local_storage.hpp"
#include "../checkpoint/store.hpp"
#include "../core/key_group.hpp"
#include "barriers.hpp"
#include "control.hpp"

namespace spate {

/// Checkpointing options (Flink's CheckpointConfig). `interval` and `folder`
/// are required; the folder is created and must be writable (checked when
/// the context is built).
struct checkpointing {
  std::chrono::milliseconds interval{0};
  std::filesystem::path folder;
  checkpoint::checkpoint_mode mode = checkpoint::checkpoint_mode::exactly_once;
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  std::chrono::milliseconds min_pause{0};
  std::size_t tolerable_failures = 0;
  std::size_t retained = 1;
  /// Start a stateful segment empty when the checkpoint has no state for it
  /// (Flink's allowNonRestoredState); otherwise that is an error.
  bool allow_non_restored_state = false;
};

namespace exec {

/// The split a finished job's final checkpoint carries in its manifest.
inline constexpr const char* finished_marker = "spate-job-finished";

class checkpoint_runtime final : public checkpoint_hooks {
 public:
  using clock = std::chrono::steady_clock;

  explicit checkpoint_runtime(const checkpointing& o) : o_(o) {
    if (o.folder.empty()) throw std::invalid_argument("spate::checkpointing: the folder must not be empty");
    opts_.interval = o.interval;
    opts_.mode = o.mode;
    opts_.timeout = o.timeout;
    opts_.min_pause = o.min_pause;
    opts_.tolerable_failures = o.tolerable_failures;
    opts_.retained = o.retained;
    opts_.validate();
    disk_ = std::make_unique<checkpoint::local_storage>(o.folder);  // throws, naming the folder, if not writable
    store_ = std::make_unique<checkpoint::checkpoint_store>(*disk_, o.retained);
  }

  const checkpoint::checkpoint_options& options() const noexcept { return opts_; }
  const checkpointing& settings() const noexcept { return o_; }
  barrier_alignment alignment() const noexcept { return opts_.alignment(); }
  checkpoint::checkpoint_store& store() noexcept { return *store_; }

  /// A commit decision for each completed checkpoint (the Kafka sink's
  /// transaction); runs on the checkpoint thread, after n is durable. A
  /// failure fails the job: the restart takes the last committed checkpoint.
  void add_committer(std::function<void(checkpoint_id)> f) { committers_.push_back(std::move(f)); }
  /// Told when checkpoint n completed (Flink's notifyCheckpointComplete).
  void add_completion_listener(std::function<void(checkpoint_id)> f) { listeners_.push_back(std::move(f)); }
  /// Told when checkpoint n was aborted (timed out, declined, withdrawn).
  void add_abort_listener(std::function<void(checkpoint_id)> f) { abort_listeners_.push_back(std::move(f)); }
  /// The job is going down (an error, an immediate stop, a completed stop).
  bool job_aborted() const noexcept { return aborted_.load(std::memory_order_acquire); }

  /// Picks the checkpoint to restore. `committed`: the checkpoint whose
  /// transaction committed (exactly-once sinks), which must be the one.
  void choose_restore(std::optional<checkpoint_id> committed, std::size_t parallelism) {
    checkpoint::restore_rule rule;
    rule.committed = committed;
    auto choice = store_->latest(rule);
    for (const auto& w : choice.warnings) std::fprintf(stderr, "%s\n", w.c_str());
    if (!choice.checkpoint) return;
    restored_ = std::move(choice.checkpoint);
    for (const auto& s : restored_->meta.sources)
      if (s.split == finished_marker) finished_before_ = true;
    if (!finished_before_ && restored_->meta.parallelism != parallelism)
      throw checkpoint::checkpoint_error(
          "spate: checkpoint " + std::to_string(restored_->meta.id) + " in " + disk_->describe() +
          " was taken at parallelism " + std::to_string(restored_->meta.parallelism) +
          "; restoring it at parallelism " + std::to_string(parallelism) +
          " is not supported yet (run at parallelism " + std::to_string(restored_->meta.parallelism) + ")");
  }
  /// The restored checkpoint, if any.
  std::optional<checkpoint_id> restored_id() const {
    return restored_ ? std::optional<checkpoint_id>(restored_->meta.id) : std::nullopt;
  }
  /// The restored checkpoint marks the job finished: nothing is left to run.
  bool finished_before() const noexcept { return finished_before_; }

  std::size_t participant(const std::string& uid, std::size_t subtask, std::size_t subtasks) override {
    std::lock_guard lock(m_);
    auto e = std::make_unique<entry>();
    e->uid = uid;
    e->subtask = subtask;
    e->groups = key_groups{}.range_of(subtask, subtasks);
    e->name = uid + "/" + std::to_string(subtask);
    if (restored_) {
      if (auto bytes = restored_->state_of(uid, subtask)) {
        auto s = decode_segment_state(*bytes);
        if (!s)
          throw checkpoint::checkpoint_error("spate: checkpoint " + std::to_string(restored_->meta.id) +
                                             ": the state of '" + e->name + "' cannot be read: " + s.error().message());
        e->restored = std::move(*s);
      }
    }
    parts_.push_back(std::move(e));
    return parts_.size() - 1;
  }
  const segment_state* restored(std::size_t p) const override {
    std::lock_guard lock(m_);
    return parts_[p]->restored ? &*parts_[p]->restored : nullptr;
  }
  std::optional<restored_input> restored_positions(std::size_t p) const override {
    std::lock_guard lock(m_);
    if (!restored_) return std::nullopt;
    const std::string& uid = parts_[p]->uid;
    restored_input in;
    in.count = restored_->meta.parallelism;
    in.shards.resize(in.count);
    bool any = false;
    for (std::size_t i = 0; i < restored_->meta.files.size(); ++i) {
      const auto& f = restored_->meta.files[i];
      if (f.stage_uid != uid || f.subtask >= in.count) continue;
      // The position is inside the encoded segment state: kept decoded here.
      auto s = decode_segment_state(restored_->payloads[i]);
      if (!s || !s->has_position) continue;
      positions_.push_back(std::make_unique<std::string>(std::move(s->position)));
      in.shards[f.subtask] = *positions_.back();
      any = true;
    }
    if (!any) return std::nullopt;
    return in;
  }
  /// Where a restored segment lacks state: an error unless allowed.
  void missing_state(std::size_t p, std::string_view what) const override {
    if (o_.allow_non_restored_state) return;
    std::lock_guard lock(m_);
    throw checkpoint::checkpoint_error("spate: checkpoint " + std::to_string(restored_->meta.id) + " in " +
                                       disk_->describe() + " has no state for " + std::string(what) + " ('" +
                                       parts_[p]->name +
                                       "'): the job's stateful stages differ from the checkpointed job's "
                                       "(allow_non_restored_state starts such a stage empty)");
  }
  bool restoring() const override { return restored_.has_value() && !finished_before_; }
  checkpoint_id restored_checkpoint() const noexcept { return restored_ ? restored_->meta.id : 0; }

  bool await_launch() override {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return launched_ || aborted_; });
    return launched_ && !aborted_;
  }
  /// The job cannot start: threads waiting in await_launch() leave.
  void abort_launch() {
    std::lock_guard lock(m_);
    aborted_ = true;
    cv_.notify_all();
  }

  /// Once every participant registered (the job launched): the restored
  /// checkpoint's state must all have a place in the job; then the
  /// coordinator, and the job threads may go.
  void launched(std::size_t parallelism) {
    std::lock_guard lock(m_);
    if (restored_ && !finished_before_ && !o_.allow_non_restored_state)
      for (const auto& f : restored_->meta.files) {
        bool claimed = false;
        for (const auto& p : parts_) claimed |= p->uid == f.stage_uid && p->subtask == f.subtask;
        if (!claimed) {
          aborted_ = true;
          cv_.notify_all();
          throw checkpoint::checkpoint_error(
              "spate: checkpoint " + std::to_string(restored_->meta.id) + " in " + disk_->describe() +
              " has state for '" + f.stage_uid + "/" + std::to_string(f.subtask) +
              "', which the job does not have (its stages changed; allow_non_restored_state drops that state)");
        }
      }
    std::vector<std::string> names, uids;
    for (const auto& p : parts_) {
      names.push_back(p->name);
      if (std::find(uids.begin(), uids.end(), p->uid) == uids.end()) uids.push_back(p->uid);
    }
    parallelism_ = parallelism;
    coord_ = std::make_unique<checkpoint::coordinator>(
        opts_, names, checkpoint::job_shape{parallelism, default_max_parallelism, uids}, clock::now(),
        store_->next_id());
    coord_->add_listener({.on_complete = {},
                          .on_abort =
                              [this](checkpoint_id n, const std::string& why) {
                                std::fprintf(stderr, "%s\n", why.c_str());
                                for (auto& l : abort_listeners_) l(n);
                              },
                          .on_job_failure = {}});
    coord_->set_committer([this](checkpoint_id n, const std::vector<checkpoint::source_position>&) {
      for (auto& c : committers_) c(n);
    });
    acked_.assign(parts_.size(), 0);
    ended_.assign(parts_.size(), false);
    launched_ = true;
    cv_.notify_all();
  }

  void acknowledge(std::size_t p, checkpoint_id n, std::string state, std::vector<split_position> splits) override {
    std::lock_guard lock(m_);
    if (!coord_) return;
    const auto& e = *parts_[p];
    checkpoint::acknowledgement a;
    a.files.push_back({e.uid, e.subtask, e.groups, std::move(state)});
    for (auto& s : splits) a.sources.push_back({e.uid, std::move(s.split), s.offset});
    acked_[p] = n;
    if (coord_->acknowledge(n, e.name, std::move(a), clock::now()) == checkpoint::ack_status::ready) ready_ = n;
    cv_.notify_all();
  }
  void finished(std::size_t p) override {
    std::lock_guard lock(m_);
    if (!coord_ || ended_[p]) return;
    ended_[p] = true;
    ++ended_count_;
    cv_.notify_all();
  }
  void request_final() override {
    std::lock_guard lock(m_);
    final_requested_ = true;
    cv_.notify_all();
  }
  /// Wakes the checkpoint thread and threads waiting to launch (stop, abort).
  void wake(bool abort) {
    std::lock_guard lock(m_);
    if (abort) aborted_ = true;
    cv_.notify_all();
  }

  /// The checkpoint thread: runs until the job ended (and its final
  /// checkpoint is written) or aborted.
  void run(control& ctl) {
    std::unique_lock lock(m_);
    for (;;) {
      if (ctl.abort()) return;
      if (coord_->job_failed()) throw std::runtime_error(coord_->failure());
      const auto now = clock::now();
      if (ready_) {
        checkpoint_id n = ready_;
        ready_ = 0;
        if (!persist(n)) {
          if (n == final_.load()) throw std::runtime_error("spate: the final checkpoint of the stop failed");
          continue;
        }
        if (n == final_.load()) {
          lock.unlock();  // raise_abort wakes this runtime too
          ctl.raise_abort();  // stopped with a checkpoint: nothing after its barriers is kept
          return;
        }
        continue;
      }
      if (ended_count_ > 0) {
        // An input ended: the checkpoint in flight cannot complete for the
        // participants that ended before its barrier; the final one covers it.
        if (auto n = coord_->pending(); n && !coord_->persisting()) {
          bool missing = false;
          for (std::size_t i = 0; i < parts_.size(); ++i) missing |= ended_[i] && acked_[i] != *n;
          if (missing) coord_->cancel(*n, "spate: checkpoint " + std::to_string(*n) + " withdrawn: an input ended before its barrier", now);
        }
        if (ended_count_ == parts_.size() && !coord_->pending()) {
          write_final(ctl);
          return;
        }
      } else if (final_requested_ && !final_.load()) {
        if (auto n = coord_->trigger_now(now)) {
          final_.store(*n, std::memory_order_release);
          trigger_.store(*n, std::memory_order_release);
        }
      } else if (!final_.load()) {
        if (auto n = coord_->poll(now)) trigger_.store(*n, std::memory_order_release);
      }
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
  }

  /// Checkpoints completed so far (this run).
  std::size_t completed() const {
    std::lock_guard lock(m_);
    return coord_ ? coord_->completed() : 0;
  }

 private:
  struct entry {
    std::string uid, name;
    std::size_t subtask = 0;
    key_group_range groups;
    std::optional<segment_state> restored;
  };

  bool persist(checkpoint_id n) {
    bool ok = checkpoint::persist_checkpoint(*coord_, *store_, n, [] { return clock::now(); });
    if (ok)
      for (auto& l : listeners_) l(n);
    return ok;
  }

  // Every participant ended its input: the final checkpoint, no state, marked
  // finished, with the sinks' last commit.
  void write_final(control& ctl) {
    auto n = coord_->trigger_now(clock::now());
    if (!n) throw std::runtime_error("spate: the final checkpoint could not be triggered");
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      checkpoint::acknowledgement a;
      if (i == 0) a.sources.push_back({parts_[i]->uid, finished_marker, 1});
      coord_->acknowledge(*n, parts_[i]->name, std::move(a), clock::now());
    }
    if (!persist(*n)) {
      if (!ctl.abort()) throw std::runtime_error("spate: the final checkpoint of the finished job failed");
    }
  }

  checkpointing o_;
  checkpoint::checkpoint_options opts_;
  std::unique_ptr<checkpoint::local_storage> disk_;
  std::unique_ptr<checkpoint::checkpoint_store> store_;
  std::optional<checkpoint::loaded_checkpoint> restored_;
  mutable std::vector<std::unique_ptr<std::string>> positions_;
  bool finished_before_ = false;
  std::vector<std::function<void(checkpoint_id)>> committers_, listeners_, abort_listeners_;

  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<entry>> parts_;
  std::unique_ptr<checkpoint::coordinator> coord_;
  std::size_t parallelism_ = 1;
  std::vector<checkpoint_id> acked_;
  std::vector<bool> ended_;
  std::size_t ended_count_ = 0;
  checkpoint_id ready_ = 0;
  bool final_requested_ = false;
  bool launched_ = false;
  std::atomic<bool> aborted_{false};  // read lock-free by sinks waiting for a commit
};

}  // namespace exec
}  // namespace spate
