// process(f) after window(...) is f(key, time_window, const std::vector<T>&);
// this one forgets the window.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"window process"}, int, main\(\)::<lambda\(int, const std::vector<int, std::allocator<int> >&\)> >
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<spate::window_result<int, int>> out;
  spate::run(spate::from_elements(1, 2) | spate::key_by([](int x) { return x % 2; }) |
             spate::window(spate::count_window(2)) |
             spate::process([](int, const std::vector<int>& rs) { return static_cast<int>(rs.size()); }) |
             spate::collect_into(out));
}
