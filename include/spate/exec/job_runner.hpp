#pragma once
// How one job becomes threads: the plan (plan.hpp), and the one function
// that starts a segment of it (spawn_segment).
//   parallelism 1: one thread runs the whole job fused (source -> sink).
//   parallelism P: the job is cut at every key_by:
//     P source threads, each running its shard through stages [0, k1) into a
//       shuffle (or, without key_by, through every stage);
//     for each key_by k_j, P worker threads, each running stages (k_j, k_j+1)
//       fused (up to the next key_by's shuffle, or to the end), fed by P
//       channels: every key's state lives in one worker of each level;
//     the sink: a sink that may run one instance per worker (per_worker_sink:
//       sum_into, collect_into, for_each(f).per_worker(), ...) ends each of
//       the last P segments in the same thread, so a pipeline without key_by
//       is P fully fused loops with no queue at all; any other sink (print,
//       a user sink) is built once on a sink thread fed by the last P
//       workers, so it never races and print() writes one header per batch.
// Records that cross a thread are converted to owned types (owned.hpp), and
// the segments after the cut are built for those types.
#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/key_by.hpp"
#include "../algebra/pipeline.hpp"
#include "../algebra/rich.hpp"
#include "../fuse/build.hpp"
#include "barriers.hpp"
#include "control.hpp"
#include "owned.hpp"
#include "plan.hpp"
#include "shuffle.hpp"
#include "source_loop.hpp"

namespace spate::exec {

class checkpoint_runtime;  // checkpointing.hpp

/// A sink that may run one instance per worker: it declares
/// `static constexpr bool per_worker_instances = true` and either builds instances
/// that may run side by side (build) or has build_part(env, label, shard),
/// an instance that writes worker part shard.index of shard.count (merged
/// into the user's target at control points, see io/collect.hpp).
template <class Sink>
concept per_worker_sink = requires {
  { Sink::per_worker_instances } -> std::convertible_to<bool>;
} && bool(Sink::per_worker_instances);

/// Builds sink instance `sh` of `sink` for flow Flow.
template <class Flow, class Sink, class Env>
auto build_sink_part(const Sink& sink, Env& env, stage_label label, shard sh) {
  if constexpr (requires { sink.template build_part<Flow>(env, label, sh); })
    return sink.template build_part<Flow>(env, label, sh);
  else
    return sink.template build<Flow>(env, label);
}

/// A fan_out with a branch that has a key_by of its own: under parallelism
/// the runner launches each such branch's stages after its key_by and gives
/// the fan-out the shuffles that feed them (its "tails", algebra/fan_out.hpp).
template <class Sink>
concept fan_out_with_keyed_branches = requires {
  { Sink::any_key_by } -> std::convertible_to<bool>;
  Sink::branch_count;
} && bool(Sink::any_key_by);

/// Wraps the user's sink: reports batch completion to the metrics.
/// `part` says which instance it is when the sink runs per worker; `tails`,
/// for a fan_out with keyed branches, what the runner launched behind them.
template <class Sink, bool Part = false, class Tails = void>
struct metered_sink {
  static constexpr const char* name = Sink::name;
  using is_metered_sink = void;  // the user's sink (a segment ending here holds its state)
  const Sink* sink;
  control* ctl;
  shard part{0, 1};
  const Tails* tails = nullptr;
  template <class Inner>
  struct built {
    Inner inner;
    control* ctl;
    std::size_t id;  // this instance in the metrics
    template <class R>
    bool push(R&& r) {
      return inner.push(std::forward<R>(r));
    }
    // A sink that takes keys (fan_out, whose branches may aggregate per key).
    template <class K, class R>
      requires requires(Inner& i, const K& k, R&& r) { i.push_keyed(k, std::forward<R>(r)); }
    bool push_keyed(const K& k, R&& r) {
      return inner.push_keyed(k, std::forward<R>(r));
    }
    void on_watermark(event_time t) { inner.on_watermark(t); }
    void on_barrier(checkpoint_id id) { inner.on_barrier(id); }
    void on_batch_end(const batch_info& b) {
      inner.on_batch_end(b);
      ctl->metrics.sink_done(id, b.number, b.time, std::chrono::system_clock::now());
    }
    void on_tick(event_time now) { inner.on_tick(now); }
    void on_idle(bool idle) { inner.on_idle(idle); }
    void on_end() {
      inner.on_end();
      ctl->metrics.sink_ended(id, std::chrono::system_clock::now());
    }
    // A sink with state is checkpointed like any stage (chain_snapshot.hpp).
    static constexpr bool keeps_state = [] {
      if constexpr (requires { Inner::keeps_state; })
        return bool(Inner::keeps_state);
      else
        return false;
    }();
    void snapshot(std::string& out) const
      requires stateful_stage<Inner>
    {
      inner.snapshot(out);
    }
    bool restore(std::string_view in)
      requires stateful_stage<Inner>
    {
      return inner.restore(in);
    }
    // Keyed state of a sink (a fan_out's branches) moves to another parallelism.
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
      requires requires(Inner& i) { i.restore_rescaled(parts, mine); }
    {
      return inner.restore_rescaled(parts, mine);
    }
  };
  template <class Flow, class Env>
  auto build(Env& env, stage_label label) const {
    if constexpr (!std::is_void_v<Tails> && Part) {
      using Inner = decltype(sink->template build_part<Flow>(env, label, part, *tails));
      return built<Inner>{sink->template build_part<Flow>(env, label, part, *tails), ctl, ctl->metrics.join_sink()};
    } else if constexpr (!std::is_void_v<Tails>) {
      using Inner = decltype(sink->template build<Flow>(env, label, *tails));
      return built<Inner>{sink->template build<Flow>(env, label, *tails), ctl, ctl->metrics.join_sink()};
    } else if constexpr (Part) {
      using Inner = decltype(build_sink_part<Flow>(*sink, env, label, part));
      return built<Inner>{build_sink_part<Flow>(*sink, env, label, part), ctl, ctl->metrics.join_sink()};
    } else {
      using Inner = decltype(sink->template build<Flow>(env, label));
      return built<Inner>{sink->template build<Flow>(env, label), ctl, ctl->metrics.join_sink()};
    }
  }
};

namespace detail {
/// The index of the first key_by at or after `from` (sizeof...(Ds) if none).
template <class... Ds>
constexpr std::size_t first_key_by(const std::tuple<Ds...>*, std::size_t from = 0) {
  constexpr bool is[] = {is_key_by_v<Ds>..., false};
  for (std::size_t i = from; i < sizeof...(Ds); ++i)
    if (is[i]) return i;
  return sizeof...(Ds);
}
template <std::size_t K, class Tuple>
auto take_front(const Tuple& t) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) { return std::tuple(std::get<I>(t)...); }(
      std::make_index_sequence<K>{});
}
template <class Flow, class Tuple, std::size_t From, std::size_t To, bool = (From == To)>
struct flow_between_s {
  using type = Flow;
};
template <class Flow, class Tuple, std::size_t From, std::size_t To>
struct flow_between_s<Flow, Tuple, From, To, false> {
  using type = typename flow_between_s<typename std::tuple_element_t<From, Tuple>::template output<Flow>, Tuple,
                                       From + 1, To>::type;
};
/// The flow after stages [From, To) of Tuple, starting from Flow.
template <class Flow, class Tuple, std::size_t From, std::size_t To>
using flow_between = typename flow_between_s<Flow, Tuple, From, To>::type;
}  // namespace detail

/// A stage's, source's or sink's name for plans and messages.
template <class T>
constexpr std::string_view name_of() {
  if constexpr (requires { T::name; })
    return T::name;
  else
    return "user stage";
}

/// A job held by a context; launches its threads when the context starts.
class job_runner_base {
 public:
  virtual ~job_runner_base() = default;
  /// Starts the job's threads through `spawn`, which runs a body on a new
  /// thread and reports its exception to the context.
  virtual void launch(control& ctl, const exec_config& cfg, const std::function<void(std::function<void()>)>& spawn) = 0;
  /// The threads and segments `launch` starts under `cfg`.
  virtual plan make_plan(const exec_config& cfg) const = 0;
  /// How many instances of the sink `launch` builds under `cfg` (each
  /// reports its batches to the metrics).
  virtual std::size_t sink_instances(const exec_config& cfg) const = 0;
  /// With checkpointing, before the restore is chosen: sinks that commit
  /// with checkpoints open their transactions (fencing an earlier run) and
  /// say which checkpoint's output committed; sources that cannot replay are
  /// named in `warnings`.
  virtual std::optional<checkpoint_id> prepare_checkpoints(checkpoint_runtime& rt,
                                                           std::vector<std::string>& warnings) = 0;
  /// Before a restart: lets go of what prepare_checkpoints opened (the
  /// transactional producer), so that the next prepare opens it anew.
  virtual void drop_checkpoints() = 0;
  /// The job's place among the context's jobs (in stage uids).
  void set_index(std::size_t i) noexcept { index_ = i; }
  /// Every identity the job gives its source, stages and sink in
  /// checkpoints, each with what it names ("stage 3 (count) of job 0").
  virtual std::vector<std::pair<std::string, std::string>> identities() const = 0;

 protected:
  std::size_t index_ = 0;
};

namespace detail {
// A fan_out branch's stages (job_runner::branch_spec): their names, which
// are key_bys (one past the end: false), the first set flag.
template <class Ds, std::size_t... K>
constexpr std::array<std::string_view, sizeof...(K)> spec_names(std::index_sequence<K...>) {
  return {name_of<std::tuple_element_t<K, Ds>>()...};
}
template <class Ds, std::size_t... K>
constexpr std::array<bool, sizeof...(K) + 1> spec_key_bys(std::index_sequence<K...>) {
  return {is_key_by_v<std::tuple_element_t<K, Ds>>..., false};
}
template <std::size_t N>
constexpr std::size_t first_set(const std::array<bool, N>& a) {
  std::size_t k = 0;
  while (k + 1 < N && !a[k]) ++k;
  return k;
}
}  // namespace detail

template <class J>
class job_runner final : public job_runner_base {
 public:
  explicit job_runner(J j) : job_(std::move(j)) {}

  void launch(control& ctl, const exec_config& cfg, const std::function<void(std::function<void()>)>& spawn) override {
    launched_ = {};  // a restart: the threads of the last launch have ended
    if constexpr (requires { typename src_t::is_branch_input; }) {
      throw std::logic_error("spate: a fan_out branch is launched by its fan_out");
    } else if (cfg.batched) {
      launch_as<compacted_env>(ctl, cfg, spawn);
    } else {
      launch_as<rolling_env>(ctl, cfg, spawn);
    }
  }

  plan make_plan(const exec_config& cfg) const override {
    plan p{name_of<src_t>(), name_of<sink_t>(), {}};
    const auto names = []<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<std::string_view, n_stages>{name_of<std::tuple_element_t<I, stages_t>>()...};
    }(std::make_index_sequence<n_stages>{});
    auto add = [&](plan::link in, plan::link out, std::size_t par, std::size_t from, std::size_t to, std::string_view out_name) {
      plan::segment s{in, out, par, from + 1, to + 1, {names.begin() + from, names.begin() + to}, out_name};
      p.segments.push_back(std::move(s));
    };
    if (cfg.parallelism <= 1) {
      add(plan::link::source, plan::link::sink, 1, 0, n_stages, p.sink);
      return p;
    }
    std::size_t from = 0;
    plan::link in = plan::link::source;
    bool merges = false;
    for (std::size_t k = detail::first_key_by(static_cast<const stages_t*>(nullptr)); k < n_stages;
         k = detail::first_key_by(static_cast<const stages_t*>(nullptr), k + 1)) {
      add(in, plan::link::shuffle, cfg.parallelism, from, k, names[k]);
      p.segments.back().merges_partials = merges;
      merges = cfg.combine_bound() > 0 && combined_at(k, cfg.batched);
      p.segments.back().combined = merges;
      from = k + 1;
      in = plan::link::shuffle;
    }
    if constexpr (per_worker_sink<sink_t>) {
      add(in, plan::link::sink, cfg.parallelism, from, n_stages, p.sink);  // a sink per worker, no sink thread
      p.segments.back().merges_partials = merges;
    } else {
      add(in, plan::link::sink_boundary, cfg.parallelism, from, n_stages, {});
      p.segments.back().merges_partials = merges;
      add(plan::link::sink_boundary, plan::link::sink, 1, n_stages, n_stages, p.sink);
    }
    if constexpr (fan_out_with_keyed_branches<sink_t>) add_branch_segments(p, cfg.parallelism);
    return p;
  }

  std::size_t sink_instances(const exec_config& cfg) const override {
    std::size_t n = cfg.parallelism > 1 && per_worker_sink<sink_t> ? cfg.parallelism : 1;
    if constexpr (fan_out_with_keyed_branches<sink_t>) {
      if (cfg.parallelism > 1)  // each keyed branch's own sink, behind its shuffle
        n += branch_sinks(cfg.parallelism, std::make_index_sequence<sink_t::branch_count>{});
    }
    return n;
  }

  void drop_checkpoints() override {
    if constexpr (requires { job_.sink.drop_checkpoints(); }) job_.sink.drop_checkpoints();
  }

  std::optional<checkpoint_id> prepare_checkpoints(checkpoint_runtime& rt,
                                                   std::vector<std::string>& warnings) override {
    if constexpr (!requires(const src_t& s, rolling_env& e, shard sh, any_down& d, const restored_input& r) {
                    s.open_at(e, sh, d, r);
                  })
      warnings.push_back(std::string("spate: the ") + std::string(name_of<src_t>()) +
                         " of job " + std::to_string(index_) +
                         " cannot be replayed: with checkpointing, its records are at-most-once across restarts");
    if constexpr (requires { job_.sink.prepare_checkpoints(rt); })
      return job_.sink.prepare_checkpoints(rt);
    else
      return std::nullopt;
  }

 private:
  using src_t = typename J::source_type;
  using sink_t = typename J::sink_type;
  using stages_t = std::remove_cvref_t<decltype(std::declval<J&>().stages)>;
  using flow0 = flow<typename src_t::value_type>;
  static constexpr std::size_t n_stages = std::tuple_size_v<stages_t>;
  using spawner = std::function<void(std::function<void()>)>;

  /// What feeds a segment: a shard of the source, or a merger of channels.
  struct from_source {
    shard sh;
    template <class Env, class Head>
    void run(const J& job, Head& head, control& ctl, const exec_config& cfg) const {
      run_source<Env>(job.source, sh, head, cfg, ctl);
    }
  };
  template <class Data>
  struct from_merger {
    std::shared_ptr<merger<Data>> m;
    template <class Env, class Head>
    void run(const J&, Head& head, control& ctl, const exec_config& cfg) const {
      m->run(head, ctl, cfg.tick, !cfg.one_batch, cfg.alignment);
    }
  };

  /// Stable identities in checkpoints (Flink's operator uids, derived from
  /// the position and the name): stage k of job j is "j<j>.<k+1>:<name>",
  /// the source "j<j>.source:<name>", the sink "j<j>.sink:<name>". They do
  /// not depend on the parallelism, so a checkpoint restores at another one.
  /// A uid pinned with `| uid("...")` replaces the derived one.
  static constexpr std::string_view stage_name(std::size_t k) {
    constexpr auto names = []<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<std::string_view, n_stages>{name_of<std::tuple_element_t<I, stages_t>>()...};
    }(std::make_index_sequence<n_stages>{});
    return names[k];
  }
  std::string stage_uid(std::size_t k) const {
    if (const auto& pin = job_.pins.stage(k); !pin.empty()) return pin;
    if (!uid_prefix_.empty()) return uid_prefix_ + "/" + std::to_string(k) + ":" + std::string(stage_name(k));
    return "j" + std::to_string(index_) + "." + std::to_string(k + 1) + ":" + std::string(stage_name(k));
  }
  std::string source_uid() const {
    if (!job_.pins.source.empty()) return job_.pins.source;
    return "j" + std::to_string(index_) + ".source:" + std::string(name_of<src_t>());
  }
  std::string sink_uid() const {
    if (!job_.pins.sink.empty()) return job_.pins.sink;
    if (!uid_prefix_.empty()) return uid_prefix_ + "/sink:" + std::string(name_of<sink_t>());
    return "j" + std::to_string(index_) + ".sink:" + std::string(name_of<sink_t>());
  }
  /// Where this job's threads are, in messages: " of job 0", or, for a
  /// fan_out branch launched behind its shuffle, " of branch 'b' of job 0".
  std::string of_job() const {
    return (branch_.empty() ? std::string() : " of branch '" + branch_ + "'") + " of job " + std::to_string(index_);
  }

 public:
  std::vector<std::pair<std::string, std::string>> identities() const override {
    const std::string job = " of job " + std::to_string(index_);
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back(source_uid(), "the source (" + std::string(name_of<src_t>()) + ")" + job);
    for (std::size_t k = 0; k < n_stages; ++k)
      out.emplace_back(stage_uid(k), "stage " + std::to_string(k + 1) + " (" + std::string(stage_name(k)) + ")" + job);
    out.emplace_back(sink_uid(), "the sink (" + std::string(name_of<sink_t>()) + ")" + job);
    if constexpr (fan_out_with_keyed_branches<sink_t>)  // what their threads claim under parallelism
      branch_identities(out, job, std::make_index_sequence<sink_t::branch_count>{});
    return out;
  }

 private:
  template <class>
  friend class job_runner;
  template <std::size_t... I>
  static std::size_t branch_sinks(std::size_t P, std::index_sequence<I...>) {
    return ((sink_t::template branch_keyed<I>
                 ? (per_worker_sink<typename std::tuple_element_t<I, typename sink_t::branch_types>::sink_type> ? P : 1)
                 : 0) +
            ... + std::size_t{0});
  }
  /// What a fan_out branch's spec says of its stages, for the plan
  /// (add_spec_segments) and the uids (branch_identity): their names, which
  /// are key_bys (one past the end: false), and the first key_by (n: none).
  template <class B>
  struct branch_spec {
    using Ds = std::remove_cvref_t<decltype(std::declval<const B&>().stages)>;
    static constexpr std::size_t n = std::tuple_size_v<Ds>;
    static constexpr std::array<std::string_view, n> names = detail::spec_names<Ds>(std::make_index_sequence<n>{});
    static constexpr std::array<bool, n + 1> keyed = detail::spec_key_bys<Ds>(std::make_index_sequence<n>{});
    static constexpr std::size_t first_key_by = detail::first_set(keyed);
  };
  template <std::size_t... I>
  void branch_identities(std::vector<std::pair<std::string, std::string>>& out, const std::string& job,
                         std::index_sequence<I...>) const {
    (branch_identity<I>(out, job), ...);
  }
  template <std::size_t I>
  void branch_identity(std::vector<std::pair<std::string, std::string>>& out, const std::string& job) const {
    if constexpr (sink_t::template branch_keyed<I>) {
      using B = std::tuple_element_t<I, typename sink_t::branch_types>;
      using spec = branch_spec<B>;
      const std::string& b = job_.sink.template branch_name<I>();
      const std::string prefix = sink_uid() + "/" + b;
      const std::string where = " of branch '" + b + "'" + job;
      for (std::size_t k = spec::first_key_by + 1; k < spec::n; ++k)
        out.emplace_back(prefix + "/" + std::to_string(k + 1) + ":" + std::string(spec::names[k]),
                         "stage " + std::to_string(k + 1) + " (" + std::string(spec::names[k]) + ")" + where);
      const std::string sink(name_of<typename B::sink_type>());
      out.emplace_back(prefix + "/sink:" + sink, "the sink (" + sink + ")" + where);
    }
  }
  std::string uid_prefix_;  // a fan_out branch's: "<the fan-out's uid>/<branch>"
  std::string branch_;      // that branch's name
  /// What one launch keeps alive until the next (or the runner's end):
  /// the runners of the keyed branches of a fan_out sink, launched with this
  /// job (they own the stages their threads run), and what the fan-out
  /// instances are built from (their tails, a branch's spawner).
  struct launch_holder {
    std::vector<std::unique_ptr<job_runner_base>> tails;
    std::vector<std::shared_ptr<void>> kept;
  };
  launch_holder launched_;

  /// The plan's segments of each keyed branch of a fan_out sink under
  /// parallelism P: from its first key_by on, as launch_branch_tail runs
  /// them (a key_by inside a reusable chain is not split out here).
  void add_branch_segments(plan& p, std::size_t P) const {
    if (P <= 1) return;
    add_branch_segments(p, P, std::make_index_sequence<sink_t::branch_count>{});
  }
  template <std::size_t... I>
  void add_branch_segments(plan& p, std::size_t P, std::index_sequence<I...>) const {
    (add_branch_segment<I>(p, P), ...);
  }
  template <std::size_t I>
  void add_branch_segment(plan& p, std::size_t P) const {
    if constexpr (sink_t::template branch_keyed<I>)
      add_spec_segments<std::tuple_element_t<I, typename sink_t::branch_types>>(p, P, job_.sink.template branch_name<I>());
  }
  template <class B>
  static void add_spec_segments(plan& p, std::size_t P, std::string_view branch) {
    using spec = branch_spec<B>;
    constexpr std::size_t n = spec::n;
    constexpr const auto& names = spec::names;
    constexpr const auto& keyed = spec::keyed;
    using S = typename B::sink_type;
    for (std::size_t from = spec::first_key_by + 1; from <= n;) {
      std::size_t to = from;
      while (to < n && !keyed[to]) ++to;
      plan::segment s{plan::link::shuffle, plan::link::sink, P, from + 1, to + 1,
                      {names.begin() + from, names.begin() + to}, name_of<S>()};
      s.stages.insert(s.stages.begin(), branch);  // the stages' first is the branch's name
      if (to < n) {
        s.output = plan::link::shuffle;
        s.output_name = names[to];
        p.segments.push_back(std::move(s));
      } else if (per_worker_sink<S>) {
        p.segments.push_back(std::move(s));
      } else {
        s.output = plan::link::sink_boundary;
        s.output_name = {};
        p.segments.push_back(std::move(s));
        p.segments.push_back(plan::segment{plan::link::sink_boundary, plan::link::sink, 1, to + 1, to + 1, {}, name_of<S>()});
      }
      from = to + 1;
    }
  }

  /// For a fan_out branch run as a job (its stage 0 the fan-out's entry):
  /// launches the stages after its first key_by on cfg.parallelism workers
  /// fed by `inputs` fan-out instances, and gives each instance the shuffle
  /// its part of the branch ends in.
  template <class Env>
  auto launch_branch_tail(std::size_t inputs, control& ctl, const exec_config& cfg, const spawner& spawn) {
    constexpr std::size_t K = detail::first_key_by(static_cast<const stages_t*>(nullptr));
    using N = level<K, detail::flow_between<flow0, stages_t, 0, K>>;
    std::vector<std::shared_ptr<merger<typename N::shuffled>>> mergers;
    for (std::size_t w = 0; w < cfg.parallelism; ++w)
      mergers.push_back(std::make_shared<merger<typename N::shuffled>>(inputs, cfg.queue_capacity, &ctl.abort));
    for (auto& m : mergers) m->feeds(K + 2);
    ctl.on_wake([mergers] {
      for (auto& m : mergers) m->wake();
    });
    std::vector<from_merger<typename N::shuffled>> behind;
    for (auto& m : mergers) behind.push_back({m});
    // The branch's threads meter its stages under the branch's own id (its
    // positions are not the job's).
    auto info = std::make_shared<stage_registry::branch_info>();
    info->job = index_;
    info->branch = branch_;
    for (std::size_t k = 0; k < n_stages; ++k) {
      info->names.emplace_back(stage_name(k));
      info->uids.push_back(stage_uid(k));
    }
    info->names.emplace_back(name_of<sink_t>());
    info->uids.push_back(sink_uid());
    const spawner& branch_spawn = *keep(spawner([spawn, info](std::function<void()> body) {
      spawn([info, body = std::move(body)] {
        if (auto& scope = current_metering(); scope.stages) scope.job = scope.stages->branch_job(*info);
        body();
      });
    }));
    launch_from<Env, K + 1, typename N::down_flow>(behind, ctl, cfg, branch_spawn);
    const auto& kb = std::get<K>(job_.stages);
    const stage_label kb_label{N::key_by_t::name, K};
    std::vector<typename N::shuffle> outs;
    for (std::size_t i = 0; i < inputs; ++i) {
      std::vector<channel<typename N::shuffled>*> chans;
      for (auto& m : mergers) chans.push_back(m->input(i));
      outs.push_back(typename N::shuffle{make_router(kb, kb_label), std::move(chans), mergers[0]->block_limit(), i});
    }
    return outs;
  }
  /// What a fan_out sink with keyed branches gets: per branch, no tail or
  /// the shuffles of its launched tail (the sink's input flow being AtSink).
  template <class Env, class AtSink>
  auto make_tails(std::size_t inputs, control& ctl, const exec_config& cfg, const spawner& spawn) {
    return make_tails_of<Env, AtSink>(inputs, ctl, cfg, spawn, std::make_index_sequence<sink_t::branch_count>{});
  }
  template <class Env, class AtSink, std::size_t... I>
  auto make_tails_of(std::size_t inputs, control& ctl, const exec_config& cfg, const spawner& spawn,
                     std::index_sequence<I...>) {
    // in order: braced initialization evaluates left to right
    return std::tuple<decltype(make_tail<Env, AtSink, I>(inputs, ctl, cfg, spawn))...>{
        make_tail<Env, AtSink, I>(inputs, ctl, cfg, spawn)...};
  }
  template <class Env, class AtSink, std::size_t I>
  auto make_tail(std::size_t inputs, control& ctl, const exec_config& cfg, const spawner& spawn) {
    if constexpr (!sink_t::template branch_keyed<I>) {
      return spate::detail::no_tail{};
    } else {
      auto jb = job_.sink.template branch_as_job<AtSink, I>();
      auto sub = std::make_unique<job_runner<decltype(jb)>>(std::move(jb));
      sub->set_index(index_);
      sub->branch_ = job_.sink.template branch_name<I>();
      sub->uid_prefix_ = sink_uid() + "/" + sub->branch_;
      auto outs = sub->template launch_branch_tail<Env>(inputs, ctl, cfg, spawn);
      launched_.tails.push_back(std::move(sub));
      return outs;
    }
  }
  template <class T>
  std::shared_ptr<T> keep(T t) {
    auto p = std::make_shared<T>(std::move(t));
    launched_.kept.push_back(p);
    return p;
  }

 public:

 private:
  /// The uid of each layer of a segment of stages [first, to) ending in
  /// Out: the stages, then the sink when Out is the user's sink (a shuffle
  /// or the sink boundary keeps no state across a barrier).
  template <class Out>
  layer_uids segment_uids(std::size_t first, std::size_t to) const {
    layer_uids u;
    for (std::size_t k = first; k < to; ++k) u.push_back(stage_uid(k));
    u.push_back(is_user_sink<Out> ? sink_uid() : std::string());
    return u;
  }
  template <class Out>
  static constexpr bool is_user_sink = requires { typename Out::is_metered_sink; };
  std::string segment_what(std::size_t from, std::size_t to) const {
    return "stages " + std::to_string(from + 1) + ".." + std::to_string(to) + of_job();
  }

  /// The runtime context of a rich function at layer `depth` of a segment
  /// (exec/../algebra/rich.hpp).
  auto functions_context(control& ctl, shard part, const layer_uids& uids) const {
    return [this, &ctl, part, &uids](std::size_t depth, stage_label where) {
      return runtime_context{part.index, part.count, index_, where,
                             depth < uids.size() && !uids[depth].empty() ? uids[depth] : std::string(where.name),
                             ctl.counters ? ctl.counters : &fallback_counters_};
    };
  }
  mutable counter_registry fallback_counters_;

  /// No stage in front of a segment's stages (see spawn_segment).
  struct no_front {
    template <class Flow>
    using output = Flow;
  };

  /// The one place a segment starts: stages [From, To) of the job, whose
  /// input flow is In, built fused on a new thread in front of `out` (a
  /// shuffle, the sink boundary or the sink) and fed by `in`; with a Front
  /// (the merging form of a combined aggregation, which replaces stage
  /// From - 1), that stage first. Each thread builds its own copy of the
  /// stages, so every parallel instance owns its user functions.
  /// `part`: which subtask of the segment this is (its identity in
  /// checkpoints). The segment's head is a barrier_tap: it snapshots the
  /// chain when a checkpoint's barrier reaches it, and the chain is restored
  /// from the checkpoint being restored before any input is read.
  template <class Env, class In, std::size_t From, std::size_t To, class Input, class Out, class Front = no_front>
  void spawn_segment(control& ctl, const exec_config& cfg, const spawner& spawn, Input in, Out out, shard part,
                     Front front = {}) {
    checkpoint_hooks* hooks = ctl.checkpoints;
    constexpr std::size_t first = std::is_same_v<Front, no_front> ? From : From - 1;
    constexpr bool at_source = std::is_same_v<Input, from_source>;
    auto uids = std::make_shared<layer_uids>(segment_uids<Out>(first, To));
    std::size_t p = 0;
    if (hooks) {
      auto claimed = *uids;
      if (at_source) claimed.push_back(source_uid());
      p = hooks->participant("segment " + std::to_string(first + 1) + ".." + std::to_string(To) + of_job(), part.index,
                             part.count, claimed);
    }
    spawn([this, in = std::move(in), out = std::move(out), front = std::move(front), &ctl, &cfg, hooks, p, uids,
           part] {
      if (hooks && !hooks->await_launch()) return;
      Env env;
      auto stages = detail::take_front<To>(job_.stages);
      auto run = [&](auto& chain) {
        if (hooks) restore_segment(*hooks, chain, *uids, part.index, part.count, segment_what(first, To));
        barrier_tap<std::remove_reference_t<decltype(chain)>> head{&chain, hooks, p, uids.get(),
                                                                   at_source ? source_uid() : std::string(), {}, {}};
        if (hooks && hooks->restored_finished(p)) {
          head.on_end();  // it had ended before the checkpoint: nothing to read again
          return;
        }
        function_scope functions{chain, functions_context(ctl, part, *uids)};
        in.template run<Env>(job_, head, ctl, cfg);
        if (!ctl.abort()) functions.close();  // stopped or failed: closed, what they throw dropped
      };
      if constexpr (std::is_same_v<Front, no_front>) {
        auto chain = fuse::build_segment<In, From>(env, stages, out);
        run(chain);
      } else {
        using Mid = typename Front::template output<In>;
        auto chain = front.template build<In>(env, stage_label{Front::name, From},
                                              fuse::build_segment<Mid, From>(env, stages, out));
        run(chain);
      }
    });
  }

  template <class Env>
  void launch_as(control& ctl, const exec_config& cfg, const spawner& spawn) {
    if (cfg.parallelism <= 1) {
      spawn_segment<Env, flow0, 0, n_stages>(ctl, cfg, spawn, from_source{shard{0, 1}}, metered_sink<sink_t>{&job_.sink, &ctl},
                                             shard{0, 1});
    } else {
      std::vector<from_source> shards;
      for (std::size_t i = 0; i < cfg.parallelism; ++i) shards.push_back(from_source{shard{i, cfg.parallelism}});
      launch_from<Env, 0, flow0>(shards, ctl, cfg, spawn);
    }
  }

  /// The shuffle at key_by C, whose input flow is In.
  template <std::size_t C, class In>
  struct level {
    using key_by_t = std::tuple_element_t<C, stages_t>;
    using key_t = owned_t<typename key_by_t::template key_type<In>>;
    using rec_t = owned_t<typename In::value_type>;
    using down_flow = flow<rec_t, key_t>;  // what the workers after it see
    using shuffled = keyed_record<key_t, rec_t>;
    using router_t = decltype(make_router(std::declval<const key_by_t&>(), stage_label{}));
    using shuffle = shuffle_sink<router_t, key_t, rec_t>;
  };

  /// Whether the stage after key_by C is combined before the shuffle under
  /// emission mode Mode (see combining_shuffle_sink): a combinable keyed
  /// aggregation under a compacted mode; a reduce only over owned records
  /// (its partials are records).
  template <std::size_t C, class In, emit_mode Mode>
  static constexpr bool combines() {
    if constexpr (C + 1 >= n_stages) {
      return false;
    } else {
      using A = std::tuple_element_t<C + 1, stages_t>;
      if constexpr (!requires { A::combinable; })
        return false;
      else if constexpr (!A::combinable)
        return false;
      else if constexpr (Mode == emit_mode::rolling && !requires { A::combinable_rolling; })
        return false;  // a per-batch aggregation combines per batch only
      else
        return !requires { typename A::combiner::template partial<int>; } ||
               !std::is_same_v<typename A::combiner::template partial<int>, int> ||
               std::is_same_v<owned_t<typename In::value_type>, std::remove_cvref_t<typename In::value_type>>;
    }
  }
  template <std::size_t C, class In>
  struct combined_level : level<C, In> {
    using base = level<C, In>;
    using agg_t = std::tuple_element_t<C + 1, stages_t>;
    using comb_t = typename agg_t::combiner;
    using partial_t = typename comb_t::template partial<typename base::rec_t>;
    using down_flow = flow<partial_t, typename base::key_t>;  // (key, partial) to the workers
    using shuffled = keyed_record<typename base::key_t, partial_t>;
    using shuffle = combining_shuffle_sink<typename base::router_t, typename base::key_t, typename base::rec_t, comb_t>;
    using front_t = std::remove_cvref_t<decltype(std::declval<const agg_t&>().merge_stage())>;
  };
  /// For each stage: a key_by whose aggregation is combined under a
  /// compacted mode (batched) or the rolling mode (for the plan).
  static bool combined_at(std::size_t k, bool batched) {
    static constexpr auto at = []<emit_mode Mode, std::size_t... I>(std::index_sequence<I...>) {
      return std::array<bool, n_stages + 1>{
          (is_key_by_v<std::tuple_element_t<I, stages_t>> &&
           combines<I, detail::flow_between<flow0, stages_t, 0, I>, Mode>())...,
          false};
    };
    static constexpr auto compacted = at.template operator()<emit_mode::compacted>(std::make_index_sequence<n_stages>{});
    static constexpr auto rolling = at.template operator()<emit_mode::rolling>(std::make_index_sequence<n_stages>{});
    return batched ? compacted[k] : rolling[k];
  }

  /// Starts every segment from stage From on (whose input flow is In, or,
  /// with a Front, In through the front stage): P threads fed by `inputs`,
  /// up to the next key_by's shuffle (and, behind it, the next level) or to
  /// the sink (per worker) or the sink boundary and the sink thread.
  template <class Env, std::size_t From, class In, class Input, class Front = no_front>
  void launch_from(const std::vector<Input>& inputs, control& ctl, const exec_config& cfg, const spawner& spawn,
                   const Front& front = {}) {
    using Mid = typename Front::template output<In>;  // the flow into stage From
    constexpr std::size_t next = detail::first_key_by(static_cast<const stages_t*>(nullptr), From);
    const std::size_t P = inputs.size();
    if constexpr (next == n_stages && per_worker_sink<sink_t>) {
      // The sink ends each worker's segment: no queue, no sink thread.
      using at_sink = detail::flow_between<Mid, stages_t, From, n_stages>;
      using Tails = tails_for<Env, at_sink>;
      const Tails* tails_of = nullptr;
      if constexpr (!std::is_void_v<Tails>) tails_of = keep(make_tails<Env, at_sink>(P, ctl, cfg, spawn)).get();
      for (std::size_t w = 0; w < P; ++w)
        spawn_segment<Env, In, From, n_stages>(ctl, cfg, spawn, inputs[w],
                                               metered_sink<sink_t, true, Tails>{&job_.sink, &ctl, shard{w, P}, tails_of},
                                               shard{w, P}, front);
    } else if constexpr (next == n_stages) {
      using out_t = owned_t<typename detail::flow_between<Mid, stages_t, From, n_stages>::value_type>;
      auto sinkm = start_sink<Env, out_t>(P, ctl, cfg, spawn);
      for (std::size_t w = 0; w < P; ++w)
        spawn_segment<Env, In, From, n_stages>(ctl, cfg, spawn, inputs[w],
                                               channel_sink<out_t>{sinkm->input(w), sinkm->block_limit()}, shard{w, P},
                                               front);
    } else {
      using before = detail::flow_between<Mid, stages_t, From, next>;
      if constexpr (combines<next, before, Env::mode>()) {
        if (cfg.combine_bound() > 0) return launch_level<Env, From, In, next, before, true>(inputs, ctl, cfg, spawn, front);
      }
      launch_level<Env, From, In, next, before, false>(inputs, ctl, cfg, spawn, front);
    }
  }

  /// The shuffle at key_by `next` (flow `before` in front of it) and every
  /// segment from it on; `combine`: with the aggregation after it combined.
  template <class Env, std::size_t From, class In, std::size_t next, class before, bool combine, class Input, class Front>
  void launch_level(const std::vector<Input>& inputs, control& ctl, const exec_config& cfg, const spawner& spawn,
                    const Front& front) {
    const std::size_t P = inputs.size();
    {
      using N = std::conditional_t<combine, combined_level<next, before>, level<next, before>>;
      auto mergers = make_mergers<typename N::shuffled>(P, ctl, cfg);
      for (auto& m : mergers) m->feeds(next + 2);  // the stage after the key_by
      std::vector<from_merger<typename N::shuffled>> behind;
      for (auto& m : mergers) behind.push_back({m});
      const auto& kb = std::get<next>(job_.stages);
      const stage_label kb_label{N::key_by_t::name, next + 1};
      if constexpr (combine) {
        const auto& agg = std::get<next + 1>(job_.stages);
        launch_from<Env, next + 2, typename N::down_flow>(behind, ctl, cfg, spawn, typename N::front_t(agg.merge_stage()));
        for (std::size_t w = 0; w < P; ++w) {
          std::vector<channel<typename N::shuffled>*> outs;
          for (auto& m : mergers) outs.push_back(m->input(w));
          typename N::shuffle sh{make_router(kb, kb_label), agg.make_combiner(stage_label{N::agg_t::name, next + 2}),
                                 std::move(outs), mergers[0]->block_limit(), cfg.combine_bound()};
          spawn_segment<Env, In, From, next>(ctl, cfg, spawn, inputs[w], std::move(sh), shard{w, P}, front);
        }
      } else {
        launch_from<Env, next + 1, typename N::down_flow>(behind, ctl, cfg, spawn);
        for (std::size_t w = 0; w < P; ++w) {
          std::vector<channel<typename N::shuffled>*> outs;
          for (auto& m : mergers) outs.push_back(m->input(w));
          typename N::shuffle sh{make_router(kb, kb_label), std::move(outs), mergers[0]->block_limit(), w};
          spawn_segment<Env, In, From, next>(ctl, cfg, spawn, inputs[w], std::move(sh), shard{w, P}, front);
        }
      }
    }
  }

  /// The tails a fan_out sink with keyed branches is built with (void: none).
  template <class Env, class AtSink, bool = fan_out_with_keyed_branches<sink_t>>
  struct tails_for_s {
    using type = void;
  };
  template <class Env, class AtSink>
  struct tails_for_s<Env, AtSink, true> {
    using type = decltype(std::declval<job_runner&>().template make_tails<Env, AtSink>(
        0, std::declval<control&>(), std::declval<const exec_config&>(), std::declval<const spawner&>()));
  };
  template <class Env, class AtSink>
  using tails_for = typename tails_for_s<Env, AtSink>::type;

  /// The sink thread: the user's sink, built once, fed by P channels of Out.
  template <class Env, class Out, class Tails = tails_for<Env, flow<Out>>>
  std::shared_ptr<merger<Out>> start_sink(std::size_t P, control& ctl, const exec_config& cfg, const spawner& spawn) {
    auto sinkm = std::make_shared<merger<Out>>(P, cfg.queue_capacity, &ctl.abort);
    sinkm->feeds(n_stages + 1);
    ctl.on_wake([sinkm] { sinkm->wake(); });
    checkpoint_hooks* hooks = ctl.checkpoints;
    auto uids = std::make_shared<layer_uids>(layer_uids{sink_uid()});
    const std::size_t p = hooks ? hooks->participant("the sink" + of_job(), 0, 1, *uids) : 0;
    const Tails* tails_of = nullptr;
    if constexpr (!std::is_void_v<Tails>) tails_of = keep(make_tails<Env, flow<Out>>(1, ctl, cfg, spawn)).get();
    spawn([this, sinkm, &ctl, &cfg, hooks, p, uids, tails_of] {
      if (hooks && !hooks->await_launch()) return;
      Env env;
      metered_sink<sink_t, false, Tails> m{&job_.sink, &ctl, shard{0, 1}, tails_of};
      auto s = m.template build<flow<Out>>(env, stage_label{sink_t::name, n_stages + 1});
      if (hooks) restore_segment(*hooks, s, *uids, 0, 1, "the sink" + of_job());
      barrier_tap<decltype(s)> head{&s, hooks, p, uids.get(), {}, {}, {}};
      if (hooks && hooks->restored_finished(p)) {
        head.on_end();
        return;
      }
      function_scope functions{s, functions_context(ctl, shard{0, 1}, *uids)};
      sinkm->run(head, ctl, cfg.tick, !cfg.one_batch, cfg.alignment);
      if (!ctl.abort()) functions.close();
    });
    return sinkm;
  }

  template <class Data>
  static std::vector<std::shared_ptr<merger<Data>>> make_mergers(std::size_t P, control& ctl, const exec_config& cfg) {
    std::vector<std::shared_ptr<merger<Data>>> v;
    for (std::size_t w = 0; w < P; ++w) v.push_back(std::make_shared<merger<Data>>(P, cfg.queue_capacity, &ctl.abort));
    ctl.on_wake([v] {
      for (auto& m : v) m->wake();
    });
    return v;
  }

  J job_;
};

}  // namespace spate::exec
