#pragma once
// Side outputs (Flink's OutputTag): a stage emits records of another type,
// or records it would otherwise drop (a window's late records), under a tag;
// a branch of the fan-out after it takes them on (algebra/fan_out.hpp):
//
//   inline constexpr spate::output_tag<"late", Click> late;
//   src | ... | key_by(&Click::user)
//       | window(tumbling(1min), &Click::ts).late_to(late) | count()
//       | fan_out(branch() | collect_into(counts),
//                 branch(late) | map(&Click::user) | collect_into(late_users));
//
// A process function emits with ctx.output(late, record). The record goes to
// its branch by a direct call, on the thread of the stage that emits it: the
// fan-out must be in the same segment (no key_by between the emitting stage
// and the fan-out when the job runs in parallel). Where it is not, the job
// fails naming the stage and the tag: a window's at its start, a process
// function's at its first emission.
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/diagnostics.hpp"
#include "../core/stage_error.hpp"
#include "stage.hpp"

namespace spate {

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: an output tag ends a pipeline as if
// it were a sink. A tag names a side output: a window sends its late records
// to it (window(...).late_to(tag)), a process function emits to it
// (ctx.output(tag, v)), and a branch of the fan-out after them takes them
// on: fan_out(branch() | sink, branch(tag) | ... | sink).
template <class Tag>
struct output_tag_is_not_a_sink {
  static_assert(always_false<Tag>, "spate: an output_tag is not a sink: take its records with fan_out(..., branch(tag) | ... | sink)");
};
}  // namespace diagnostic

namespace detail {
template <class Tag>
struct side_port;
}

/// A side output's name and record type. Tags are told apart by type: two
/// tags are the same tag when name and type are. A tag is what
/// window(...).late_to(tag) sends late records to, hence a sink descriptor;
/// it is no sink of a pipeline (a diagnostic says so).
template <fixed_string Name, class T>
struct output_tag : sink_tag {
  using value_type = T;
  static constexpr const char* name = Name.text;
  static constexpr std::string_view tag_name() noexcept { return Name.text; }
  template <class Flow>
  static constexpr bool check() {
    (void)&diagnostic::report<diagnostic::output_tag_is_not_a_sink<output_tag>>;
    return false;
  }
  /// As a window's late output: the port the window operator hands late
  /// records through (window/core.hpp).
  template <class Flow, class Env>
  detail::side_port<output_tag> build(Env&, stage_label) const {
    return {};
  }
};

template <class T>
inline constexpr bool is_output_tag_v = false;
template <fixed_string N, class T>
inline constexpr bool is_output_tag_v<output_tag<N, T>> = true;

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: a stage emits to a side output tag
// (first argument), and the fan_out after it in the same segment has no
// branch(tag) for it: add `branch(tag) | ... | sink` to the fan_out.
template <class Tag, class FanOut>
struct side_output_without_branch {
  static_assert(always_false<Tag>, "spate: a side output tag has no branch(tag) in the fan_out after the stage");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: the record given to a side output
// (second argument) cannot become the tag's record type (first argument's
// value_type).
template <class Tag, class Record>
struct side_output_wrong_type {
  static_assert(always_false<Tag>, "spate: the record does not convert to the side output tag's type");
};
}  // namespace diagnostic

namespace detail {
/// The fan-out (a built object that says `using is_fan_out = void`) reached
/// from `d` through `down` (and `inner`, the executors' sink wrapper), or
/// nullptr (of type std::nullptr_t) when the chain ends before one: a
/// shuffle, the sink thread's queue, or another sink.
template <class D>
constexpr auto* find_fan_out(D& d) noexcept {
  if constexpr (requires { typename D::is_fan_out; })
    return &d;
  else if constexpr (requires { d.down; })
    return find_fan_out(d.down);
  else if constexpr (requires { d.inner; })
    return find_fan_out(d.inner);
  else if constexpr (requires { d.unfused_next(); })  // the unfused engine's link (fuse/unfused.hpp)
    return find_fan_out(d.unfused_next());
  else
    return static_cast<std::nullptr_t*>(nullptr);
}
template <class D>
using fan_out_after = std::remove_pointer_t<decltype(find_fan_out(std::declval<D&>()))>;

template <class Tag>
std::string side_output_unreachable(stage_label label) {
  return "spate: the side output '" + std::string(Tag::tag_name()) + "' of stage '" + std::string(label.name) + "' (#" +
         std::to_string(label.position) +
         ") reaches no fan_out branch(tag) in its segment: add one after the stage, with no key_by in between "
         "when the job runs in parallel, and a fan_out whose branches' sinks run one instance per worker";
}

/// Whether a side output of `label` can reach its branch from Down: a
/// compile-time error when the fan-out after it lacks the branch, a
/// runtime_error (at the start of the job) when there is no fan-out.
template <class Tag, class Down>
void check_side_output(stage_label label) {
  using F = fan_out_after<Down>;
  if constexpr (std::is_same_v<F, std::nullptr_t>)
    throw std::runtime_error(side_output_unreachable<Tag>(label));
  else if constexpr (!F::template has_side<Tag>)
    (void)&diagnostic::report<diagnostic::side_output_without_branch<Tag, F>>;
}

/// Sends v to the branches of Tag in the fan-out after `down`.
template <class Tag, class Down, class V>
[[gnu::always_inline]] inline void emit_side(Down& down, stage_label label, V&& v) {
  using T = typename Tag::value_type;
  if constexpr (!std::is_constructible_v<T, V&&>) {
    (void)&diagnostic::report<diagnostic::side_output_wrong_type<Tag, std::remove_cvref_t<V>>>;
  } else {
    auto* f = find_fan_out(down);
    if constexpr (std::is_same_v<std::remove_pointer_t<decltype(f)>, std::nullptr_t>) {
      throw std::runtime_error(side_output_unreachable<Tag>(label));
    } else if constexpr (!std::remove_pointer_t<decltype(f)>::template has_side<Tag>) {
      (void)&diagnostic::report<diagnostic::side_output_without_branch<Tag, std::remove_pointer_t<decltype(f)>>>;
    } else if constexpr (std::is_same_v<std::remove_cvref_t<V>, T>) {
      f->template push_side<Tag>(std::forward<V>(v));
    } else {
      f->template push_side<Tag>(T(std::forward<V>(v)));
    }
  }
}

/// The late output of a window that sends late records to a tag: the
/// window operator hands them to emit_side (window/core.hpp).
template <class Tag>
struct side_port : sink_control {
  using side_tag = Tag;
  template <class R>
  bool push(const R&) noexcept {
    return true;
  }
};
}  // namespace detail

}  // namespace spate
