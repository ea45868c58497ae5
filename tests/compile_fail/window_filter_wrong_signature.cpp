// reduce_by_key_and_window's filter is keep(key, value) -> bool (Spark's
// filterFunc); this one takes only the value.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"reduce_by_key_and_window"}, int, main\(\)::<lambda\(int\)> >
#include <spate/spate.hpp>
#include <chrono>
#include <vector>
int main() {
  using namespace std::chrono_literals;
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::key_by([](int x) { return x % 2; }) |
             spate::reduce_by_key_and_window([](int a, int b) { return a + b; }, [](int a, int b) { return a - b; }, 2s,
                                             1s, [](int v) { return v != 0; }) |
             spate::map([](const auto& w) { return w.value; }) | spate::collect_into(out));
}
