// Sliding windows combine panes (sessions merge): fold has no merge.
// expect: window_function_not_mergeable<spate::fold_stage<long int
// expect: sliding and session windows need a mergeable window function
#include <spate/spate.hpp>
#include <chrono>
#include <cstdint>
#include <vector>
struct Ev {
  int key;
  std::int64_t ts;
};
int main() {
  using namespace std::chrono_literals;
  std::vector<spate::window_result<int, long>> out;
  spate::run(spate::from_elements(Ev{1, 0}) | spate::key_by(&Ev::key) |
             spate::window(spate::sliding(10s, 5s), &Ev::ts) | spate::fold(0L, [](long a, const Ev&) { return a + 1; }) |
             spate::collect_into(out));
}
