// reduce_by_key_and_window works per key (count_by_window is the whole-stream form).
// expect: stage_needs_keyed_stream<spate::fixed_string<[0-9]+>{"reduce_by_key_and_window"}, int>
#include <spate/spate.hpp>
#include <chrono>
#include <vector>
int main() {
  using namespace std::chrono_literals;
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) |
             spate::reduce_by_key_and_window([](int a, int b) { return a + b; }, [](int a, int b) { return a - b; }, 2s, 1s) |
             spate::map([](const auto& w) { return w.value; }) | spate::collect_into(out));
}
