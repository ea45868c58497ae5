#pragma once
// Sinks and stages that record what the executor did, for the exec tests.
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#include <spate/spate.hpp>

namespace spate_test {

/// Records per batch what reached the sink: one vector per batch end, plus
/// the records after the last batch end. Also watermarks and ticks.
template <class T>
struct batch_log {
  std::vector<std::vector<T>> batches{{}};
  std::vector<spate::batch_info> infos;
  std::vector<std::int64_t> watermarks;
  std::atomic<long> ticks{0};
  bool ended = false;
};

template <class T>
struct log_sink : spate::sink_tag {
  batch_log<T>* log;
  static constexpr const char* name = "log_sink";
  template <class Flow>
  static constexpr bool check() {
    return true;
  }
  struct built {
    batch_log<T>* log;
    template <class R>
    bool push(R&& r) {
      log->batches.back().push_back(T(std::forward<R>(r)));
      return true;
    }
    void on_watermark(spate::event_time t) { log->watermarks.push_back(spate::to_millis(t)); }
    void on_barrier(spate::checkpoint_id) {}
    void on_batch_end(const spate::batch_info& b) {
      log->infos.push_back(b);
      log->batches.emplace_back();
    }
    void on_tick(spate::event_time) { ++log->ticks; }
    void on_end() { log->ended = true; }
  };
  template <class Flow, class Env>
  built build(Env&, spate::stage_label) const {
    return built{log};
  }
};
template <class T>
log_sink<T> log_into(batch_log<T>& l) {
  return {{}, &l};
}

/// Forwards records, and after each one announces its value as a watermark.
struct watermark_after_each : spate::stage_tag {
  static constexpr const char* name = "watermark_after_each";
  template <class Flow>
  static constexpr bool check() {
    return true;
  }
  template <class Flow>
  using output = Flow;
  template <class Down>
  struct built : spate::forward_control<Down> {
    template <class R>
    bool push(R&& r) {
      std::int64_t t = r;
      bool go = this->down.push(std::forward<R>(r));
      this->down.on_watermark(spate::from_millis(t));
      return go;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, spate::stage_label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{{std::forward<Down>(down)}};
  }
};

}  // namespace spate_test
