// The typical user program of the compile-time measurement
// (scripts/compile-time): source | map | filter | key_by | tumbling window |
// count | sink, with the narrow headers it needs.
#include <spate/algebra/filter.hpp>
#include <spate/algebra/fold.hpp>
#include <spate/algebra/key_by.hpp>
#include <spate/algebra/map.hpp>
#include <spate/exec/run.hpp>
#include <spate/io/collection.hpp>
#include <spate/io/for_each.hpp>
#include <spate/time/watermark.hpp>
#include <spate/window/assigners.hpp>
#include <spate/window/window.hpp>

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

struct click {
  int user;
  std::int64_t ts;
};

int main() {
  using namespace std::chrono_literals;
  std::vector<click> in{{1, 0}, {2, 5}, {1, 1200}};
  std::vector<std::pair<int, std::int64_t>> out;
  spate::run(spate::from_collection(in) | spate::map([](const click& c) { return click{c.user % 10, c.ts}; })
             | spate::filter([](const click& c) { return c.user >= 0; })
             | spate::with_watermarks(&click::ts, spate::bounded_out_of_orderness(5ms)) | spate::key_by(&click::user)
             | spate::window(spate::tumbling(1s), &click::ts) | spate::count()
             | spate::for_each([&](const auto& r) { out.emplace_back(r.key, r.value); }));
  return out.size() == 3 ? 0 : 1;
}
