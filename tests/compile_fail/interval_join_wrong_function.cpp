// interval_join's function must take (input 1's record, input 2's record); this one takes them swapped.
// expect: join_function_cannot_accept<spate::fixed_string<[0-9]+>{"interval_join"}, Order, Payment, main\(\)::<lambda\(const Payment&, const Order&\)> >
// expect: the join function cannot be called with
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
             spate::key_by(&Order::id, &Payment::order) |
             spate::interval_join(0ms, 5ms, [](const Payment& p, const Order&) { return p.order; }) |
             spate::collect_into(out));
}
