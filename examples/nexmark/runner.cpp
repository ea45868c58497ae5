// nexmark: runs one Nexmark query over generated events and prints its speed
// and a checksum of its results (docs/nexmark.md).
//   nexmark --query q5 --events 10000000 --parallelism 2
// Prints one line of key=value pairs:
//   query=q5 events=10000000 parallelism=2 engine=fused seconds=... events_per_s=...
//   cpu_s_per_million_events=... results=... checksum=<16 hex digits>
// cpu_s_per_million_events is getrusage(RUSAGE_SELF) user + system time of the
// whole process during the run; the checksum is the sum of the result rows'
// 64-bit hashes, so it does not depend on the order rows arrive in.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "runner.hpp"

namespace {
[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "nexmark: %s\n"
               "usage: nexmark --query qN [--events N] [--parallelism P] [--unfused] [--seed S]\n"
               "               [--rate EVENTS_PER_S] [--dir DIR]\n"
               "  queries: q0 q1 q2 q3 q4 q5 q6 q7 q8 q9 q10 q11 q12 q13 q14 q15 q16 q17 q18 q19 q20 q21 q22\n",
               why);
  std::exit(2);
}
std::uint64_t number(const char* s, const char* what) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (!end || *end || end == s) usage((std::string("not a number for ") + what + ": " + s).c_str());
  return v;
}
}  // namespace

int main(int argc, char** argv) {
  nexmark::options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--query") o.query = value();
    else if (a == "--events") o.events = number(value(), "--events");
    else if (a == "--parallelism") o.parallelism = number(value(), "--parallelism");
    else if (a == "--seed") o.cfg.seed = number(value(), "--seed");
    else if (a == "--rate") o.cfg.event_rate = static_cast<double>(number(value(), "--rate"));
    else if (a == "--dir") o.dir = value();
    else if (a == "--unfused") o.unfused = true;
    else if (a == "--help" || a == "-h") usage("help");
    else usage(("unknown argument " + a).c_str());
  }
  if (o.parallelism < 1) usage("--parallelism must be at least 1");
  if (o.unfused && o.parallelism != 1) usage("--unfused runs at parallelism 1 only");
  nexmark::outcome r;
  try {
    if (!nexmark::run_stateless(o, r) && !nexmark::run_window(o, r) && !nexmark::run_join(o, r) &&
        !nexmark::run_ops(o, r))
      usage(("unknown query " + o.query).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nexmark: %s\n", e.what());
    return 1;
  }
  std::printf("query=%s events=%" PRIu64 " parallelism=%zu engine=%s seconds=%.3f events_per_s=%.0f "
              "cpu_s_per_million_events=%.4f results=%" PRIu64 " checksum=%016" PRIx64 "\n",
              o.query.c_str(), o.events, o.parallelism, o.unfused ? "unfused" : "fused", r.seconds,
              static_cast<double>(o.events) / r.seconds, r.cpu_seconds * 1e6 / static_cast<double>(o.events),
              r.rows, r.checksum);
  return 0;
}
