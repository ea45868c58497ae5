#pragma once
// The boundaries of a parallel job. Records and control events travel in
// order through the same bounded SPSC queues (one per producer -> consumer
// pair):
//   shuffle_sink    ends an upstream segment at a key_by: routes each record,
//                   with its key, to worker hash(key) % P; broadcasts control
//   channel_sink    ends a worker's segment: everything to the sink thread
//   merger          the consumer side: reads P channels into one built
//                   segment; their control events meet in a valve
//                   (core/valve.hpp), which also says which channel must not
//                   be read now (batch ends and barriers are aligned)
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include "../algebra/stage.hpp"
#include "../core/valve.hpp"
#include "../state/hash_map.hpp"
#include "control.hpp"
#include "owned.hpp"
#include "queue.hpp"

namespace spate::exec {

struct control_event {
  enum class kind : std::uint8_t { watermark, barrier, batch_end, end, idle } what = kind::end;
  std::int64_t time = 0;      // watermark / batch time, in ms
  std::uint64_t number = 0;   // checkpoint id / batch number / idle (1) or active (0)
};

template <class K, class T>
struct keyed_record {
  K key;
  T rec;
};

/// What one queue slot holds: a control event or a record.
template <class Data>
using event = std::variant<control_event, Data>;

template <class Data>
using channel = spsc_queue<event<Data>>;

namespace detail {
template <class Data>
void broadcast(const std::vector<channel<Data>*>& outs, control_event e) {
  for (auto* q : outs) q->push(event<Data>(std::in_place_index<0>, e));
}
}  // namespace detail

/// Ends an upstream segment in front of a key_by (the `KeyBy` descriptor,
/// copied into each instance with the user's key function).
template <class KeyBy, class K, class T>
struct shuffle_sink {
  static constexpr const char* name = "shuffle";
  using data = keyed_record<K, T>;
  KeyBy key_by;
  std::vector<channel<data>*> outs;
  stage_label key_label;

  struct built {
    KeyBy key_by;
    std::vector<channel<data>*> outs;
    stage_label label;
    template <class R>
    bool push(R&& r) {
      K k = to_owned(spate::detail::call_user(label, key_by.key, std::as_const(r)));
      std::size_t w = state::key_hash{}(k) % outs.size();
      return outs[w]->push(event<data>(std::in_place_index<1>, data{std::move(k), to_owned(std::forward<R>(r))}));
    }
    void on_watermark(event_time t) { detail::broadcast(outs, {control_event::kind::watermark, to_millis(t), 0}); }
    void on_barrier(checkpoint_id id) { detail::broadcast(outs, {control_event::kind::barrier, 0, id}); }
    void on_batch_end(const batch_info& b) {
      detail::broadcast(outs, {control_event::kind::batch_end, to_millis(b.time), b.number});
    }
    void on_tick(event_time) {}  // every thread ticks for itself
    void on_idle(bool idle) { detail::broadcast(outs, {control_event::kind::idle, 0, idle ? 1u : 0u}); }
    void on_end() { detail::broadcast(outs, {control_event::kind::end, 0, 0}); }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{key_by, outs, key_label};
  }
};

/// Ends a segment in front of a sink that runs on a thread of its own.
template <class T>
struct channel_sink {
  static constexpr const char* name = "sink boundary";
  channel<T>* out;
  struct built {
    channel<T>* out;
    template <class R>
    bool push(R&& r) {
      return out->push(event<T>(std::in_place_index<1>, to_owned(std::forward<R>(r))));
    }
    void on_watermark(event_time t) { out->push(event<T>(std::in_place_index<0>, control_event{control_event::kind::watermark, to_millis(t), 0})); }
    void on_barrier(checkpoint_id id) { out->push(event<T>(std::in_place_index<0>, control_event{control_event::kind::barrier, 0, id})); }
    void on_batch_end(const batch_info& b) {
      out->push(event<T>(std::in_place_index<0>, control_event{control_event::kind::batch_end, to_millis(b.time), b.number}));
    }
    void on_tick(event_time) {}
    void on_idle(bool idle) {
      out->push(event<T>(std::in_place_index<0>, control_event{control_event::kind::idle, 0, idle ? 1u : 0u}));
    }
    void on_end() { out->push(event<T>(std::in_place_index<0>, control_event{control_event::kind::end, 0, 0})); }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{out};
  }
};

/// Reads P channels into one segment (see the top of this file).
template <class Data>
class merger {
 public:
  merger(std::size_t inputs, std::size_t capacity, const abort_flag* abort) {
    for (std::size_t i = 0; i < inputs; ++i) queues_.emplace_back(std::make_unique<channel<Data>>(capacity, &bell_, abort));
  }
  channel<Data>* input(std::size_t i) { return queues_[i].get(); }
  std::size_t inputs() const { return queues_.size(); }
  doorbell& bell() { return bell_; }
  /// Wakes everything that may sleep on this merger (abort, stop).
  void wake() {
    bell_.ring_always();
    for (auto& q : queues_) q->wake_producer();
  }

  /// Runs until every input ended (then down.on_end()) or abort.
  template <class Down>
  void run(Down& down, const control& ctl, duration tick) {
    const std::size_t n = queues_.size();
    valve v(n);
    auto next_tick = std::chrono::system_clock::now() + tick;
    for (;;) {
      if (ctl.abort()) return;
      bool progress = false;
      for (std::size_t c = 0; c < n; ++c) {
        if (!readable(v, c)) continue;
        auto& q = *queues_[c];
        for (int k = 0; k < 256; ++k) {
          event<Data>* e = q.front();
          if (!e) break;
          progress = true;
          if (e->index() == 1) {
            deliver(down, std::get<1>(*e));
            q.pop();
            continue;
          }
          control_event ce = std::get<0>(*e);
          q.pop();
          switch (ce.what) {
            case control_event::kind::watermark: v.watermark(c, from_millis(ce.time), down); break;
            case control_event::kind::barrier: v.barrier(c, ce.number, down); break;
            case control_event::kind::batch_end: v.batch_end(c, batch_info{from_millis(ce.time), ce.number}, down); break;
            case control_event::kind::idle: v.idle(c, ce.number != 0, down); break;
            case control_event::kind::end: v.end(c, down); break;
          }
          if (!readable(v, c)) break;
        }
      }
      if (v.all_ended()) {
        down.on_end();
        return;
      }
      auto now = std::chrono::system_clock::now();
      if (now >= next_tick) {
        down.on_tick(std::chrono::time_point_cast<duration>(now));
        next_tick = now + tick;
      }
      flush_rings();
      if (!progress) {
        bell_.sleep(
            [&] {
              if (ctl.abort()) return true;
              for (std::size_t c = 0; c < n; ++c)
                if (readable(v, c) && !queues_[c]->empty()) return true;
              return false;
            },
            std::chrono::duration_cast<std::chrono::microseconds>(tick));
      }
    }
  }

 private:
  static bool readable(const valve& v, std::size_t c) { return !v.ended(c) && !v.blocked(c); }

  template <class Down>
  static void deliver(Down& down, Data& d) {
    if constexpr (requires { d.key; d.rec; })
      push_to(down, &std::as_const(d.key), std::move(d.rec));
    else
      down.push(std::move(d));
  }

  std::vector<std::unique_ptr<channel<Data>>> queues_;
  doorbell bell_;
};

}  // namespace spate::exec
