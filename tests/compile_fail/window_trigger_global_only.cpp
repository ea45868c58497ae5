// every(interval) is a global window's trigger (on its own timers), not a
// time window's: the time window's has the trigger_context.
// expect: trigger_not_for_time_windows<spate::interval_trigger>
// expect: this trigger is for global windows only
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
  spate::run(spate::from_elements(Ev{1, 0}) | spate::key_by(&Ev::key) |
             spate::window(spate::tumbling(10s), &Ev::ts).trigger(spate::every(1s)) | spate::count() |
             spate::collect_into(out));
}
