#pragma once
// fan_out(branch...): one stream, several outputs (a Flink DataStream used
// twice, a Spark DStream with two output operations). Each branch is its own
// chain of stages ending in its own sink; the fan-out is the sink of the
// pipeline before it, so the source is read once:
//
//   src | map(parse)
//       | fan_out(branch() | filter(is_error) | sum_into(errors),
//                 branch("per user") | key_by(&Ev::user) | count() | collect_into(counts));
//
// Fused: every record goes down each branch by direct calls, in the order
// the branches are written (a copy for each but the last, which may take the
// record), with no queue; watermarks, barriers, batch ends, ticks, idleness
// and the end reach every branch. A branch that stops (take) gets no more
// records; the source stops when every branch has.
//
// branch(tag) takes a side output instead of the stream (algebra/
// side_output.hpp): the records a stage before the fan-out emitted under
// that tag, e.g. a window's late records. branch(main_stream, tag, ...) and
// branch(tag1, tag2, ...) merge their inputs (of one record type) into one
// unkeyed stream, as Flink's union.
//
// State: every stateful stage of a branch is checkpointed with the fan-out
// (the job's sink, under the sink's uid), under the identity
// "<branch>/<position in the branch>:<stage>", the branch being its name
// (branch("name")), "side:<tag>" or "branch <k>" (k-th, from 1). A stage
// the checkpoint does not know starts empty; a checkpointed stage that is no
// longer there makes the restore fail (the job changed). Keyed state of the
// branches restores at another parallelism (restore_rescaled).
//
// Parallelism: the fan-out runs where the job's sink runs. When every
// branch's sink runs one instance per worker (collect_into, sum_into, ...),
// or the branch has a key_by of its own, each worker runs its own fan-out,
// fused after the stages before it; otherwise the fan-out runs on the sink
// thread. A branch with its own key_by keeps its own shuffle: under
// parallelism P its stages before the key_by run in the fan-out, and the
// stages after it run on P workers of their own, fed by a shuffle from
// every fan-out instance (exec/job_runner.hpp launches them), to its sink
// (one per worker, or a sink thread of its own). Those stages are
// checkpointed under "<the sink's uid>/<branch>/<position>:<stage>"; at
// parallelism 1 the whole branch runs in the fan-out, so a checkpoint of such
// a job restores from one parallel run to another (rescaled), but not
// between parallelism 1 and more (the restore names the state it cannot
// place).
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/key_group.hpp"
#include "../fuse/build.hpp"
#include "../io/source.hpp"
#include "../state/chain_snapshot.hpp"
#include "../state/snapshot.hpp"
#include "key_by.hpp"
#include "pipeline.hpp"
#include "side_output.hpp"

namespace spate {

namespace detail {
/// What feeds a branch that takes the stream itself (not a side output).
struct main_feed {};
/// A branch fed by several: the stream and side outputs, or side outputs.
template <class... Feeds>
struct merged_feed {};
/// Whether a branch fed by Feed takes the records of From.
template <class Feed, class From>
inline constexpr bool feeds_from = std::is_same_v<Feed, From>;
template <class... Fs, class From>
inline constexpr bool feeds_from<merged_feed<Fs...>, From> = (std::is_same_v<Fs, From> || ...);
template <class T>
struct feed_of {
  using type = T;  // an output_tag
};
}  // namespace detail

/// In branch(main_stream, tag...): the stream itself, merged with side outputs.
struct main_stream_t {};
inline constexpr main_stream_t main_stream{};
namespace detail {
template <>
struct feed_of<main_stream_t> {
  using type = main_feed;
};
}  // namespace detail

/// A branch being written: branch(...) | stage | ... (no sink yet).
template <class Feed, class... Ds>
struct branch_builder {
  std::string name;
  std::tuple<Ds...> stages;
};

/// A whole branch: what feeds it, its stages and its sink.
template <class Feed, class Sink, class... Ds>
struct branch_spec {
  using feed = Feed;
  using sink_type = Sink;
  std::string name;
  std::tuple<Ds...> stages;
  Sink sink;
};

/// A branch of the stream, named "branch <k>" in checkpoints, or `name`.
inline branch_builder<detail::main_feed> branch(std::string name = {}) { return {std::move(name), {}}; }
/// A branch of the side output `tag` (named "side:<tag>").
template <fixed_string N, class T>
branch_builder<output_tag<N, T>> branch(const output_tag<N, T>&) {
  return {"side:" + std::string(output_tag<N, T>::tag_name()), {}};
}

/// A branch of several inputs merged (Flink's union): the stream and side
/// outputs, branch(main_stream, tag), or side outputs, branch(tag1, tag2),
/// all of one record type. The merged stream is not keyed.
template <class A, class B, class... Cs>
  requires((is_output_tag_v<A> || std::is_same_v<A, main_stream_t>) &&
           (is_output_tag_v<B> || std::is_same_v<B, main_stream_t>) &&
           ((is_output_tag_v<Cs> || std::is_same_v<Cs, main_stream_t>) && ...))
branch_builder<detail::merged_feed<typename detail::feed_of<A>::type, typename detail::feed_of<B>::type,
                                   typename detail::feed_of<Cs>::type...>>
branch(const A&, const B&, const Cs&...) {
  return {{}, {}};
}

template <class Feed, class... Ds, stage_descriptor D>
auto operator|(branch_builder<Feed, Ds...> b, D&& d) {
  using Dd = std::remove_cvref_t<D>;
  return branch_builder<Feed, Ds..., Dd>{std::move(b.name),
                                         std::tuple_cat(std::move(b.stages), std::tuple<Dd>(std::forward<D>(d)))};
}
template <class Feed, class... Ds, sink_descriptor S>
auto operator|(branch_builder<Feed, Ds...> b, S&& s) {
  return branch_spec<Feed, std::remove_cvref_t<S>, Ds...>{std::move(b.name), std::move(b.stages), std::forward<S>(s)};
}

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: an argument of fan_out is not a
// whole branch: write branch() | stages... | sink (every branch ends in a
// sink of its own).
template <class Argument>
struct fan_out_needs_branches {
  static_assert(always_false<Argument>, "spate: fan_out takes branches: branch() | stages... | sink");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: branch(a, b, ...) merges streams
// (the stream itself, main_stream, and side output tags) whose records
// differ in type; first argument: the branch's inputs, second: the stream.
template <class Feeds, class Flow>
struct merged_records_differ {
  static_assert(always_false<Feeds>, "spate: branch(...) merges streams of different record types");
};
}  // namespace diagnostic

namespace detail {
template <class T>
inline constexpr bool is_branch_spec_v = false;
template <class Feed, class Sink, class... Ds>
inline constexpr bool is_branch_spec_v<branch_spec<Feed, Sink, Ds...>> = true;

/// What a branch's pipeline starts from: records of the fan-out's input.
template <class T>
struct branch_input : source_tag {
  using value_type = T;
  using is_branch_input = void;  // never read: the fan-out feeds the branch
  static constexpr const char* name = "fan_out";
};
/// The first stage of a branch's pipeline: gives the rest the fan-out's
/// input flow (keyed when the stream is). Never built.
template <class Flow>
struct branch_entry : stage_tag {
  static constexpr const char* name = "fan_out";
  template <class>
  static constexpr bool check() {
    return true;
  }
  template <class>
  using output = Flow;
};

template <class Feed, class Flow>
struct feed_flow {
  using type = Flow;
};
template <fixed_string N, class T, class Flow>
struct feed_flow<output_tag<N, T>, Flow> {
  using type = flow<T>;
};
template <class Feed, class Flow>
struct record_of {
  using type = std::remove_cvref_t<typename Flow::value_type>;
};
template <fixed_string N, class T, class Flow>
struct record_of<output_tag<N, T>, Flow> {
  using type = T;
};
template <class F, class... Fs, class Flow>
struct feed_flow<merged_feed<F, Fs...>, Flow> {
  using type = flow<typename record_of<F, Flow>::type>;
  // (a mismatch is reported by the branch's check: merged_records_differ)
};
template <class Feed, class Flow>
inline constexpr bool merged_records_agree = true;
template <class F, class... Fs, class Flow>
inline constexpr bool merged_records_agree<merged_feed<F, Fs...>, Flow> =
    (std::is_same_v<typename record_of<F, Flow>::type, typename record_of<Fs, Flow>::type> && ...);

/// A branch as a job from its input, composed with the same `|` as any
/// pipeline (so each stage is checked, and window(...) | f fuses).
template <class Flow, class Spec>
auto branch_job(const Spec& s) {
  using T = std::remove_cvref_t<typename Flow::value_type>;
  auto p = branch_input<T>{} | branch_entry<Flow>{};
  return std::apply([&](const auto&... d) { return (std::move(p) | ... | d); }, s.stages) | s.sink;
}
template <class Flow, class Spec>
using branch_job_t = decltype(branch_job<Flow>(std::declval<const Spec&>()));

template <class Flow, class Spec>
constexpr bool branch_records_agree() {
  if constexpr (merged_records_agree<typename Spec::feed, Flow>) {
    return true;
  } else {
    (void)&diagnostic::report<diagnostic::merged_records_differ<typename Spec::feed, Flow>>;
    return false;
  }
}
template <class Flow, class Spec>
inline constexpr bool branch_ok = branch_records_agree<Flow, Spec>() && !std::is_same_v<branch_job_t<typename feed_flow<typename Spec::feed, Flow>::type, Spec>,
                                                  error_pipeline>;

template <class D>
constexpr bool has_key_by() {
  if constexpr (is_chain_v<D>)
    return []<class... Cs>(const chain<Cs...>*) { return (has_key_by<Cs>() || ...); }(static_cast<const D*>(nullptr));
  else
    return is_key_by_v<D>;
}
template <class Spec>
constexpr bool branch_has_key_by() {
  return []<class F, class S, class... Ds>(const branch_spec<F, S, Ds...>*) {
    return (has_key_by<Ds>() || ...);
  }(static_cast<const Spec*>(nullptr));
}
/// The index of the first key_by among a branch job's stages (its entry
/// being stage 0).
template <class Tuple>
constexpr std::size_t first_key_by_in() {
  return []<class... Ds>(const std::tuple<Ds...>*) {
    constexpr bool is[] = {is_key_by_v<Ds>..., false};
    for (std::size_t i = 0; i < sizeof...(Ds); ++i)
      if (is[i]) return i;
    return sizeof...(Ds);
  }(static_cast<const Tuple*>(nullptr));
}

template <class Sink>
constexpr bool runs_per_worker() {
  if constexpr (requires { Sink::per_worker_instances; })
    return bool(Sink::per_worker_instances);
  else
    return false;
}

/// A branch's sink, built as worker part `sh` when it has parts.
template <class Sink>
struct sink_part {
  static constexpr const char* name = Sink::name;
  const Sink* sink;
  shard sh;
  template <class Flow, class Env>
  auto build(Env& env, stage_label label) const {
    if constexpr (requires { sink->template build_part<Flow>(env, label, sh); })
      return sink->template build_part<Flow>(env, label, sh);
    else
      return sink->template build<Flow>(env, label);
  }
};

template <class S>
constexpr bool layers_stateful() {
  if constexpr (requires(S& s) { s.down; })
    return stateful_stage<S> || layers_stateful<std::remove_cvref_t<decltype(std::declval<S&>().down)>>();
  else
    return stateful_stage<S>;
}
template <class S>
constexpr bool layers_unsnapshottable() {
  if constexpr (requires(S& s) { s.down; })
    return unsnapshottable_stage<S> ||
           layers_unsnapshottable<std::remove_cvref_t<decltype(std::declval<S&>().down)>>();
  else
    return unsnapshottable_stage<S>;
}

/// What fan_out(...) gives for arguments that are not branches: a sink no
/// pipeline accepts, so the one message above is all the user sees.
struct bad_fan_out : sink_tag {
  static constexpr const char* name = "fan_out";
  template <class>
  static constexpr bool check() {
    return false;
  }
};

template <class D>
constexpr std::string_view stage_name_of() {
  if constexpr (requires { D::name; })
    return D::name;
  else
    return "user stage";
}

/// Every stateful layer can restore at another parallelism (keyed state).
template <class S>
constexpr bool layers_rescalable() {
  constexpr bool here = !stateful_stage<S> || requires(S& s, const std::vector<std::string_view>& p) {
    { s.restore_rescaled(p, key_group_range{}) } -> std::convertible_to<bool>;
  };
  if constexpr (requires(S& s) { s.down; })
    return here && layers_rescalable<std::remove_cvref_t<decltype(std::declval<S&>().down)>>();
  else
    return here;
}

/// One built branch: its chain, the identity of each layer's state, and
/// whether it still takes records.
template <class Feed, class Chain>
struct built_branch {
  using feed = Feed;
  using chain_type = Chain;
  Chain chain;
  std::vector<std::string> uids;  // per layer of the chain (the sink last)
  bool alive = true;
  std::string uid_at(std::size_t depth) const {
    return depth < uids.size() ? uids[depth] : uids.front() + "/" + std::to_string(depth + 1);
  }
};

/// The built fan-out: the branches side by side.
template <class Feed>
inline constexpr bool is_merged = false;
template <class... Fs>
inline constexpr bool is_merged<merged_feed<Fs...>> = true;

template <class... Bs>
struct fan_out_built {
  using is_fan_out = void;
  std::tuple<Bs...> branches;

  template <class Tag>
  static constexpr bool has_side = (feeds_from<typename Bs::feed, Tag> || ...);

 private:
  static constexpr std::size_t n = sizeof...(Bs);
  /// The last branch fed by Feed (n if none): it may take the record itself.
  template <class Feed>
  static constexpr std::size_t last_of = [] {
    constexpr bool is[] = {feeds_from<typename Bs::feed, Feed>...};
    std::size_t last = n;
    for (std::size_t i = 0; i < n; ++i)
      if (is[i]) last = i;
    return last;
  }();

  template <std::size_t I, class K, class R>
  [[gnu::always_inline]] void one(const K* k, R&& r) {
    auto& b = std::get<I>(branches);
    if (!b.alive) return;
    if constexpr (std::is_same_v<K, no_key> || is_merged<typename std::remove_cvref_t<decltype(b)>::feed>)
      b.alive = b.chain.push(std::forward<R>(r));  // a merged stream is not keyed
    else
      b.alive = push_to(b.chain, k, std::forward<R>(r));
  }
  template <class Feed, class K, class R>
  [[gnu::always_inline]] void deliver(const K* k, R&& r) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            if constexpr (feeds_from<typename std::tuple_element_t<I, std::tuple<Bs...>>::feed, Feed>) {
              if constexpr (I == last_of<Feed>)
                one<I>(k, std::forward<R>(r));
              else
                one<I>(k, std::as_const(r));
            }
          }(),
          ...);
    }(std::make_index_sequence<n>{});
  }
  template <class F>
  void each(F&& f) {
    std::apply([&](auto&... b) { (f(b.chain), ...); }, branches);
  }

 public:
  bool any_alive() const noexcept {
    return std::apply([](const auto&... b) { return (b.alive || ...); }, branches);
  }
  template <class R>
  [[gnu::always_inline]] bool push(R&& r) {
    deliver<main_feed>(static_cast<const no_key*>(nullptr), std::forward<R>(r));
    return any_alive();
  }
  template <class K, class R>
  [[gnu::always_inline]] bool push_keyed(const K& k, R&& r) {
    deliver<main_feed>(&k, std::forward<R>(r));
    return any_alive();
  }
  /// A record of side output Tag (detail::emit_side).
  template <class Tag, class V>
  [[gnu::always_inline]] void push_side(V&& v) {
    deliver<Tag>(static_cast<const no_key*>(nullptr), std::forward<V>(v));
  }

  void on_watermark(event_time t) {
    each([&](auto& c) { c.on_watermark(t); });
  }
  void on_barrier(checkpoint_id id) {
    each([&](auto& c) { c.on_barrier(id); });
  }
  void on_batch_end(const batch_info& b) {
    each([&](auto& c) { c.on_batch_end(b); });
  }
  void on_tick(event_time now) {
    each([&](auto& c) { c.on_tick(now); });
  }
  void on_idle(bool idle) {
    each([&](auto& c) { c.on_idle(idle); });
  }
  void on_end() {
    each([](auto& c) { c.on_end(); });
  }

  /// The state of every branch, each stage under its identity.
  static constexpr bool any_stateful = (layers_stateful<typename Bs::chain_type>() || ...);
  static constexpr bool snapshottable =
      any_stateful && !(layers_unsnapshottable<typename Bs::chain_type>() || ...);
  static constexpr bool keeps_state = any_stateful || (layers_unsnapshottable<typename Bs::chain_type>() || ...);
  using entries = std::vector<std::pair<std::string, std::string>>;

  void snapshot(std::string& out) const
    requires snapshottable
  {
    entries e;
    std::apply([&](const auto&... b) { (snapshot_branch(b, e), ...); }, branches);
    detail::snapshot_value(e, out);
  }
  bool restore(std::string_view in)
    requires snapshottable
  {
    auto e = detail::restore_value<entries>(in);
    if (!e) return false;
    std::size_t used = 0;
    bool ok = true;
    std::apply([&](auto&... b) { (restore_branch(b, *e, used, ok), ...); }, branches);
    return ok && used == e->size();
  }
  /// At another parallelism: each stage keeps the keys of its key groups
  /// `mine` from every old subtask's snapshot (when every stateful stage of
  /// every branch can).
  bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
    requires snapshottable && (layers_rescalable<typename Bs::chain_type>() && ...)
  {
    std::vector<entries> olds;
    for (std::string_view in : parts) {
      auto e = detail::restore_value<entries>(in);
      if (!e) return false;
      olds.push_back(std::move(*e));
    }
    std::vector<std::string> known;
    bool ok = true;
    std::apply([&](auto&... b) { (rescale_branch(b, olds, mine, known, ok), ...); }, branches);
    for (const auto& e : olds)
      for (const auto& [u, bytes] : e)
        if (std::find(known.begin(), known.end(), u) == known.end()) return false;  // a stage the job lost
    return ok;
  }

 private:
  template <class B>
  static void rescale_branch(B& b, const std::vector<entries>& olds, key_group_range mine,
                             std::vector<std::string>& known, bool& ok) {
    std::size_t depth = 0;
    for_each_stage(b.chain, [&](auto& st) {
      if constexpr (stateful_stage<std::remove_cvref_t<decltype(st)>>) {
        std::string uid = b.uid_at(depth);
        std::vector<std::string_view> mine_parts;
        for (const auto& e : olds)
          for (const auto& [u, bytes] : e)
            if (u == uid) mine_parts.push_back(bytes);
        if (!mine_parts.empty()) ok = st.restore_rescaled(mine_parts, mine) && ok;
        known.push_back(std::move(uid));
      }
      ++depth;
    });
  }
  template <class B>
  static void snapshot_branch(const B& b, entries& e) {
    std::size_t depth = 0;
    for_each_stage(b.chain, [&](const auto& st) {
      if constexpr (stateful_stage<std::remove_cvref_t<decltype(st)>>) {
        auto& x = e.emplace_back(b.uid_at(depth), std::string());
        st.snapshot(x.second);
      }
      ++depth;
    });
  }
  template <class B>
  static void restore_branch(B& b, const entries& e, std::size_t& used, bool& ok) {
    std::size_t depth = 0;
    for_each_stage(b.chain, [&](auto& st) {
      if constexpr (stateful_stage<std::remove_cvref_t<decltype(st)>>) {
        const std::string uid = b.uid_at(depth);
        for (const auto& [u, bytes] : e)
          if (u == uid) {
            ok = st.restore(bytes) && ok;
            ++used;
            break;
          }
      }
      ++depth;
    });
  }
};
}  // namespace detail

/// The fan-out as a sink descriptor.
namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: a fan_out after key_by whose
// branches use the key (count, reduce, window, process...) is built on the
// sink thread of a parallel context, where records arrive without their key,
// because a branch's sink cannot run one instance per worker (print, a user
// sink). Give every branch a sink that runs per worker (collect_into,
// sum_into, for_each(f).per_worker()), and the fan-out runs in each worker,
// after the shuffle, with the key. (The message before this one, from the
// branch's stage, is the same fact seen from the stage.)
template <class Flow>
struct fan_out_branches_lose_the_key {
  static_assert(always_false<Flow>,
                "spate: a fan_out whose branches use the key needs sinks that run per worker in a parallel context");
};
}  // namespace diagnostic

template <class... Bs>
struct fan_out_sink : sink_tag {
  static constexpr const char* name = "fan_out";
  std::tuple<Bs...> branches;

  template <class Flow>
  static constexpr bool check() {
    return (detail::branch_ok<Flow, Bs> && ...);
  }

  static constexpr bool any_key_by = (detail::branch_has_key_by<Bs>() || ...);
  /// One fan-out per worker when every branch's sink runs per worker or the
  /// branch has a key_by of its own (whose sink then runs behind its shuffle).
  static constexpr bool per_worker_instances =
      ((detail::runs_per_worker<typename Bs::sink_type>() || detail::branch_has_key_by<Bs>()) && ...);

  // For the runner (exec/job_runner.hpp), which launches the part of each
  // branch with a key_by after it and gives the fan-out "tails": per branch,
  // detail::no_tail or, per fan-out instance, the shuffle the branch's
  // stages before its key_by end in.
  using branch_types = std::tuple<Bs...>;
  static constexpr std::size_t branch_count = sizeof...(Bs);
  template <std::size_t I>
  static constexpr bool branch_keyed = detail::branch_has_key_by<std::tuple_element_t<I, branch_types>>();
  /// Branch I as a job of its own, fed by the fan-out's flow Flow.
  template <class Flow, std::size_t I>
  auto branch_as_job() const {
    using B = std::tuple_element_t<I, branch_types>;
    return detail::branch_job<typename detail::feed_flow<typename B::feed, Flow>::type>(std::get<I>(branches));
  }
  template <std::size_t I>
  const std::string& branch_name() const {
    return std::get<I>(branches).name;
  }

  template <class Flow, class Env>
  auto build(Env& env, stage_label label) const {
    return make<Flow, false>(env, label, shard{}, no_tails());
  }
  template <class Flow, class Env>
  auto build_part(Env& env, stage_label label, shard sh) const {
    if constexpr (any_key_by) {
      if (sh.count > 1) {
        std::string which;
        std::apply(
            [&](const auto&... b) {
              ((detail::branch_has_key_by<std::remove_cvref_t<decltype(b)>>() && which.empty() ? (void)(which = b.name)
                                                                                                : void()),
               ...);
            },
            branches);
        throw std::runtime_error("spate: fan_out branch '" + which + "' has a key_by of its own, which this runner " +
                                 "cannot run at parallelism " + std::to_string(sh.count) +
                                 " (a context's parallel executors can): key the stream before the fan_out, run the " +
                                 "branch as a job of its own, or run at parallelism 1");
      }
    }
    return make<Flow, true>(env, label, sh, no_tails());
  }
  /// With the runner's tails: on the sink thread (instance 0 of 1) ...
  template <class Flow, class Env, class Tails>
  auto build(Env& env, stage_label label, const Tails& tails) const {
    return make<Flow, false>(env, label, shard{0, 1}, tails);
  }
  /// ... or as worker instance sh.
  template <class Flow, class Env, class Tails>
  auto build_part(Env& env, stage_label label, shard sh, const Tails& tails) const {
    return make<Flow, true>(env, label, sh, tails);
  }

 private:
  static auto no_tails() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<decltype((void)I, detail::no_tail{})...>{};
    }(std::make_index_sequence<sizeof...(Bs)>{});
  }
  template <class Flow, bool Part, class Env, class B, class Tail>
  static auto build_branch(Env& env, stage_label label, shard sh, const B& b, const Tail& tail) {
    using In = typename detail::feed_flow<typename B::feed, Flow>::type;
    auto j = detail::branch_job<In>(b);
    using J = decltype(j);
    using Stages = decltype(j.stages);
    constexpr bool whole = std::is_same_v<Tail, detail::no_tail>;
    // a branch with a tail runs its stages before the key_by, into the shuffle
    constexpr std::size_t to = whole ? std::tuple_size_v<Stages> : detail::first_key_by_in<Stages>();
    std::vector<std::string> uids;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((uids.push_back(b.name + "/" + std::to_string(I + 1) + ":" +
                       std::string(detail::stage_name_of<std::tuple_element_t<I + 1, Stages>>()))),
       ...);
    }(std::make_index_sequence<to - 1>{});
    uids.push_back(whole ? b.name + "/sink:" + std::string(J::sink_type::name) : std::string());
    auto chain = [&] {
      if constexpr (!whole) {
        auto front = [&]<std::size_t... I>(std::index_sequence<I...>) {
          return std::tuple(std::get<I>(j.stages)...);
        }(std::make_index_sequence<to>{});
        return fuse::build_segment<In, 1>(env, front, tail[sh.index], label.position);
      } else if constexpr (Part) {
        return fuse::build_segment<In, 1>(env, j.stages, detail::sink_part<typename J::sink_type>{&j.sink, sh},
                                          label.position);
      } else {
        return fuse::build_segment<In, 1>(env, j.stages, j.sink, label.position);
      }
    }();
    return detail::built_branch<typename B::feed, decltype(chain)>{std::move(chain), std::move(uids), true};
  }
  template <class Flow, bool Part, class Env, class Tails>
  auto make(Env& env, stage_label label, shard sh, const Tails& tails) const {
    if constexpr (!(detail::branch_ok<Flow, Bs> && ...)) {
      // only on a sink thread: every other build has passed check<Flow>()
      (void)&diagnostic::report<diagnostic::fan_out_branches_lose_the_key<Flow>>;
      return detail::fan_out_built<>{};
    } else {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return detail::fan_out_built<decltype(build_branch<Flow, Part>(env, label, sh, std::get<I>(branches),
                                                                       std::get<I>(tails)))...>{
            {build_branch<Flow, Part>(env, label, sh, std::get<I>(branches), std::get<I>(tails))...}};
      }(std::make_index_sequence<sizeof...(Bs)>{});
    }
  }
};

/// One stream, several outputs: fan_out(branch() | ... | sink, ...). See
/// the top of this file.
template <class... Bs>
auto fan_out(Bs... bs) {
  static_assert(sizeof...(Bs) > 0, "spate: fan_out needs at least one branch");
  if constexpr (!(detail::is_branch_spec_v<Bs> && ...)) {
    (void)&diagnostic::report<diagnostic::fan_out_needs_branches<std::tuple_element_t<0, std::tuple<Bs...>>>>;
    return detail::bad_fan_out{};
  } else {
    std::array<std::string*, sizeof...(Bs)> names{&bs.name...};
    std::array<bool, sizeof...(Bs)> side{!std::is_same_v<typename Bs::feed, detail::main_feed>...};
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i]->empty()) *names[i] = "branch " + std::to_string(i + 1);
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (*names[i] == *names[j]) {
          if (!side[i])
            throw std::invalid_argument("spate::fan_out: two branches are named '" + *names[i] +
                                        "' (a branch's name is its identity in checkpoints)");
          *names[i] += "@" + std::to_string(i + 1);  // a second branch of the same side output
        }
    return fan_out_sink<Bs...>{{}, {std::move(bs)...}};
  }
}

}  // namespace spate
