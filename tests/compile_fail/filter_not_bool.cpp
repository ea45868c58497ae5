// filter's predicate returns a type that does not convert to bool.
// expect: stage_bad_result<spate::fixed_string<[0-9]+>{"filter"}, int, not_bool>
#include <spate/spate.hpp>
#include <vector>
struct not_bool {};
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::filter([](int) { return not_bool{}; }) | spate::collect_into(out));
}
