// top_n<0>: a ranking of no records is refused where it is written.
// expect: top_n<N> needs N > 0
#include <spate/spate.hpp>
#include <utility>
#include <vector>
int main() {
  std::vector<std::pair<int, int>> in{{1, 2}};
  std::vector<std::pair<int, std::vector<std::pair<int, int>>>> out;
  spate::run(spate::from_collection(in) | spate::key_by<0>()
             | spate::top_n<0>([](const std::pair<int, int>& a, const std::pair<int, int>& b) { return a.second > b.second; })
             | spate::collect_into(out));
}
