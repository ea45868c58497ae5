#pragma once
// Where the Kafka benchmarks find a broker: SPATE_KAFKA_BOOTSTRAP, else the
// file SPATE_KAFKA_BOOTSTRAP_FILE names, else the cluster scripts/kafka runs
// (its default state dir). Empty when there is none. Needs SPATE_SOURCE_DIR.
#include <cstdio>
#include <cstdlib>
#include <string>

namespace spate_bench {

inline std::string kafka_bootstrap() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  std::string b = env("SPATE_KAFKA_BOOTSTRAP");
  if (!b.empty()) return b;
  const std::string file = env("SPATE_KAFKA_BOOTSTRAP_FILE");
  if (!file.empty()) {
    if (FILE* f = std::fopen(file.c_str(), "r")) {
      char buf[256] = {};
      if (std::fgets(buf, sizeof buf, f)) b = buf;
      std::fclose(f);
    }
  }
  if (b.empty()) {
    if (FILE* p = ::popen(SPATE_SOURCE_DIR "/scripts/kafka bootstrap 2>/dev/null", "r")) {
      char buf[256] = {};
      if (std::fgets(buf, sizeof buf, p)) b = buf;
      ::pclose(p);
    }
  }
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return b;
}

}  // namespace spate_bench
