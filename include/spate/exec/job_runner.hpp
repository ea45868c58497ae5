#pragma once
// How one job becomes threads.
//   parallelism 1: one thread runs the whole job fused (source -> sink).
//   parallelism P: the job is cut at every key_by:
//     P source threads, each running its shard through stages [0, k1) into a
//       shuffle (or, without key_by, through every stage);
//     for each key_by k_j, P worker threads, each running stages (k_j, k_j+1)
//       fused (up to the next key_by's shuffle, or to the end), fed by P
//       channels: every key's state lives in one worker of each level;
//     1 sink thread, fed by the last P workers: the user's sink is built once, so
//       a sink that writes into shared memory (collect_into, print) never
//       races, and print() writes one header per batch.
// Records that cross a thread are converted to owned types (owned.hpp), and
// the segments after the cut are built for those types.
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/key_by.hpp"
#include "../algebra/pipeline.hpp"
#include "../fuse/build.hpp"
#include "control.hpp"
#include "owned.hpp"
#include "shuffle.hpp"
#include "source_loop.hpp"

namespace spate::exec {

/// Wraps the user's sink: reports batch completion to the metrics.
template <class Sink>
struct metered_sink {
  static constexpr const char* name = Sink::name;
  const Sink* sink;
  control* ctl;
  template <class Inner>
  struct built {
    Inner inner;
    control* ctl;
    template <class R>
    bool push(R&& r) {
      return inner.push(std::forward<R>(r));
    }
    void on_watermark(event_time t) { inner.on_watermark(t); }
    void on_barrier(checkpoint_id id) { inner.on_barrier(id); }
    void on_batch_end(const batch_info& b) {
      inner.on_batch_end(b);
      ctl->metrics.sink_done(b.number, b.time, std::chrono::system_clock::now());
    }
    void on_tick(event_time now) { inner.on_tick(now); }
    void on_end() {
      inner.on_end();
      ctl->metrics.sink_ended(std::chrono::system_clock::now());
    }
  };
  template <class Flow, class Env>
  auto build(Env& env, stage_label label) const {
    using Inner = decltype(sink->template build<Flow>(env, label));
    return built<Inner>{sink->template build<Flow>(env, label), ctl};
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

/// A job held by a context; launches its threads when the context starts.
class job_runner_base {
 public:
  virtual ~job_runner_base() = default;
  /// Starts the job's threads through `spawn`, which runs a body on a new
  /// thread and reports its exception to the context.
  virtual void launch(control& ctl, const exec_config& cfg, const std::function<void(std::function<void()>)>& spawn) = 0;
  /// How many key_by stages (shuffles under parallelism > 1) the job has.
  virtual std::size_t key_bys() const = 0;
};

template <class J>
class job_runner final : public job_runner_base {
 public:
  explicit job_runner(J j) : job_(std::move(j)) {}

  std::size_t key_bys() const override {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (std::size_t{0} + ... + (is_key_by_v<std::tuple_element_t<I, stages_t>> ? 1 : 0));
    }(std::make_index_sequence<n_stages>{});
  }

  void launch(control& ctl, const exec_config& cfg, const std::function<void(std::function<void()>)>& spawn) override {
    if (cfg.batched)
      launch_as<compacted_env>(ctl, cfg, spawn);
    else
      launch_as<rolling_env>(ctl, cfg, spawn);
  }

 private:
  using src_t = typename J::source_type;
  using sink_t = typename J::sink_type;
  using stages_t = std::remove_cvref_t<decltype(std::declval<J&>().stages)>;
  using flow0 = flow<typename src_t::value_type>;
  static constexpr std::size_t n_stages = std::tuple_size_v<stages_t>;
  static constexpr std::size_t cut = detail::first_key_by(static_cast<const stages_t*>(nullptr));

  template <class Env>
  void launch_as(control& ctl, const exec_config& cfg, const std::function<void(std::function<void()>)>& spawn) {
    if (cfg.parallelism <= 1) {
      spawn([this, &ctl, &cfg] {
        Env env;
        metered_sink<sink_t> sink{&job_.sink, &ctl};
        auto head = fuse::build_segment<flow0>(env, job_.stages, sink);
        run_source<Env>(job_.source, shard{0, 1}, head, cfg, ctl);
      });
    } else {
      launch_parallel<Env>(ctl, cfg, spawn);
    }
  }

  template <class Env>
  void launch_parallel(control& ctl, const exec_config& cfg, const std::function<void(std::function<void()>)>& spawn) {
    const std::size_t P = cfg.parallelism;
    if constexpr (cut == n_stages) {
      // No key_by: each shard runs every stage, then the sink boundary.
      using out_t = owned_t<typename detail::flow_between<flow0, stages_t, 0, n_stages>::value_type>;
      auto sinkm = start_sink<Env, out_t>(P, ctl, cfg, spawn);
      for (std::size_t i = 0; i < P; ++i)
        spawn([this, sinkm, i, P, &ctl, &cfg] {
          Env env;
          auto head = fuse::build_segment<flow0>(env, job_.stages, channel_sink<out_t>{sinkm->input(i)});
          run_source<Env>(job_.source, shard{i, P}, head, cfg, ctl);
        });
    } else {
      using in_k = detail::flow_between<flow0, stages_t, 0, cut>;  // what reaches the first key_by
      using L = level<cut, in_k>;
      auto workers = make_mergers<typename L::shuffled>(P, ctl, cfg);
      launch_workers<Env, cut, in_k>(workers, ctl, cfg, spawn);
      for (std::size_t i = 0; i < P; ++i) {
        std::vector<channel<typename L::shuffled>*> outs;
        for (auto& w : workers) outs.push_back(w->input(i));
        spawn([this, outs = std::move(outs), i, P, &ctl, &cfg] {
          Env env;
          auto front = detail::take_front<cut>(job_.stages);
          typename L::shuffle sh{&std::get<cut>(job_.stages), outs, stage_label{L::key_by_t::name, cut + 1}};
          auto head = fuse::build_segment<flow0>(env, front, sh);
          run_source<Env>(job_.source, shard{i, P}, head, cfg, ctl);
        });
      }
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
    using shuffle = shuffle_sink<key_by_t, key_t, rec_t>;
    static constexpr std::size_t next = detail::first_key_by(static_cast<const stages_t*>(nullptr), C + 1);
  };

  /// The sink thread: the user's sink, built once, fed by P channels of Out.
  template <class Env, class Out>
  std::shared_ptr<merger<Out>> start_sink(std::size_t P, control& ctl, const exec_config& cfg,
                                          const std::function<void(std::function<void()>)>& spawn) {
    auto sinkm = std::make_shared<merger<Out>>(P, cfg.queue_capacity, &ctl.abort);
    ctl.on_wake([sinkm] { sinkm->wake(); });
    spawn([this, sinkm, &ctl, &cfg] {
      Env env;
      metered_sink<sink_t> m{&job_.sink, &ctl};
      auto s = m.template build<flow<Out>>(env, stage_label{sink_t::name, n_stages + 1});
      sinkm->run(s, ctl, cfg.tick);
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

  /// Starts the P workers after the key_by at C (fed by `workers`), and
  /// everything after them: the next level's workers, or the sink thread.
  template <class Env, std::size_t C, class In, class Data>
  void launch_workers(const std::vector<std::shared_ptr<merger<Data>>>& workers, control& ctl, const exec_config& cfg,
                      const std::function<void(std::function<void()>)>& spawn) {
    using L = level<C, In>;
    using down_flow = typename L::down_flow;
    const std::size_t P = workers.size();
    if constexpr (L::next == n_stages) {
      using out_t = owned_t<typename detail::flow_between<down_flow, stages_t, C + 1, n_stages>::value_type>;
      auto sinkm = start_sink<Env, out_t>(P, ctl, cfg, spawn);
      for (std::size_t w = 0; w < P; ++w)
        spawn([this, sinkm, wm = workers[w], w, &ctl, &cfg] {
          Env env;
          auto seg = fuse::build_segment<down_flow, C + 1>(env, job_.stages, channel_sink<out_t>{sinkm->input(w)});
          wm->run(seg, ctl, cfg.tick);
        });
    } else {
      using in_next = detail::flow_between<down_flow, stages_t, C + 1, L::next>;
      using N = level<L::next, in_next>;
      auto next = make_mergers<typename N::shuffled>(P, ctl, cfg);
      launch_workers<Env, L::next, in_next>(next, ctl, cfg, spawn);
      for (std::size_t w = 0; w < P; ++w) {
        std::vector<channel<typename N::shuffled>*> outs;
        for (auto& n : next) outs.push_back(n->input(w));
        spawn([this, outs = std::move(outs), wm = workers[w], &ctl, &cfg] {
          Env env;
          auto upto = detail::take_front<L::next>(job_.stages);
          typename N::shuffle sh{&std::get<L::next>(job_.stages), outs, stage_label{N::key_by_t::name, L::next + 1}};
          auto seg = fuse::build_segment<down_flow, C + 1>(env, upto, sh);
          wm->run(seg, ctl, cfg.tick);
        });
      }
    }
  }

  J job_;
};

}  // namespace spate::exec
