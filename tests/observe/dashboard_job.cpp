// A running example for the dashboard's browser test (dashboard_test.sh):
// an unbounded keyed count on two workers, its figures served on a free
// loopback port, which it prints ("port <n>") before it runs until stdin
// closes (or two minutes pass).
#include "dashboard_serve.hpp"

#include <chrono>

int main() {
  using namespace std::chrono_literals;
  spate::context ctx{spate::micro_batch{200ms}, spate::parallelism{2}, spate::max_rate{200'000}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
          spate::filter([](std::uint64_t i) { return i % 3 != 0; }) |
          spate::key_by([](std::uint64_t i) { return i % 100; }) | spate::count() |
          spate::for_each([](const auto&) {}));
  return spate_test::serve_dashboard(ctx);
}
