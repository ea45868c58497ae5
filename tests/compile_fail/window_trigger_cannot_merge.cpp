// Session windows merge; a trigger without on_merge cannot follow them.
// expect: trigger_cannot_merge<fires_on_big>
// expect: session windows merge, and this trigger cannot
#include <spate/spate.hpp>
#include <chrono>
#include <cstdint>
#include <vector>
struct Ev {
  int key;
  std::int64_t ts;
  int v;
};
struct fires_on_big {
  using state = spate::no_trigger_state;
  spate::trigger_result on_element(state&, const Ev& e, spate::event_time, spate::trigger_context&) const {
    return e.v > 10 ? spate::trigger_result::fire : spate::trigger_result::pass;
  }
};
int main() {
  using namespace std::chrono_literals;
  std::vector<spate::window_result<int, std::int64_t>> out;
  spate::run(spate::from_elements(Ev{1, 0, 0}) | spate::key_by(&Ev::key) |
             spate::window(spate::session(10s), &Ev::ts).trigger(fires_on_big{}) | spate::count() |
             spate::collect_into(out));
}
