// window(...) groups a keyed stream; without key_by use window_all(...).
// expect: stage_needs_keyed_stream<spate::fixed_string<[0-9]+>{"window"}, int>
#include <spate/spate.hpp>
#include <chrono>
#include <vector>
int main() {
  using namespace std::chrono_literals;
  std::vector<spate::window_result<int, std::int64_t>> out;
  spate::run(spate::from_elements(1, 2) | spate::window(spate::count_window(2)) | spate::count() |
             spate::collect_into(out));
}
