#pragma once
// A test sink that records results and watermarks in arrival order, so tests
// can check when windows fire, not only what they emit.
#include <sstream>
#include <string>
#include <vector>

#include <spate/spate.hpp>

namespace spate_test {

struct log_sink : spate::sink_tag {
  std::vector<std::string>* log;
  bool watermarks = true;
  static constexpr const char* name = "log";
  template <class Flow>
  static constexpr bool check() { return true; }
  struct built {
    std::vector<std::string>* log;
    bool watermarks;
    template <class R>
    bool push(const R& r) {
      std::ostringstream os;
      os << r;
      log->push_back(os.str());
      return true;
    }
    void on_watermark(spate::event_time t) {
      if (watermarks) log->push_back("W" + (t == spate::max_watermark ? std::string("max") : std::to_string(spate::to_millis(t))));
    }
    void on_barrier(spate::checkpoint_id) {}
    void on_batch_end(const spate::batch_info& b) { log->push_back("B" + std::to_string(spate::to_millis(b.time))); }
    void on_tick(spate::event_time) {}
    void on_idle(bool) {}
    void on_end() { log->push_back("end"); }
  };
  template <class Flow, class Env>
  built build(Env&, spate::stage_label) const { return {log, watermarks}; }
};
inline log_sink log_into(std::vector<std::string>& v, bool watermarks = true) { return {{}, &v, watermarks}; }

}  // namespace spate_test
