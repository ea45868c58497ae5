// An interval join works per key: key_by(key_1, key_2) must come between connect and it.
// expect: stage_needs_keyed_stream<spate::fixed_string<[0-9]+>{"interval_join"}, spate::either<Order, Payment> >
// expect: this stage works per key
#include <spate/spate.hpp>
#include <chrono>
#include <cstdint>
#include <vector>
struct Order {
  int id;
  std::int64_t ts;
};
struct Payment {
  int order;
  std::int64_t ts;
};
int main() {
  using namespace std::chrono_literals;
  std::vector<Order> os;
  std::vector<Payment> ps;
  std::vector<int> out;
  spate::run(spate::connect(spate::from_collection(os), spate::from_collection(ps)) |
             spate::interval_join(0ms, 5ms, [](const Order& o, const Payment&) { return o.id; }) |
             spate::collect_into(out));
}
