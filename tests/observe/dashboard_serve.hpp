// What the dashboard's example jobs share (dashboard_job.cpp,
// dashboard_kafka_job.cpp): serve the running context's figures on a free
// loopback port, print "port <n>" (and any further lines), then run until
// stdin closes or two minutes pass.
#pragma once

#include <spate/observe/http_exporter.hpp>
#include <spate/spate.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <unistd.h>

namespace spate_test {

inline int serve_dashboard(spate::context& ctx, const std::string& more_lines = {}) {
  using namespace std::chrono_literals;
  spate::observe::http_exporter http{ctx, {.host = "127.0.0.1", .port = 0}};
  ctx.start();
  std::printf("port %d\n%s", http.port(), more_lines.c_str());
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

}  // namespace spate_test
