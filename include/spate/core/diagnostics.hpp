#pragma once
// Designed compile errors. When a pipeline is wrong, the compiler stops at one
// of these templates; its arguments in the error's "In instantiation of"
// line name the stage and the types involved, and the static_assert text says
// what to do. Nothing else is instantiated after it (see error_pipeline), so
// the user sees one message, not a template backtrace.
#include <cstddef>

namespace spate {

/// A compile-time string, so a stage's name appears verbatim in diagnostics.
template <std::size_t N>
struct fixed_string {
  char text[N]{};
  constexpr fixed_string(const char (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
};

namespace diagnostic {
template <class...>
inline constexpr bool always_false = false;

// Stages report a mistake with `(void)&report<some_diagnostic<...>>;` in their
// constexpr check(): taking the address instantiates the diagnostic (its
// static_assert is the message) while check() stays a constant expression, so
// no compiler goes on to report the same mistake again in other words.
template <class Diagnostic>
void report() {
  (void)Diagnostic{};
}

// READ THIS IF YOUR COMPILE BREAKS HERE: the stage named in the first template
// argument cannot be called with the records the previous stage produces
// (second argument). The third argument is the function you gave the stage.
// Constness is never the reason: a mutable lambda or a non-const operator()
// is fine (each built stage calls its own copy); the arguments do not fit.
template <fixed_string Stage, class Input, class Function>
struct stage_cannot_accept_input {
  static_assert(always_false<Function>,
                "spate: a stage's function cannot be called with the previous stage's output; "
                "see the stage name, the record type and the function in the 'In instantiation of' line");
};

// READ THIS IF YOUR COMPILE BREAKS HERE: this stage works per key (reduce,
// fold, aggregate, window, process...) but the stream before it is not keyed.
template <fixed_string Stage, class Input>
struct stage_needs_keyed_stream {
  static_assert(always_false<Input>,
                "spate: this stage works per key; put spate::key_by(...) before it");
}; 

// READ THIS IF YOUR COMPILE BREAKS HERE: a function returned void, or a type
// that cannot be a record (a reference to a temporary, an array...).
template <fixed_string Stage, class Input, class Result>
struct stage_bad_result {
  static_assert(always_false<Result>,
                "spate: the stage's function returns a type that does not fit the stage "
                "(see the stage, its input and the returned type in the 'In instantiation of' line)");
};

// READ THIS IF YOUR COMPILE BREAKS HERE: the sink cannot store or print the records.
template <fixed_string Sink, class Input, class Target>
struct sink_cannot_accept_input {
  static_assert(always_false<Target>,
                "spate: the sink cannot take the pipeline's records "
                "(see the sink, the record type and the target in the 'In instantiation of' line)");
};

// READ THIS IF YOUR COMPILE BREAKS HERE: the streams given to merge/union
// carry different record types.
template <class First, class Other>
struct merged_streams_differ {
  static_assert(always_false<First>, "spate: merge/union needs streams of the same record type");
};
// READ THIS IF YOUR COMPILE BREAKS HERE: a built stage (or sink) does not
// answer every call of the stage protocol (algebra/stage.hpp). The first
// template argument is the descriptor whose build() made it, the second the
// call it lacks (`spate::protocol::on_idle`, ...), the third the built type.
// Derive the built stage from spate::forward_control<Down> (a stage) or
// spate::sink_control (a sink) to get every call you do not override.
template <class Descriptor, class MissingCall, class Built>
struct stage_misses_protocol_call {
  static_assert(always_false<Built>,
                "spate: a built stage does not speak the whole stage protocol; the 'In instantiation of' line "
                "names the stage's descriptor and the call it lacks (see docs/internals.md)");
};

}  // namespace diagnostic

/// Produced when a composition failed its check: absorbs further composition
/// and running, so that the one designed message is all the user sees.
struct error_pipeline {
  template <class X>
  friend constexpr error_pipeline operator|(error_pipeline, X&&) { return {}; }
};

}  // namespace spate
