// .trigger(t) belongs to time windows; a count window fires on its count.
// expect: trigger_needs_time_window<spate::count_assigner>
// expect: apply to tumbling, sliding and session windows
#include <spate/spate.hpp>
#include <cstdint>
#include <vector>
struct Ev {
  int key;
  std::int64_t ts;
};
int main() {
  std::vector<spate::window_result<int, std::int64_t>> out;
  spate::run(spate::from_elements(Ev{1, 0}) | spate::key_by(&Ev::key) |
             spate::window(spate::count_window(5)).trigger(spate::every_n(2)) | spate::count() |
             spate::collect_into(out));
}
