#pragma once
// The built-in aggregations as window functions (Flink's
// window(...).sum("amount") / min / max / min_by / max_by): per key and
// window, the record aggregated as the keyed forms aggregate it
// (algebra/aggregations.hpp): sum, min and max replace the field in the
// window's first record; min_by and max_by give the window's record with the
// extreme field, the earliest of equal ones. The window emits it as its
// value, in a window_result as every window function does:
//   ... | key_by(&Sale::shop) | window(tumbling(1min)) | sum(&Sale::amount)
// They are reduces, so they merge (sliding and session windows).
#include <type_traits>
#include <utility>

#include "../algebra/aggregations.hpp"
#include "../algebra/pipeline.hpp"
#include "../algebra/reduce.hpp"
#include "window.hpp"

namespace spate {

template <class Src, class... Ds, fixed_string Name, detail::aggregation Kind, class A>
  requires detail::ends_with_window<Ds...>
auto operator|(pipeline<Src, Ds...> p, aggregation_stage<Name, Kind, A> a) {
  using T = typename pipeline<Src, Ds...>::value_type;
  if constexpr (!detail::selects_field<A, T>) {
    (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<Name, T, A>>;
    return error_pipeline{};
  } else {
    return std::move(p) | reduce(detail::aggregate_fields<Kind, A>{a.field});
  }
}

}  // namespace spate
