// async_map's function must return a std::future of its result; this one returns the result itself.
// expect: async_function_needs_future<int, main\(\)::<lambda\(int\)> >
// expect: async_map's function must return a std::future
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::async_map([](int x) { return x * 2; }) | spate::collect_into(out));
}
