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
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
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
  std::filesystem::path folder{};
  checkpoint::checkpoint_mode mode = checkpoint::checkpoint_mode::exactly_once;
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  std::chrono::milliseconds min_pause{0};
  std::size_t tolerable_failures = 0;
  std::size_t retained = 1;
  /// Start a stateful segment empty when the checkpoint has no state for it
  /// (Flink's allowNonRestoredState); otherwise that is an error.
  bool allow_non_restored_state = false;
  /// Restore from this savepoint folder (context::savepoint) instead of the
  /// newest checkpoint in `folder` (Flink's `run -s`).
  std::filesystem::path restore_from{};
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
  /// One object per key for the whole context (sinks that share one
  /// transaction): made by `make` the first time.
  template <class T, class Make>
  std::shared_ptr<T> shared(const std::string& key, Make&& make) {
    auto it = shared_.find(key);
    if (it != shared_.end()) return std::static_pointer_cast<T>(it->second);
    std::shared_ptr<T> made = make();
    shared_.emplace(key, made);
    return made;
  }
  /// How many shared objects have a key starting with `prefix`; whether `key` has one.
  std::size_t shared_count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& [k, v] : shared_) n += k.starts_with(prefix) ? 1 : 0;
    return n;
  }
  bool has_shared(const std::string& key) const { return shared_.count(key) != 0; }
  /// Told when checkpoint n was aborted (timed out, declined, withdrawn).
  void add_abort_listener(std::function<void(checkpoint_id)> f) { abort_listeners_.push_back(std::move(f)); }
  /// The job is going down (an error, an immediate stop, a completed stop).
  bool job_aborted() const noexcept { return aborted_.load(std::memory_order_acquire); }

  /// Picks the checkpoint to restore. `committed`: the checkpoint whose
  /// transaction committed (exactly-once sinks), which must be the one.
  void choose_restore(std::optional<checkpoint_id> committed, std::size_t parallelism) {
    if (!o_.restore_from.empty()) {
      checkpoint::local_storage sp(o_.restore_from);
      restored_ = checkpoint::load_savepoint(sp, "");  // throws unless it validates
      if (committed && *committed > restored_->meta.id)
        std::fprintf(stderr,
                     "spate: restoring savepoint %llu while the exactly-once sink committed checkpoint %llu: the "
                     "output after the savepoint is written again\n",
                     static_cast<unsigned long long>(restored_->meta.id), static_cast<unsigned long long>(*committed));
      (void)parallelism;
      return;
    }
    checkpoint::restore_rule rule;
    rule.committed = committed;
    auto choice = store_->latest(rule);
    for (const auto& w : choice.warnings) std::fprintf(stderr, "%s\n", w.c_str());
    if (!choice.checkpoint) return;
    restored_ = std::move(choice.checkpoint);
    for (const auto& s : restored_->meta.sources)
      if (s.split == finished_marker) finished_before_ = true;
    (void)parallelism;  // another parallelism: each stage says whether its state can move
  }
  /// The restored checkpoint, if any.
  std::optional<checkpoint_id> restored_id() const {
    return restored_ ? std::optional<checkpoint_id>(restored_->meta.id) : std::nullopt;
  }
  /// The restored checkpoint marks the job finished: nothing is left to run.
  bool finished_before() const noexcept { return finished_before_; }

  std::size_t participant(const std::string& name, std::size_t subtask, std::size_t subtasks,
                          const std::vector<std::string>& uids) override {
    std::lock_guard lock(m_);
    auto e = std::make_unique<entry>();
    e->name = name + " (" + std::to_string(subtask) + " of " + std::to_string(subtasks) + ")";
    e->subtask = subtask;
    e->groups = key_groups{}.range_of(subtask, subtasks);
    e->uids = uids;
    for (const auto& u : uids)
      if (!u.empty() && std::find(claimed_.begin(), claimed_.end(), u) == claimed_.end()) claimed_.push_back(u);
    parts_.push_back(std::move(e));
    return parts_.size() - 1;
  }
  std::vector<std::string_view> restored_stage(const std::string& uid, std::size_t subtask,
                                               std::size_t subtasks) const override {
    std::vector<std::string_view> out;
    if (!restoring()) return out;
    const bool same = restored_subtasks(uid) == subtasks;
    std::vector<std::pair<std::size_t, std::string_view>> all;
    for (std::size_t i = 0; i < restored_->meta.files.size(); ++i) {
      const auto& f = restored_->meta.files[i];
      if (f.stage_uid != uid || (same && f.subtask != subtask)) continue;
      all.emplace_back(f.subtask, restored_->payloads[i]);
    }
    std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (auto& [sub, bytes] : all) out.push_back(bytes);
    return out;
  }
  std::size_t restored_subtasks(const std::string& uid) const override {
    if (!restored_) return 0;
    std::size_t n = 0;
    for (const auto& f : restored_->meta.files)
      if (f.stage_uid == uid) ++n;
    return n;
  }
  std::optional<restored_input> restored_positions(const std::string& uid) const override {
    if (!restoring()) return std::nullopt;
    restored_input in;
    in.count = restored_subtasks(uid);
    if (in.count == 0) return std::nullopt;
    in.shards.resize(in.count);
    for (std::size_t i = 0; i < restored_->meta.files.size(); ++i) {
      const auto& f = restored_->meta.files[i];
      if (f.stage_uid == uid && f.subtask < in.count) in.shards[f.subtask] = restored_->payloads[i];
    }
    return in;
  }
  /// Where a restored stage lacks state: an error unless allowed.
  void missing_state(const std::string& uid) const override {
    if (o_.allow_non_restored_state) return;
    throw checkpoint::checkpoint_error("spate: checkpoint " + std::to_string(restored_->meta.id) + " in " +
                                       disk_->describe() + " has no state for stage '" + uid +
                                       "': the job's stateful stages differ from the checkpointed job's "
                                       "(allow_non_restored_state starts such a stage empty)");
  }
  bool restoring() const override { return restored_.has_value() && !finished_before_; }
  checkpoint_id restored_checkpoint() const noexcept { return restored_ ? restored_->meta.id : 0; }

  bool await_launch() override {
    std::unique_lock lock(m_);
    while (!launched_ && !aborted_) cv_.wait_for(lock, std::chrono::milliseconds(20));
    return launched_ && !aborted_;
  }
  /// The job cannot start: threads waiting in await_launch() leave.
  void abort_launch() {
    std::lock_guard lock(m_);
    aborted_ = true;
    cv_.notify_all();
  }

  /// Micro-batch: batch k ends at first + k x interval; a checkpoint's
  /// barriers go in after the end of a batch every shard has yet to close.
  void set_batches(event_time first, duration interval) {
    std::lock_guard lock(m_);
    first_batch_ = first;
    batch_interval_ = interval;
    batched_ = true;
  }

  /// Once every participant registered (the job launched): the restored
  /// checkpoint's state must all have a place in the job; then the
  /// coordinator, and the job threads may go.
  void launched(std::size_t parallelism) {
    std::lock_guard lock(m_);
    if (restoring() && !o_.allow_non_restored_state)
      for (const auto& f : restored_->meta.files) {
        if (std::find(claimed_.begin(), claimed_.end(), f.stage_uid) != claimed_.end()) continue;
        aborted_ = true;
        cv_.notify_all();
        throw checkpoint::checkpoint_error(
            "spate: checkpoint " + std::to_string(restored_->meta.id) + " in " + disk_->describe() +
            " has state for stage '" + f.stage_uid +
            "', which the job does not have (its stages changed; allow_non_restored_state drops that state)");
      }
    std::vector<std::string> names, uids = claimed_;
    uids.push_back(job_uid);
    for (const auto& p : parts_) names.push_back(p->name);
    parallelism_ = parallelism;
    coord_ = std::make_unique<checkpoint::coordinator>(
        opts_, names, checkpoint::job_shape{parallelism, default_max_parallelism, uids}, clock::now(),
        store_->next_id());
    coord_->add_listener({.on_complete = {},
                          .on_abort =
                              [this](checkpoint_id n, const std::string& why) {
                                std::fprintf(stderr, "%s\n", why.c_str());
                                last_abort_reason_ = why;
                                for (auto& l : abort_listeners_) l(n);
                                if (savepoint_path_ && n == savepoint_id_ && !savepoint_on_stop_) {
                                  savepoint_error_ = "spate: savepoint " + std::to_string(n) + " failed: " + why;
                                  savepoint_done_ = true;
                                  cv_.notify_all();
                                }
                                if (n == final_.load()) final_.store(0);  // the stop triggers another
                              },
                          .on_job_failure = {}});
    coord_->set_committer([this](checkpoint_id n, const std::vector<checkpoint::source_position>&) {
      try {
        for (auto& c : committers_) c(n);
      } catch (...) {
        // The transaction's outcome may be unknown: the job fails, the
        // folder stays, and the restart takes the checkpoint the marker names.
        commit_error_ = std::current_exception();
        throw;
      }
    });
    acked_.assign(parts_.size(), 0);
    ended_.assign(parts_.size(), false);
    last_.assign(parts_.size(), {});
    launched_ = true;
    cv_.notify_all();
  }

  void acknowledge(std::size_t p, checkpoint_id n, std::vector<state_entry> files,
                   std::vector<split_position> splits) override {
    std::lock_guard lock(m_);
    if (!coord_) return;
    const auto& e = *parts_[p];
    checkpoint::acknowledgement a;
    std::string source;
    for (auto& f : files) {
      if (f.is_source) source = f.uid;
      a.files.push_back({std::move(f.uid), e.subtask, e.groups, std::move(f.bytes)});
    }
    for (auto& sp : splits) a.sources.push_back({source, std::move(sp.split), sp.offset});
    acked_[p] = n;
    if (coord_->acknowledge(n, e.name, std::move(a), clock::now()) == checkpoint::ack_status::ready) ready_ = n;
    cv_.notify_all();
  }
  void finished(std::size_t p, std::vector<state_entry> last) override {
    std::lock_guard lock(m_);
    if (!coord_ || ended_[p]) return;
    ended_[p] = true;
    // One that had ended before the restored checkpoint did not run: what
    // the checkpoint held for it goes on into the next ones.
    last_[p] = is_restored_finished(p) ? restored_files(p) : std::move(last);
    ++ended_count_;
    // The checkpoint in flight: p ended before its barrier reached p (its
    // end went downstream first, so the others' snapshots include it).
    if (auto n = coord_->pending(); n && acked_[p] != *n && !coord_->persisting()) ack_finished(p, *n);
    cv_.notify_all();
  }
  bool restored_finished(std::size_t p) const override {
    std::lock_guard lock(m_);
    return is_restored_finished(p);
  }
  void request_final() override {
    std::lock_guard lock(m_);
    final_requested_ = true;
    cv_.notify_all();
  }
  /// Takes a savepoint now: a checkpoint, also copied into `folder` (never
  /// pruned), which a job restores with checkpointing::restore_from. Blocks
  /// until it is written; returns its id. `on_stop`: it is the final
  /// checkpoint of a graceful stop (then it returns at once).
  checkpoint_id savepoint(const std::filesystem::path& folder, bool on_stop = false) {
    std::unique_lock lock(m_);
    if (!launched_ || run_exited_.load())
      throw std::logic_error("spate: a savepoint needs a running job (start() it first; it has not ended)");
    if (savepoint_path_) throw std::logic_error("spate: a savepoint is already being taken");
    savepoint_path_ = folder;
    savepoint_id_ = 0;
    savepoint_done_ = false;
    savepoint_error_.clear();
    savepoint_on_stop_ = on_stop;
    cv_.notify_all();
    if (on_stop) return 0;
    while (!savepoint_done_ && !aborted_.load() && !run_exited_.load()) cv_.wait_for(lock, std::chrono::milliseconds(20));
    savepoint_path_.reset();
    if (!savepoint_done_)
      throw std::runtime_error(run_exited_.load() ? "spate: the savepoint was not taken: the job ended first"
                                                  : "spate: the savepoint was not taken: the job stopped or failed");
    if (!savepoint_error_.empty()) throw std::runtime_error(savepoint_error_);
    return savepoint_id_;
  }

  /// Wakes the checkpoint thread and threads waiting to launch (stop, abort).
  void wake(bool abort) {
    // No lock: this runs from control::wake_all, which a listener on the
    // checkpoint thread (holding m_) may call (ctx.stop()). Waits are timed.
    if (abort) aborted_ = true;
    cv_.notify_all();
  }

  /// The checkpoint thread: runs until the job ended (and its final
  /// checkpoint is written) or aborted.
  void run(control& ctl) {
    struct exited {
      checkpoint_runtime* rt;
      ~exited() {
        rt->run_exited_.store(true);
        rt->cv_.notify_all();
      }
    } on_exit{this};
    std::unique_lock lock(m_);
    for (;;) {
      if (commit_error_) std::rethrow_exception(commit_error_);
      if (ctl.abort()) return;
      if (coord_->job_failed()) throw std::runtime_error(coord_->failure());
      const auto now = clock::now();
      if (ready_) {
        checkpoint_id n = ready_;
        ready_ = 0;
        const bool ok = persist(n);
        if (savepoint_path_ && (n == savepoint_id_ || (savepoint_on_stop_ && n == final_.load()))) {
          savepoint_id_ = n;
          if (!ok) savepoint_error_ = "spate: savepoint " + std::to_string(n) + " failed (see the checkpoint's error above)";
          else {
            try {
              copy_to_savepoint(n, *savepoint_path_);
            } catch (const std::exception& e) {
              savepoint_error_ = e.what();
            }
          }
          savepoint_done_ = true;
          cv_.notify_all();
          if (savepoint_on_stop_ && !savepoint_error_.empty()) throw std::runtime_error(savepoint_error_);
        }
        if (!ok) {
          if (n == final_.load())
            throw std::runtime_error("spate: the final checkpoint of the stop failed: " + last_abort_reason_);
          continue;
        }
        if (n == final_.load()) {
          lock.unlock();  // raise_abort wakes this runtime too
          ctl.raise_abort();  // stopped with a checkpoint: nothing after its barriers is kept
          return;
        }
        continue;
      }
      if (ended_count_ == parts_.size()) {
        if (!coord_->pending()) {
          write_final(ctl);
          return;
        }
      } else if (savepoint_path_ && !savepoint_id_ && !savepoint_on_stop_ && !final_.load()) {
        if (auto n = coord_->trigger_now(now)) {
          savepoint_id_ = *n;
          publish(*n);
          ack_all_finished(*n);
        }
      } else if (final_requested_ && !final_.load()) {
        if (auto n = coord_->trigger_now(now)) {
          final_.store(*n, std::memory_order_release);
          publish(*n);
          ack_all_finished(*n);
        }
      } else if (!final_.load()) {
        if (auto n = coord_->poll(now)) {
          publish(*n);
          ack_all_finished(*n);
        }
      }
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
  }

  /// Checkpoints completed so far (this run).
  std::size_t completed() const noexcept { return completed_.load(std::memory_order_acquire); }

 private:
  static constexpr const char* job_uid = "job";
  static constexpr const char* finished_prefix = "finished:";
  struct entry {
    std::string name;
    std::size_t subtask = 0;
    key_group_range groups;
    std::vector<std::string> uids;  // its stateful stages and source
  };

  void copy_to_savepoint(checkpoint_id n, const std::filesystem::path& to) {
    auto c = store_->load(n);
    if (!c) throw checkpoint::checkpoint_error(c.error().message());
    checkpoint::checkpoint_content content;
    content.id = n;
    content.parallelism = c->meta.parallelism;
    content.max_parallelism = c->meta.max_parallelism;
    content.stage_uids = c->meta.stage_uids;
    for (std::size_t i = 0; i < c->meta.files.size(); ++i) {
      const auto& f = c->meta.files[i];
      content.files.push_back({f.stage_uid, f.subtask, f.groups, c->payloads[i]});
    }
    content.sources = c->meta.sources;
    checkpoint::local_storage sp(to);
    checkpoint::write_savepoint(sp, "", std::move(content));
  }

  bool is_restored_finished(std::size_t p) const {
    if (!restoring()) return false;
    const std::string split = finished_prefix + parts_[p]->name;
    for (const auto& s : restored_->meta.sources)
      if (s.source_uid == job_uid && s.split == split) return true;
    return false;
  }
  // The files the restored checkpoint holds for participant p.
  std::vector<state_entry> restored_files(std::size_t p) const {
    std::vector<state_entry> out;
    const auto& e = *parts_[p];
    for (std::size_t i = 0; i < restored_->meta.files.size(); ++i) {
      const auto& f = restored_->meta.files[i];
      if (f.subtask == e.subtask && std::find(e.uids.begin(), e.uids.end(), f.stage_uid) != e.uids.end())
        out.push_back({f.stage_uid, restored_->payloads[i]});
    }
    return out;
  }

  // A participant that ended its input acknowledges every later checkpoint
  // with the mark that it is finished (its state is no longer needed).
  void ack_finished(std::size_t p, checkpoint_id n) {
    checkpoint::acknowledgement a;
    a.sources.push_back({job_uid, finished_prefix + parts_[p]->name, 1});
    for (const auto& f : last_[p]) a.files.push_back({f.uid, parts_[p]->subtask, parts_[p]->groups, f.bytes});
    acked_[p] = n;
    if (coord_->acknowledge(n, parts_[p]->name, std::move(a), clock::now()) == checkpoint::ack_status::ready) ready_ = n;
  }
  // Publishes checkpoint n to the sources (micro-batch: with the batch it
  // follows, one whole interval ahead, so no shard has closed it yet).
  void publish(checkpoint_id n) {
    if (batched_) {
      const auto now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
      const auto ahead = now + batch_interval_;
      std::int64_t k = 0;
      if (ahead > first_batch_) k = (ahead - first_batch_ + batch_interval_ - duration{1}) / batch_interval_;
      publish_trigger(n, static_cast<std::uint64_t>(k));
      return;
    }
    publish_trigger(n, 0);
  }
  void ack_all_finished(checkpoint_id n) {
    for (std::size_t i = 0; i < parts_.size(); ++i)
      if (ended_[i]) ack_finished(i, n);
  }

  bool persist(checkpoint_id n) {
    auto content = coord_->take_content(n);
    try {
      store_->write(content);
    } catch (const std::exception& e) {
      try {
        store_->discard(n);
      } catch (const std::exception&) {
      }
      coord_->persist_failed(n, e.what(), clock::now());
      return false;
    }
    if (!coord_->persisted(n, clock::now())) {
      if (commit_error_) std::rethrow_exception(commit_error_);
      try {
        store_->discard(n);
      } catch (const std::exception&) {
      }
      return false;
    }
    store_->prune(n, coord_->options().retained);
    completed_.fetch_add(1, std::memory_order_acq_rel);
    for (auto& l : listeners_) l(n);
    return true;
  }

  // Every participant ended its input: the final checkpoint, no state, marked
  // finished, with the sinks' last commit.
  void write_final(control& ctl) {
    auto n = coord_->trigger_now(clock::now());
    if (!n) throw std::runtime_error("spate: the final checkpoint could not be triggered");
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      checkpoint::acknowledgement a;
      if (i == 0) a.sources.push_back({job_uid, finished_marker, 1});
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
  bool finished_before_ = false;
  std::vector<std::function<void(checkpoint_id)>> committers_, listeners_, abort_listeners_;
  std::map<std::string, std::shared_ptr<void>> shared_;

  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<entry>> parts_;
  std::vector<std::string> claimed_;  // the uids of the job's stateful stages and sources
  std::unique_ptr<checkpoint::coordinator> coord_;
  std::size_t parallelism_ = 1;
  std::vector<checkpoint_id> acked_;
  std::vector<bool> ended_;
  std::vector<std::vector<state_entry>> last_;  // what an ended participant's acknowledgements carry
  std::size_t ended_count_ = 0;
  checkpoint_id ready_ = 0;
  bool final_requested_ = false;
  bool launched_ = false;
  std::atomic<bool> run_exited_{false};
  std::atomic<std::size_t> completed_{0};
  std::exception_ptr commit_error_;
  std::string last_abort_reason_;
  bool batched_ = false;
  event_time first_batch_{};
  duration batch_interval_{1000};
  std::optional<std::filesystem::path> savepoint_path_;
  checkpoint_id savepoint_id_ = 0;
  bool savepoint_done_ = false, savepoint_on_stop_ = false;
  std::string savepoint_error_;
  std::atomic<bool> aborted_{false};  // read lock-free by sinks waiting for a commit
};

}  // namespace exec
}  // namespace spate
