// key_by after connect: input 1 is keyed by an int, input 2 by a string.
// expect: connected_key_types_differ<spate::fixed_string<[0-9]+>{"key_by"}, Order, int, Payment, std::(__cxx11::)?basic_string<char>
// expect: the two key functions return different key types
#include <spate/spate.hpp>
#include <string>
#include <vector>
struct Order {
  int id;
};
struct Payment {
  std::string order;
};
int main() {
  std::vector<Order> os;
  std::vector<Payment> ps;
  std::vector<int> out;
  spate::run(spate::connect(spate::from_collection(os), spate::from_collection(ps)) |
             spate::key_by(&Order::id, &Payment::order) |
             spate::co_map([](const Order& o) { return o.id; }, [](const Payment&) { return 0; }) |
             spate::collect_into(out));
}
