#pragma once
// Timestamps travel with the record: after with_watermarks(ts, ...), a
// window(assigner) with an event-time assigner and a process(f) take the
// timestamp function from there, without being told again (Flink's records
// carry the timestamp that assignTimestampsAndWatermarks gave them):
//   src | with_watermarks(&click::ts, bounded_out_of_orderness(5s))
//       | key_by(&click::user) | window(tumbling(1min)) | count()
// The last with_watermarks before the stage is the one; its function must
// still apply to the records that reach the stage (a map that changed their
// type in between: pass the timestamp to the stage, as before). A timestamp
// given to the stage explicitly is used as given.
#include <type_traits>
#include <utility>

#include "../algebra/pipeline.hpp"
#include "../state/process.hpp"
#include "../window/window.hpp"
#include "timestamp.hpp"
#include "watermark.hpp"

namespace spate {

namespace detail {
template <class Src, class... Ds>
inline constexpr bool knows_timestamp = upstream_timestamp<Ds...>::found;
template <class Src, class... Ds>
using upstream_ts_t =
    std::remove_cvref_t<decltype(upstream_timestamp_of<Ds...>(std::declval<const std::tuple<Ds...>&>()))>;
}  // namespace detail

// pipeline | window(event-time assigner) with no timestamp, after a
// with_watermarks whose function applies: the window takes that function.
template <class Src, class... Ds, class A, class L, bool All>
  requires(A::event_time && detail::knows_timestamp<Src, Ds...> &&
           TimestampFunction<detail::upstream_ts_t<Src, Ds...>, typename pipeline<Src, Ds...>::value_type>)
auto operator|(pipeline<Src, Ds...> p, window_stage<A, no_timestamp, L, All> w) {
  window_stage<A, detail::upstream_ts_t<Src, Ds...>, L, All> timed{
      {}, std::move(w.assigner), detail::upstream_timestamp_of<Ds...>(p.stages), w.lateness, std::move(w.late),
      w.late_counter};
  return std::move(p) | std::move(timed);
}

// pipeline | process(f) with no timestamp (not as a window's function),
// after a with_watermarks whose function applies: ctx.timestamp() is the
// record's event time.
template <class Src, class... Ds, class F>
  requires(!detail::ends_with_window<Ds...> && detail::knows_timestamp<Src, Ds...> &&
           TimestampFunction<detail::upstream_ts_t<Src, Ds...>, typename pipeline<Src, Ds...>::value_type>)
auto operator|(pipeline<Src, Ds...> p, process_stage<F, no_timestamp> f) {
  process_stage<F, detail::upstream_ts_t<Src, Ds...>> timed{{}, std::move(f.fn),
                                                            detail::upstream_timestamp_of<Ds...>(p.stages)};
  return std::move(p) | std::move(timed);
}

}  // namespace spate
