// An output tag ends a pipeline as if it were a sink.
// expect: output_tag_is_not_a_sink<spate::output_tag<spate::fixed_string<[0-9]+>{"late"}, int> >
// expect: an output_tag is not a sink
#include <spate/spate.hpp>
inline constexpr spate::output_tag<"late", int> late;
int main() { spate::run(spate::from_elements(1, 2) | late); }
