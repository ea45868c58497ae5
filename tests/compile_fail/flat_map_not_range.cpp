// flat_map's function must return a range (or use flat_map<Out>(f) with emit).
// expect: stage_bad_result<spate::fixed_string<[0-9]+>{"flat_map"}, int, long int>
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<long> out;
  spate::run(spate::from_elements(1, 2) | spate::flat_map([](int x) { return x * 2L; }) | spate::collect_into(out));
}
