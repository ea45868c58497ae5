// A reusable chain ending in window(...) followed by a stage that is not a
// window function: the window is built without a function.
// expect: window_needs_function<spate::window_stage<spate::count_assigner
// expect: must be followed by reduce, fold, count, aggregate or process
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> out;
  auto per_two = spate::key_by([](int x) { return x % 2; }) | spate::window(spate::count_window(2)) |
                 spate::map([](int x) { return x; });
  spate::run(spate::from_elements(1, 2) | per_two | spate::collect_into(out));
}
