// fan_out takes branches (branch() | ... | sink), not a bare sink.
// expect: fan_out_needs_branches<spate::collect_sink<std::vector<int> > >
// expect: fan_out takes branches: branch\(\) \| stages... \| sink
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> a;
  spate::run(spate::from_elements(1, 2) | spate::fan_out(spate::collect_into(a)));
}
