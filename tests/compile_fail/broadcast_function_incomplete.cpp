// broadcast_process's function must say its broadcast_state_type (and output_type).
// expect: broadcast_function_incomplete<spate::either<int, double>, f>
// expect: broadcast_process needs a function with broadcast_state_type
#include <spate/spate.hpp>
#include <vector>
struct f {
  using output_type = int;
  void process_element(int, const auto&, auto&) {}
  void process_broadcast(double, auto&, auto&) {}
};
int main() {
  std::vector<int> a;
  std::vector<double> b;
  std::vector<int> out;
  spate::run(spate::connect(spate::from_collection(a), spate::broadcast(spate::from_collection(b))) |
             spate::broadcast_process(f{}) | spate::collect_into(out));
}
