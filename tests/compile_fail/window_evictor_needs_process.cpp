// An evictor needs the window's records: count() keeps only a number.
// expect: evictor_needs_process<spate::count_evictor
// expect: evictor\(e\) needs process\(f\) after it
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
             spate::window(spate::tumbling(10s), &Ev::ts).evictor(spate::count_evictor(3)) | spate::count() |
             spate::collect_into(out));
}
