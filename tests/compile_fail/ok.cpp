// expect-success
// The control case: the command the other cases use compiles a good pipeline.
#include <spate/spate.hpp>
#include <string>
#include <vector>
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::map([](int x) { return x + 1; }) | spate::collect_into(out));
}
