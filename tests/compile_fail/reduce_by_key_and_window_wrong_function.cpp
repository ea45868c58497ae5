// reduce_by_key_and_window's f and inverse are (T, T) -> T; this f takes a string.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"reduce_by_key_and_window"}, int, main\(\)::<lambda\(const (std::__cxx11::basic_string<char>|std::string)&, int\)> >
#include <spate/spate.hpp>
#include <chrono>
#include <string>
#include <vector>
int main() {
  using namespace std::chrono_literals;
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::key_by([](int x) { return x % 2; }) |
             spate::reduce_by_key_and_window([](const std::string& a, int b) { return static_cast<int>(a.size()) + b; },
                                             [](int a, int b) { return a - b; }, 2s, 1s) |
             spate::map([](const auto& w) { return w.value; }) | spate::collect_into(out));
}
