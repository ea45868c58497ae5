#pragma once
// spate::context: Spark's StreamingContext for spate jobs.
//   spate::context ctx{spate::micro_batch{1s}, spate::parallelism{2}};   // or spate::continuous{}
//   ctx.add(spate::socket_text("localhost", 9999) | ... | spate::print());
//   ctx.start();
//   ctx.await_termination();
// Rules (Spark's): add every job, then start() once; nothing can be added
// after start(); a stopped context cannot be restarted. await_termination()
// returns when every job's input has ended or stop() was called, and
// rethrows the first error (a stage_error names the failing stage).
// stop(stop_mode::graceful) ends the sources, finishes everything already
// read (closing the last batch), then returns; stop(stop_mode::immediate)
// drops what is in flight.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "../algebra/pipeline.hpp"
#include "../core/key_group.hpp"
#include "checkpointing.hpp"
#include "control.hpp"
#include "explain.hpp"
#include "checkpoint_log.hpp"
#include "job_runner.hpp"
#include "metrics.hpp"
#include "metrics_snapshot.hpp"
#include "options.hpp"
#include "plan_facts.hpp"
#include "progress.hpp"
#include "signals.hpp"
#include "stage_metrics.hpp"

namespace spate {

namespace exec {
/// The context option behind run_batch(job, parallelism{P}): the bounded
/// input is one batch (compacted, closed at the end of input, no ticks).
struct whole_input_batch {};
}  // namespace exec

enum class stop_mode { graceful, immediate };

/// The context option metering{false}: stages report no figures to
/// ctx.metrics() (they still count in a register: the cost is in the
/// publishing, see docs/observability.md). On by default.
struct metering {
  bool on = true;
};

class context {
 public:
  enum class state { initialized, active, stopped };

  /// Options: continuous{} or micro_batch{interval} (default continuous{}),
  /// parallelism{P}, max_rate{n}, queue_capacity{n}, combine_keys{n}, combine_continuous{n},
  /// checkpointing{interval, folder} (exec/checkpointing.hpp),
  /// restart_strategy (options.hpp), metering{false} (no stage figures),
  /// progress_line{...} (exec/progress.hpp), in any order.
  template <class... Opts>
  explicit context(Opts... opts) : ctl_(std::make_unique<exec::control>()) {
    ctl_->counters = &counters_;
    (apply(opts), ...);
  }
  context(const context&) = delete;
  context& operator=(const context&) = delete;
  ~context() {
    std::unique_lock lock(m_);
    if (state_ == state::active) {
      lock.unlock();
      stop(stop_mode::immediate);
    }
  }

  /// Adds a job (source | stages | sink). Only before start().
  template <Job J>
  context& add(J job) {
    std::lock_guard lock(m_);
    if (state_ != state::initialized)
      throw std::logic_error(state_ == state::active
                                 ? "spate::context::add: cannot add a pipeline to a started context (add every pipeline before start())"
                                 : "spate::context::add: cannot add a pipeline to a stopped context");
    auto runner = std::make_unique<exec::job_runner<J>>(std::move(job));
    runner->set_index(jobs_.size());
    check_unique_uids(*runner);
    facts_.push_back(exec::facts_of<J>(*runner));
    jobs_.push_back(std::move(runner));
    return *this;
  }
  /// Checkpoints keep state by identity: no two places of a context's jobs
  /// may share one (a pinned `uid` given twice).
  void check_unique_uids(const exec::job_runner_base& runner) const {
    auto ids = runner.identities();
    for (const auto& j : jobs_) {
      auto more = j->identities();
      ids.insert(ids.end(), more.begin(), more.end());
    }
    for (std::size_t a = 0; a < ids.size(); ++a)
      for (std::size_t b = a + 1; b < ids.size(); ++b)
        if (ids[a].first == ids[b].first)
          throw std::invalid_argument("spate::context::add: uid '" + ids[a].first + "' is given to " + ids[a].second +
                                      " and to " + ids[b].second + " (a uid names one place; pin another)");
  }

 public:
  /// A pipeline that failed its compile-time check already gave its message.
  context& add(error_pipeline) { return *this; }

  /// Starts every job's threads.
  void start() {
    std::lock_guard lock(m_);
    if (state_ == state::active) throw std::logic_error("spate::context::start: the context is already started");
    if (state_ == state::stopped)
      throw std::logic_error("spate::context::start: a stopped context cannot be restarted; create a new context");
    if (jobs_.empty()) throw std::logic_error("spate::context::start: no pipelines added (add a pipeline with a sink first)");
    launch_all();
    progress_ = std::make_unique<exec::progress_reporter>(stage_registry_, progress_opts_, cfg_.one_batch);
  }

 private:
  // Starts every job (start(), and each restart of the restart strategy):
  // with checkpointing, first the restore.
  void launch_all() {
    if (cfg_.batched) {
      // Batch times are multiples of the interval since the epoch, as in Spark.
      auto now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
      auto iv = cfg_.interval.count();
      cfg_.first_batch = from_millis((to_millis(now) / iv + 1) * iv);
    }
    if (ckpt_) {
      // Sinks that commit with checkpoints fence the earlier run and say
      // which checkpoint's output committed: that one is restored.
      std::vector<std::string> warnings;
      std::optional<checkpoint_id> committed;
      for (auto& j : jobs_) {
        auto c = j->prepare_checkpoints(*ckpt_, warnings);
        if (c && committed && *c != *committed)
          throw std::runtime_error("spate::context::start: the exactly-once sinks committed different checkpoints (" +
                                   std::to_string(*committed) + " and " + std::to_string(*c) + ")");
        if (c) committed = c;
      }
      for (const auto& w : warnings) std::fprintf(stderr, "%s\n", w.c_str());
      ckpt_->choose_restore(committed, cfg_.parallelism);
      if (ckpt_->finished_before()) {
        std::fprintf(stderr,
                     "spate: checkpoint %llu in %s marks the job finished: nothing to run (remove the folder to run it "
                     "again)\n",
                     static_cast<unsigned long long>(*ckpt_->restored_id()), ckpt_->settings().folder.c_str());
        state_ = state::active;
        return;
      }
      cfg_.alignment = ckpt_->alignment();
      if (cfg_.batched && !cfg_.one_batch) ckpt_->set_batches(cfg_.first_batch, cfg_.interval);
      ctl_->checkpoints = ckpt_.get();
      ckpt_->add_completion_listener([log = &checkpoint_log_, c = ckpt_.get()](checkpoint_id n) {
        auto sizes = checkpoint_sizes(*c, n);
        log->completed(n, sizes.total, std::move(sizes.by_stage));
      });
      ckpt_->add_abort_listener([log = &checkpoint_log_](checkpoint_id n) { log->aborted(n); });
      ctl_->on_wake([c = ckpt_.get(), ctl = ctl_.get()] { c->wake(ctl->abort()); });
    }
    std::size_t sinks = 0;
    for (const auto& j : jobs_) sinks += j->sink_instances(cfg_);
    ctl_->metrics.expect_sinks(sinks);
    state_ = state::active;
    // Each job's threads report their stages' figures as that job's.
    auto spawn_for = [this](std::size_t job, bool metered) {
      return [this, job, metered](std::function<void()> body) {
        {
          std::lock_guard l(done_m_);
          ++running_;
        }
        threads_.emplace_back([this, body = std::move(body), job, metered] {
          on_executor_thread() = true;
          if (metered) exec::current_metering() = {&stage_registry_, &checkpoint_log_, job, false};
          try {
            body();
          } catch (...) {
            ctl_->fail(std::current_exception());
          }
          exec::flush_rings();
          std::lock_guard l(done_m_);
          if (--running_ == 0) done_cv_.notify_all();
        });
      };
    };
    const auto spawn = spawn_for(0, false);
    try {
      for (std::size_t i = 0; i < jobs_.size(); ++i) jobs_[i]->launch(*ctl_, cfg_, spawn_for(i, metered_));
      if (ckpt_) {
        ckpt_->launched(cfg_.parallelism);
        spawn([this] { ckpt_->run(*ctl_); });
      }
    } catch (...) {
      if (ckpt_) ckpt_->abort_launch();
      ctl_->fail(std::current_exception());
    }
  }

  // After every thread ended with an error: whether the restart strategy
  // allows another attempt; if so, waits its delay and launches every job
  // again (from the newest completed checkpoint, with checkpointing).
  bool try_restart() {
    auto e = ctl_->error();
    if (!e || stop_called_ || restarts_ >= restart_.attempts || restart_.what == restart_strategy::kind::none)
      return false;
    ++restarts_;
    std::string why = "an error";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      why = x.what();
    } catch (...) {
    }
    const auto delay = restart_.delay_before(restarts_);
    std::fprintf(stderr, "spate: the job failed (%s); restart %zu of %zu in %lld ms%s\n", why.c_str(), restarts_,
                 restart_.attempts, static_cast<long long>(delay.count()),
                 ckpt_ ? ", from the newest completed checkpoint" : ", from the start (no checkpointing)");
    {
      std::lock_guard lock(m_);
      for (auto& t : threads_)
        if (t.joinable()) t.join();
      threads_.clear();
    }
    std::this_thread::sleep_for(delay);
    std::lock_guard lock(m_);
    if (stop_called_) return false;
    // A savepoint to restore from counts once: after a checkpoint of this
    // run, the restart takes the newest checkpoint instead.
    if (ckpt_opts_ && ckpt_ && ckpt_->completed() > 0) ckpt_opts_->restore_from.clear();
    ckpt_.reset();
    for (auto& j : jobs_) j->drop_checkpoints();
    stage_registry_.retire_gauges();
    ctl_ = std::make_unique<exec::control>();
    ctl_->counters = &counters_;
    try {
      if (ckpt_opts_) ckpt_ = std::make_unique<exec::checkpoint_runtime>(*ckpt_opts_);
      launch_all();
    } catch (...) {
      ctl_->fail(std::current_exception());
    }
    return true;
  }

 public:
  /// The checkpoint folder's runtime (null without checkpointing{}).
  exec::checkpoint_runtime* checkpoints() noexcept { return ckpt_.get(); }
  /// How often the restart strategy restarted the jobs so far.
  std::size_t restarts() const {
    std::lock_guard lock(m_);
    return restarts_;
  }

  /// Waits until the context stops; rethrows the error that stopped it.
  void await_termination() {
    while (!await_termination_for(std::chrono::milliseconds(50))) {
    }
  }
  /// Waits at most `timeout`; true when the context has terminated (and then
  /// rethrows its error, if any).
  template <class Rep, class Period>
  bool await_termination_for(std::chrono::duration<Rep, Period> timeout) {
    {
      std::lock_guard lock(m_);
      if (state_ == state::initialized) throw std::logic_error("spate::context::await_termination: the context was not started");
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (signals_ && exec::signals().received.load() != signal_base_) {
        exec::signals().stopping.store(true);
        stop(stop_mode::graceful);
        exec::signals().stopping.store(false);
        signal_base_ = exec::signals().received.load();
      }
      std::unique_lock l(done_m_);
      auto step = std::min<std::chrono::steady_clock::duration>(deadline - std::chrono::steady_clock::now(),
                                                                 std::chrono::milliseconds(50));
      if (done_cv_.wait_for(l, step, [&] { return running_ == 0; })) {
        l.unlock();
        if (try_restart()) continue;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
    join();
    if (auto e = ctl_->error()) std::rethrow_exception(e);
    return true;
  }

  /// Stops the context. Graceful: the sources stop reading, and whatever was
  /// read is processed to the sinks before stop() returns. Immediate: records
  /// in flight are dropped. Errors are left for await_termination().
  /// Called from inside a job (a sink, on_batch_completed), it only requests
  /// the stop; await_termination() then returns once it is done.
  void stop(stop_mode mode = stop_mode::graceful) {
    {
      std::lock_guard lock(m_);
      stop_called_ = true;
      if (state_ != state::active) {
        state_ = state::stopped;
        return;
      }
    }
    if (mode == stop_mode::graceful)
      ctl_->request_stop();
    else
      ctl_->raise_abort();
    // From inside the job (a sink, a batch listener): request only; waiting
    // here would wait for this very thread.
    if (on_executor_thread()) return;
    {
      std::unique_lock l(done_m_);
      done_cv_.wait(l, [&] { return running_ == 0; });
    }
    join();
  }

  /// Takes a savepoint while the job runs (Flink's `flink savepoint`): a
  /// checkpoint, also written into `folder`, which a job restores with
  /// checkpointing{..., .restore_from = folder} (at another parallelism too,
  /// where its stages allow). Blocks until it is written; returns its id.
  checkpoint_id savepoint(const std::filesystem::path& folder) {
    if (!ckpt_) throw std::logic_error("spate::context::savepoint: the context has no checkpointing");
    return ckpt_->savepoint(folder);
  }
  /// Stops with a savepoint (Flink's `flink stop`): the final checkpoint of
  /// the graceful stop is also written into `folder`.
  void stop_with_savepoint(const std::filesystem::path& folder) {
    if (!ckpt_) throw std::logic_error("spate::context::stop_with_savepoint: the context has no checkpointing");
    ckpt_->savepoint(folder, /*on_stop=*/true);
    stop(stop_mode::graceful);
    if (auto e = ctl_->error()) std::rethrow_exception(e);
  }

  /// Stop gracefully on SIGINT or SIGTERM (checked by await_termination);
  /// a second signal exits the process at once.
  void stop_on_signals() {
    signal_base_ = exec::install_stop_signals();
    signals_ = true;
  }

  state current_state() const {
    std::lock_guard lock(m_);
    return state_;
  }
  /// The plan of every job added so far, under this context's options: which
  /// threads run which stages and what joins them (a shuffle at each
  /// key_by, the sink thread).
  std::vector<exec::plan> plans() const {
    std::lock_guard lock(m_);
    std::vector<exec::plan> out;
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      out.push_back(jobs_[i]->make_plan(cfg_));
      facts_[i].fill(out.back(), i, cfg_.batched);
    }
    return out;
  }
  /// The plans, one job after another: as text (each segment's line, then
  /// the stages that keep state and why its fused loop ends there), as
  /// Graphviz DOT or as JSON (exec/explain.hpp, docs/observability.md).
  std::string explain(explain_format format = explain_format::text) const { return exec::explain(plans(), format); }
  /// Completed micro-batches (the latest 1000), oldest first.
  std::vector<batch_metrics> batches() const { return ctl_->metrics.history(); }
  /// The counters rich functions made (runtime_context::counter), each
  /// summed over the stage's instances, by "<stage uid>/<name>"; restarts of
  /// a restart strategy add to them (records replayed are counted again).
  std::map<std::string, std::uint64_t> counters() const { return counters_.read(); }
  /// Every figure of the running (or finished) context at this moment:
  /// per stage records in and out and watermarks, micro-batches,
  /// checkpoints, counters (exec/metrics_snapshot.hpp). Counts reach it
  /// within a tick of being made; thread-safe, cheap enough to call each
  /// second.
  metrics_snapshot metrics() const {
    metrics_snapshot m;
    m.taken_ms = to_millis(std::chrono::time_point_cast<duration>(std::chrono::system_clock::now()));
    const auto readings = stage_registry_.read();
    const auto boundaries = stage_registry_.read_boundaries();
    for (const auto& p : plans()) {
      exec::add_stage_metrics(m.stages, p, readings, m.taken_ms);
      exec::add_boundary_metrics(m.boundaries, p, boundaries);
    }
    exec::add_branch_metrics(m.stages, stage_registry_, readings, m.taken_ms);
    exec::add_branch_boundaries(m.boundaries, stage_registry_, boundaries);
    exec::add_partition_metrics(m.partitions, stage_registry_.read_partitions());
    {
      std::lock_guard lock(m_);
      m.restarts = restarts_;
      m.batches = ctl_->metrics.history();
      m.batches_completed = ctl_->metrics.completed();
    }
    m.checkpoints = checkpoint_log_.read();
    exec::add_state_bytes(m.stages, checkpoint_log_.last_stage_bytes());
    m.counters = counters_.read();
    return m;
  }
  /// Calls f after each completed micro-batch (from an executor thread).
  void on_batch_completed(std::function<void(const batch_metrics&)> f) { ctl_->metrics.add_listener(std::move(f)); }

 private:
  void apply(continuous c) {
    cfg_.batched = false;
    cfg_.tick = c.tick;
  }
  void apply(micro_batch m) {
    if (m.interval.count() <= 0) throw std::invalid_argument("spate::micro_batch: the interval must be positive");
    cfg_.batched = true;
    cfg_.interval = m.interval;
  }
  void apply(parallelism p) {
    if (p.value == 0) throw std::invalid_argument("spate::parallelism: must be at least 1");
    key_groups{}.check(p.value);  // every worker owns at least one key group
    cfg_.parallelism = p.value;
  }
  void apply(exec::whole_input_batch) {
    cfg_.batched = true;
    cfg_.one_batch = true;
  }
  void apply(max_rate r) { cfg_.max_rate = r.per_second; }
  void apply(queue_capacity q) { cfg_.queue_capacity = q.value; }
  void apply(combine_keys c) { cfg_.combine_keys = c.keys; }
  void apply(combine_continuous c) { cfg_.combine_continuous_keys = c.keys; }
  void apply(const checkpointing& c) {
    ckpt_ = std::make_unique<exec::checkpoint_runtime>(c);
    ckpt_opts_ = c;
  }
  void apply(restart_strategy r) { restart_ = r; }
  void apply(metering m) { metered_ = m.on; }
  void apply(progress_line p) { progress_opts_ = p; }

  // The size of checkpoint n's state files, from its manifest (0 if unreadable).
  // Checkpoint n's state files on disk, in all and by stage uid (summed over subtasks).
  struct sizes {
    std::uint64_t total = 0;
    std::map<std::string, std::uint64_t> by_stage;
  };
  static sizes checkpoint_sizes(exec::checkpoint_runtime& rt, checkpoint_id n) {
    sizes out;
    auto bytes = rt.store().backend().read(checkpoint::detail::join(checkpoint::checkpoint_folder(n), checkpoint::manifest_name));
    if (!bytes) return out;
    auto m = checkpoint::decode_manifest(*bytes);
    if (!m) return out;
    for (const auto& f : m->files) {
      out.total += f.size;
      out.by_stage[f.stage_uid] += f.size;
    }
    return out;
  }

  static bool& on_executor_thread() {
    thread_local bool yes = false;
    return yes;
  }

  void join() {
    std::lock_guard lock(m_);
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
    if (progress_) progress_->finish();
    state_ = state::stopped;
  }

  mutable std::mutex m_;
  state state_ = state::initialized;
  exec::exec_config cfg_;
  counter_registry counters_;  // before ctl_, which points to it
  std::unique_ptr<exec::control> ctl_;
  std::unique_ptr<exec::checkpoint_runtime> ckpt_;
  std::optional<checkpointing> ckpt_opts_;
  restart_strategy restart_;
  std::size_t restarts_ = 0;
  bool stop_called_ = false;
  std::vector<std::unique_ptr<exec::job_runner_base>> jobs_;
  std::vector<exec::job_facts> facts_;  // jobs_[i]'s, for its plan
  exec::stage_registry stage_registry_;  // every stage instance's figures, across restarts
  exec::checkpoint_log checkpoint_log_;
  bool metered_ = true;
  progress_line progress_opts_;
  std::unique_ptr<exec::progress_reporter> progress_;
  std::vector<std::thread> threads_;
  std::mutex done_m_;
  std::condition_variable done_cv_;
  std::size_t running_ = 0;
  bool signals_ = false;
  unsigned signal_base_ = 0;
};

/// run(job, parallelism{P}): the job to the end of its input, record at a
/// time, on P workers: the plan a context with continuous{} and
/// parallelism{P} runs (context::explain() shows it), without writing the
/// context. Rethrows the first error. parallelism{1} is run(job). Further
/// options are the context's (combine_continuous{}, queue_capacity{n}, ...).
template <Job J, class... Opts>
void run(const J& j, parallelism p, Opts... opts) {
  if (p.value <= 1) return run(j);
  context ctx{continuous{}, p, opts...};
  ctx.add(j);
  ctx.start();
  ctx.await_termination();
}
/// run_batch(job, parallelism{P}): the bounded input as one batch (keyed
/// aggregations emit their final value per key once, at the end), on P
/// workers: each source shard closes the one batch at its end of input.
template <Job J>
void run_batch(const J& j, parallelism p) {
  if (p.value <= 1) return run_batch(j);
  context ctx{exec::whole_input_batch{}, p};
  ctx.add(j);
  ctx.start();
  ctx.await_termination();
}
/// The plan of `job` under a context made with `opts` (continuous{} or
/// micro_batch{...}, parallelism{P}, ...), without running it:
///   std::cout << spate::explain(job, spate::explain_format::dot, spate::parallelism{4});
template <Job J, class... Opts>
std::string explain(const J& job, explain_format format = explain_format::text, Opts... opts) {
  context ctx{opts...};
  ctx.add(job);
  return ctx.explain(format);
}
inline void run(error_pipeline, parallelism) {}
inline void run_batch(error_pipeline, parallelism) {}

}  // namespace spate
