// co_process takes the two inputs of connect(a, b); this stream is one stream of ints.
// expect: stage_needs_connected_stream<spate::fixed_string<[0-9]+>{"co_process"}, int>
// expect: this two-input stage must follow spate::connect
#include <spate/spate.hpp>
#include <vector>
struct f {
  using output_type = int;
  void process1(int, auto&, auto&) {}
  void process2(int, auto&, auto&) {}
};
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::co_process(f{}) | spate::collect_into(out));
}
