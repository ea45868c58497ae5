// branch(main_stream, tag) merges the stream (ints) with a side output of strings.
// expect: merged_records_differ<spate::detail::merged_feed<spate::detail::main_feed, spate::output_tag<spate::fixed_string<[0-9]+>{"names"}
// expect: branch\(...\) merges streams of different record types
#include <spate/spate.hpp>
#include <string>
#include <vector>
inline constexpr spate::output_tag<"names", std::string> names;
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::fan_out(spate::branch(spate::main_stream, names) | spate::collect_into(out)));
}
