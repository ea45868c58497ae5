#pragma once
// Composition with `|`. A pipeline is a value whose type lists every stage:
//   source | stage | stage | sink   ->  job<Source, Sink, Stage, Stage>
//   stage | stage                   ->  chain<Stage, Stage>   (a reusable piece)
// Each `|` that appends to a source checks the stage against the records that
// reach it, so a mistake is reported at the `|` that made it.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "stage.hpp"

namespace spate {

template <class... Ds>
struct chain;
template <class Src, class... Ds>
struct pipeline;
template <class Src, class Sink, class... Ds>
struct job;

namespace detail {
// The flow after running `Flow` through stages Ds...
template <class Flow, class... Ds>
struct flow_after;
template <class Flow>
struct flow_after<Flow> {
  using type = Flow;
};
template <class Flow, class D, class... Ds>
struct flow_after<Flow, D, Ds...> {
  using type = typename flow_after<typename D::template output<Flow>, Ds...>::type;
};

template <class Src>
using source_flow = flow<typename Src::value_type>;
}  // namespace detail

/// `| uid("name")` pins the stable identity of what it follows: a stage,
/// the source (right after it) or the sink (after the whole job), as Flink's
/// `.uid(...)`. Checkpoints keep each stateful stage's state under its
/// identity; a derived one ("j<job>.<position>:<name>") changes when stages
/// are inserted before it, a pinned one does not, so a checkpoint or a
/// savepoint still restores into the changed job. Identities are unique in
/// a context (checked when the job starts).
struct uid {
  std::string name;
  explicit uid(std::string n) : name(std::move(n)) {
    if (name.empty()) throw std::invalid_argument("spate::uid: a pinned uid must not be empty");
  }
};

/// The uids pinned in a pipeline: the source's, each stage's by position
/// (empty: derived) and the sink's.
struct uid_pins {
  std::string source;
  std::vector<std::string> stages;
  std::string sink;
  /// The pin of stage k, or empty.
  const std::string& stage(std::size_t k) const {
    static const std::string none;
    return k < stages.size() ? stages[k] : none;
  }
  /// Pins of a piece whose stages come after `offset` others.
  void append(const uid_pins& later, std::size_t offset) {
    for (std::size_t k = 0; k < later.stages.size(); ++k)
      if (!later.stages[k].empty()) pin(offset + k, later.stages[k]);
  }
  void pin(std::size_t k, std::string name) {
    if (stages.size() <= k) stages.resize(k + 1);
    stages[k] = std::move(name);
  }
};

/// Stages without a source yet: `auto parse = map(f) | filter(g);`
template <class... Ds>
struct chain : stage_tag {
  std::tuple<Ds...> stages;
  uid_pins pins{};
};

/// A source and stages: composes further with stages and a sink.
template <class Src, class... Ds>
struct pipeline {
  using source_type = Src;
  using output_flow = typename detail::flow_after<detail::source_flow<Src>, Ds...>::type;
  using value_type = typename output_flow::value_type;
  Src source;
  std::tuple<Ds...> stages;
  uid_pins pins{};
};

/// A whole pipeline, from source to sink: what executors run.
template <class Src, class Sink, class... Ds>
struct job {
  using source_type = Src;
  using sink_type = Sink;
  static constexpr std::size_t stage_count = sizeof...(Ds);
  Src source;
  std::tuple<Ds...> stages;
  Sink sink;
  uid_pins pins{};
};

template <class T>
inline constexpr bool is_job_v = false;
template <class Src, class Sink, class... Ds>
inline constexpr bool is_job_v<job<Src, Sink, Ds...>> = true;
template <class T>
concept Job = is_job_v<std::remove_cvref_t<T>>;

template <class T>
inline constexpr bool is_pipeline_v = false;
template <class Src, class... Ds>
inline constexpr bool is_pipeline_v<pipeline<Src, Ds...>> = true;

namespace detail {
template <class D>
inline constexpr bool is_chain_v = false;
template <class... Ds>
inline constexpr bool is_chain_v<chain<Ds...>> = true;

template <class Src, class... Ds, class D>
auto append(pipeline<Src, Ds...>&& p, D&& d) {
  using Flow = typename pipeline<Src, Ds...>::output_flow;
  using Dd = std::remove_cvref_t<D>;
  if constexpr (Dd::template check<Flow>())
    return pipeline<Src, Ds..., Dd>{std::move(p.source),
                                    std::tuple_cat(std::move(p.stages), std::tuple<Dd>(std::forward<D>(d))),
                                    std::move(p.pins)};
  else
    return error_pipeline{};
}

template <class... As, class... Bs>
chain<As..., Bs...> concat(chain<As...>&& a, chain<Bs...>&& b) {
  a.pins.append(b.pins, sizeof...(As));
  return {{}, std::tuple_cat(std::move(a.stages), std::move(b.stages)), std::move(a.pins)};
}

// Appends the chain's stages one by one; a stage's pin goes to where the
// stage landed (an append may put a stage of its own in front, as
// reduce_by_key does with a key_by, or merge it with the one before, as a
// window function does).
template <std::size_t I, class P, class... Cs>
auto append_chain_from(P&& p, chain<Cs...>& c) {
  if constexpr (I == sizeof...(Cs) || !requires { p.pins; }) {
    return std::forward<P>(p);
  } else {
    auto r = std::forward<P>(p) | std::get<I>(std::move(c.stages));
    if constexpr (requires { r.pins; typename decltype(r)::output_flow; })
      if (const auto& pin = c.pins.stage(I); !pin.empty())
        r.pins.pin(std::tuple_size_v<decltype(r.stages)> - 1, pin);
    return append_chain_from<I + 1>(std::move(r), c);
  }
}
template <class Src, class... Ds, class... Cs, std::size_t... I>
auto append_chain(pipeline<Src, Ds...>&& p, chain<Cs...>&& c, std::index_sequence<I...>) {
  return append_chain_from<0>(std::move(p), c);
}
}  // namespace detail

// source | stage
template <source_descriptor Src, stage_descriptor D>
auto operator|(Src&& src, D&& d) {
  return pipeline<std::remove_cvref_t<Src>>{std::forward<Src>(src), {}} | std::forward<D>(d);
}
// source | sink
template <source_descriptor Src, sink_descriptor S>
auto operator|(Src&& src, S&& s) {
  return pipeline<std::remove_cvref_t<Src>>{std::forward<Src>(src), {}} | std::forward<S>(s);
}

// pipeline | stage (or a chain of stages)
template <class Src, class... Ds, stage_descriptor D>
auto operator|(pipeline<Src, Ds...> p, D&& d) {
  using Dd = std::remove_cvref_t<D>;
  if constexpr (detail::is_chain_v<Dd>) {
    Dd c = std::forward<D>(d);
    return detail::append_chain(std::move(p), std::move(c),
                                std::make_index_sequence<std::tuple_size_v<decltype(c.stages)>>{});
  } else {
    return detail::append(std::move(p), std::forward<D>(d));
  }
}

// pipeline | sink
template <class Src, class... Ds, sink_descriptor S>
auto operator|(pipeline<Src, Ds...> p, S&& s) {
  using Flow = typename pipeline<Src, Ds...>::output_flow;
  using Sd = std::remove_cvref_t<S>;
  if constexpr (Sd::template check<Flow>())
    return job<Src, Sd, Ds...>{std::move(p.source), std::move(p.stages), std::forward<S>(s), std::move(p.pins)};
  else
    return error_pipeline{};
}

// stage | stage -> chain
template <stage_descriptor A, stage_descriptor B>
  requires(!detail::is_chain_v<std::remove_cvref_t<A>>)
auto operator|(A&& a, B&& b) {
  using Ad = std::remove_cvref_t<A>;
  using Bd = std::remove_cvref_t<B>;
  if constexpr (detail::is_chain_v<Bd>)
    return chain<Ad>{{}, std::tuple<Ad>(std::forward<A>(a))} | std::forward<B>(b);
  else
    return chain<Ad, Bd>{{}, std::tuple<Ad, Bd>(std::forward<A>(a), std::forward<B>(b))};
}
template <class... As, stage_descriptor B>
auto operator|(chain<As...> a, B&& b) {
  using Bd = std::remove_cvref_t<B>;
  if constexpr (detail::is_chain_v<Bd>)
    return detail::concat(std::move(a), Bd(std::forward<B>(b)));
  else
    return chain<As..., Bd>{{}, std::tuple_cat(std::move(a.stages), std::tuple<Bd>(std::forward<B>(b))),
                            std::move(a.pins)};
}

// `... | uid("name")`: pins the identity of the last stage (of a pipeline or
// a chain), of the source (a pipeline with no stage yet) or of the sink (a
// job).
template <class Src, class... Ds>
auto operator|(pipeline<Src, Ds...> p, uid u) {
  if constexpr (sizeof...(Ds) == 0) p.pins.source = std::move(u.name);
  else p.pins.pin(sizeof...(Ds) - 1, std::move(u.name));
  return p;
}
template <class... As>
auto operator|(chain<As...> c, uid u) {
  c.pins.pin(sizeof...(As) - 1, std::move(u.name));
  return c;
}
template <stage_descriptor A>
  requires(!detail::is_chain_v<std::remove_cvref_t<A>>)
auto operator|(A&& a, uid u) {
  using Ad = std::remove_cvref_t<A>;
  chain<Ad> c{{}, std::tuple<Ad>(std::forward<A>(a))};
  c.pins.pin(0, std::move(u.name));
  return c;
}
template <source_descriptor Src>
auto operator|(Src&& src, uid u) {
  return pipeline<std::remove_cvref_t<Src>>{std::forward<Src>(src), {}} | std::move(u);
}
template <class Src, class Sink, class... Ds>
auto operator|(job<Src, Sink, Ds...> j, uid u) {
  j.pins.sink = std::move(u.name);
  return j;
}

}  // namespace spate
