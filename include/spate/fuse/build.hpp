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
template <class Flow, std::size_t I = 0, class Env, class Tuple, class Sink>
auto build_segment(Env& env, const Tuple& stages, const Sink& sink, std::size_t first_position = 1) {
  if constexpr (I == std::tuple_size_v<Tuple>) {
    return sink.template build<Flow>(env, stage_label{Sink::name, first_position + I});
  } else {
    using D = std::tuple_element_t<I, Tuple>;
    using Out = typename D::template output<Flow>;
    const D& d = std::get<I>(stages);
    return d.template build<Flow>(env, stage_label{D::name, first_position + I},
                                  build_segment<Out, I + 1>(env, stages, sink, first_position));
  }
}

/// The fused chain of a whole job: stages and sink, ready for the source.
template <class Env, class Src, class Sink, class... Ds>
auto build(Env& env, const job<Src, Sink, Ds...>& j) {
  return build_segment<flow<typename Src::value_type>>(env, j.stages, j.sink);
}

}  // namespace spate::fuse
