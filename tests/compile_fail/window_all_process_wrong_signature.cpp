// process(f) after window_all(...) is f(time_window, const std::vector<T>&):
// there is no key; this one takes one.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"window process"}, int, main\(\)::<lambda\(int, spate::time_window, const std::vector<int, std::allocator<int> >&\)> >
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<spate::all_window_result<int>> out;
  spate::run(spate::from_elements(1, 2) | spate::window_all(spate::count_window(2)) |
             spate::process([](int, spate::time_window, const std::vector<int>& rs) { return static_cast<int>(rs.size()); }) |
             spate::collect_into(out));
}
