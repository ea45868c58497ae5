// A window sends its late records to a tag, and the fan_out after it has no
// branch(tag) for it.
// expect: side_output_without_branch<spate::output_tag<spate::fixed_string<[0-9]+>{"late"}, int>
// expect: a side output tag has no branch\(tag\) in the fan_out after the stage
#include <spate/spate.hpp>
#include <vector>
inline constexpr spate::output_tag<"late", int> late;
inline constexpr spate::output_tag<"other", int> other;
int main() {
  std::vector<spate::window_result<int, std::int64_t>> counts;
  std::vector<int> o;
  spate::run(spate::from_elements(1, 2) | spate::with_watermarks([](int x) { return spate::from_millis(x); }, spate::monotonous()) |
             spate::key_by([](int x) { return x % 2; }) |
             spate::window(spate::tumbling(spate::duration{10}), [](int x) { return spate::from_millis(x); }).late_to(late) |
             spate::count() |
             spate::fan_out(spate::branch() | spate::collect_into(counts), spate::branch(other) | spate::collect_into(o)));
}
