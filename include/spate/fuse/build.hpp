#pragma once
// Fused building: a descriptor list plus a sink becomes nested stage objects,
// each holding the next by value, so one push() call inlines through the
// whole segment into the loop a person would write.
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../algebra/pipeline.hpp"

namespace spate::fuse {

/// Builds stages [I, end) of `stages` (whose input is Flow) in front of `sink`.
/// `first_position` is the position of stage I in the whole pipeline.
/// Every built stage and sink is held to the whole protocol here
/// (protocol::check in algebra/stage.hpp).
template <class Flow, std::size_t I = 0, class Env, class Tuple, class Sink>
auto build_segment(Env& env, const Tuple& stages, const Sink& sink, std::size_t first_position = 1) {
  if constexpr (I == std::tuple_size_v<Tuple>) {
    using Built = decltype(sink.template build<Flow>(env, stage_label{}));
    static_assert(protocol::check<Sink, Flow, Built>(), "spate: see the message above");
    return sink.template build<Flow>(env, stage_label{Sink::name, first_position + I});
  } else {
    using D = std::tuple_element_t<I, Tuple>;
    using Out = typename D::template output<Flow>;
    const D& d = std::get<I>(stages);
    auto rest = build_segment<Out, I + 1>(env, stages, sink, first_position);
    using Built = decltype(d.template build<Flow>(env, stage_label{}, std::move(rest)));
    static_assert(protocol::check<D, Flow, Built>(), "spate: see the message above");
    return d.template build<Flow>(env, stage_label{D::name, first_position + I}, std::move(rest));
  }
}

/// The fused chain of a whole job: stages and sink, ready for the source.
template <class Env, class Src, class Sink, class... Ds>
auto build(Env& env, const job<Src, Sink, Ds...>& j) {
  return build_segment<flow<typename Src::value_type>>(env, j.stages, j.sink);
}

}  // namespace spate::fuse
