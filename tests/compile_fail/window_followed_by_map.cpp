// A stage that is not a window function after window(...) (here map) leaves
// the window without a function: the same message as a sink after it.
// expect: window_needs_function<spate::window_stage<spate::count_assigner
// expect: must be followed by reduce, fold, count, aggregate or process
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::key_by([](int x) { return x % 2; }) |
             spate::window(spate::count_window(2)) | spate::map([](int x) { return x; }) | spate::collect_into(out));
}
