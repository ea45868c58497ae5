#pragma once
// A scripted source for deterministic tests of time: records interleaved with
// processing-time ticks (the manual clock), watermarks and batch ends, pushed
// in the order given.
//   script<Ev> s;
//   s.record(e1).tick(from_millis(1000)).record(e2).watermark(from_millis(500)).batch_end(from_millis(2000));
//   run(from_script(s) | ...);
#include <cstdint>
#include <utility>
#include <vector>

#include "../io/source.hpp"

namespace spate {

template <class T>
struct script {
  enum class kind : std::uint8_t { record, tick, watermark, batch_end };
  struct step {
    kind what;
    T value{};
    event_time t{};
  };
  std::vector<step> steps;

  script& record(T v) { steps.push_back({kind::record, std::move(v), {}}); return *this; }
  script& tick(event_time now) { steps.push_back({kind::tick, T{}, now}); return *this; }
  script& watermark(event_time t) { steps.push_back({kind::watermark, T{}, t}); return *this; }
  script& batch_end(event_time t) { steps.push_back({kind::batch_end, T{}, t}); return *this; }
};

template <class T>
struct script_source : source_tag {
  const script<T>* s;
  using value_type = T;
  static constexpr const char* name = "script";

  template <class Down>
  struct driver : driver_base<driver<Down>, Down> {
    const script<T>* s;
    std::size_t i = 0;
    std::uint64_t batches = 0;
    poll_result poll(std::size_t max) {
      if (this->done) return {0, poll_status::ended};
      std::size_t n = 0;
      using K = typename script<T>::kind;
      for (; i < s->steps.size() && n < max; ++i) {
        const auto& st = s->steps[i];
        switch (st.what) {
          case K::record:
            ++n;
            if (!this->down->push(st.value)) {
              ++i;
              return this->finish(n, true);
            }
            break;
          case K::tick: this->down->on_tick(st.t); break;
          case K::watermark: this->down->on_watermark(st.t); break;
          case K::batch_end: this->down->on_batch_end(batch_info{st.t, batches++}); break;
        }
      }
      if (i == s->steps.size()) return this->finish(n, false);
      return {n, poll_status::more};
    }
  };
  template <class Env, class Down>
  auto open(Env&, shard, Down& down) const {
    return driver<Down>{{&down}, s};
  }
};

/// A source that replays a script (referenced: keep it alive while running).
template <class T>
script_source<T> from_script(const script<T>& s) {
  return {{}, &s};
}

}  // namespace spate
