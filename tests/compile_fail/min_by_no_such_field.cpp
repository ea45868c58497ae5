// min_by names a member the record does not have.
// expect: stage_cannot_accept_input<spate::fixed_string<[0-9]+>{"min_by"}, std::pair<int, int>
// expect: cannot be called with the previous stage's output
#include <spate/spate.hpp>
#include <utility>
#include <vector>
struct other { int x; };
int main() {
  std::vector<std::pair<int, int>> in{{1, 2}}, out;
  spate::run(spate::from_collection(in) | spate::key_by<0>() | spate::min_by(&other::x) | spate::collect_into(out));
}
