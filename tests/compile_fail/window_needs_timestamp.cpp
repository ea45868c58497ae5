// An event-time window must know each record's timestamp: window(tumbling(1s), ts).
// expect: window_needs_timestamp<spate::tumbling_assigner<>, Ev>
// expect: an event-time window needs a timestamp function
#include <spate/spate.hpp>
#include <chrono>
#include <cstdint>
#include <vector>
struct Ev {
  int key;
  std::int64_t ts;
};
int main() {
  using namespace std::chrono_literals;
  std::vector<spate::window_result<int, std::int64_t>> out;
  spate::run(spate::from_elements(Ev{1, 0}) | spate::key_by(&Ev::key) | spate::window(spate::tumbling(1s)) |
             spate::count() | spate::collect_into(out));
}
