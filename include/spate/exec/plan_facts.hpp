#pragma once
// What a plan says about each stage beyond its name, taken from the job's
// type: whether it keeps state (the built stage's `keeps_state` or its
// snapshot/restore, state/chain_snapshot.hpp) and its identity in
// checkpoints. The context fills them into every plan it makes.
#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../algebra/pipeline.hpp"
#include "../fuse/build.hpp"
#include "../state/chain_snapshot.hpp"
#include "job_runner.hpp"
#include "plan.hpp"

namespace spate::exec {

namespace detail {
template <class T>
void collect_state_layers(std::vector<bool>& out) {
  out.push_back(spate::keeps_state<T>());
  if constexpr (requires(T& t) { t.down; })
    collect_state_layers<std::remove_cvref_t<decltype(std::declval<T&>().down)>>(out);
}
}  // namespace detail

/// Per layer of job J's chain on one thread (its stages, then the sink):
/// whether it keeps state. The chain type is the one a context of
/// parallelism 1 builds, so nothing new is instantiated.
template <class J>
std::vector<bool> state_layers() {
  using src_t = typename J::source_type;
  using sink_t = typename J::sink_type;
  using chain_t = decltype(fuse::build_segment<flow<typename src_t::value_type>, 0>(
      std::declval<rolling_env&>(), std::declval<const J&>().stages, std::declval<const metered_sink<sink_t>&>()));
  std::vector<bool> layers;
  detail::collect_state_layers<chain_t>(layers);
  return layers;
}

/// The facts of job J (held by `runner`) that a plan carries.
struct job_facts {
  std::vector<plan::stage_facts> stages;
  std::string source_uid, sink_uid;
  bool sink_keeps_state = false;

  void fill(plan& p, std::size_t job, bool batched) const {
    p.job = job;
    p.batched = batched;
    p.stages = stages;
    p.source_uid = source_uid;
    p.sink_uid = sink_uid;
    p.sink_keeps_state = sink_keeps_state;
  }
};

template <class J>
job_facts facts_of(const job_runner_base& runner) {
  using stages_t = std::remove_cvref_t<decltype(std::declval<J&>().stages)>;
  constexpr std::size_t n = std::tuple_size_v<stages_t>;
  const auto layers = state_layers<J>();
  // A stage that builds to more than one layer (or none) makes the layers
  // unattributable: then no stage is said to keep state rather than a wrong one.
  const bool known = layers.size() == n + 1;
  const auto ids = runner.identities();  // source, stages..., sink
  job_facts f;
  const auto names = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, n>{name_of<std::tuple_element_t<I, stages_t>>()...};
  }(std::make_index_sequence<n>{});
  for (std::size_t k = 0; k < n; ++k)
    f.stages.push_back({k + 1, names[k], k + 1 < ids.size() ? ids[k + 1].first : std::string(), known && layers[k]});
  if (!ids.empty()) f.source_uid = ids.front().first;
  if (ids.size() == n + 2) f.sink_uid = ids.back().first;
  f.sink_keeps_state = known && layers[n];
  return f;
}

}  // namespace spate::exec
