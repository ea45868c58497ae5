#pragma once
// This process's memory as Linux reports it in /proc/self/status, in bytes:
// VmRSS (resident now) and VmHWM (the resident peak so far).
#include <cstddef>
#include <fstream>
#include <string>

namespace spate_test {

struct process_memory {
  std::size_t rss = 0;
  std::size_t peak_rss = 0;
};

inline process_memory read_process_memory() {
  process_memory m;
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    std::size_t kb = 0;
    if (key == "VmRSS:" && in >> kb) m.rss = kb * 1024;
    else if (key == "VmHWM:" && in >> kb) m.peak_rss = kb * 1024;
    std::string rest;
    std::getline(in, rest);
  }
  return m;
}

}  // namespace spate_test
