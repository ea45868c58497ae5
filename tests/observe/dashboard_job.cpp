// A running example for the dashboard's browser test (dashboard_test.sh):
// an unbounded keyed count on two workers, its figures served on a free
// loopback port, which it prints ("port <n>") before it runs until stdin
// closes (or two minutes pass).
#include <spate/observe/http_exporter.hpp>
#include <spate/spate.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

int main() {
  using namespace std::chrono_literals;
  spate::context ctx{spate::micro_batch{200ms}, spate::parallelism{2}, spate::max_rate{200'000}};
  ctx.add(spate::generate([](std::uint64_t i) { return i; }, spate::unbounded) |
          spate::filter([](std::uint64_t i) { return i % 3 != 0; }) |
          spate::key_by([](std::uint64_t i) { return i % 100; }) | spate::count() |
          spate::for_each([](const auto&) {}));
  spate::observe::http_exporter http{ctx, {.host = "127.0.0.1", .port = 0}};
  ctx.start();
  std::printf("port %d\n", http.port());
  std::fflush(stdout);
  std::thread stdin_watch([&] {
    char c;
    while (::read(0, &c, 1) > 0) {
    }
    ctx.stop();
  });
  stdin_watch.detach();
  ctx.await_termination_for(120s);
  ctx.stop();
  return 0;
}
