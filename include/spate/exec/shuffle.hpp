#pragma once
// The boundaries of a parallel job. Records and control events travel in
// order through the same bounded SPSC queues (one per producer -> consumer
// pair):
//   shuffle_sink    ends an upstream segment at a key_by: routes each record,
//                   with its key, to worker hash(key) % P; broadcasts control
// Records and control travel in blocks (a few hundred events; see
// block_records), sent when full, at every control event but a watermark,
// and at the end of each chunk of work of the producing thread.
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
#include "checkpoint_log.hpp"
#include "../state/hash_map.hpp"
#include "control.hpp"
#include "owned.hpp"
#include "queue.hpp"
#include "stage_metrics.hpp"

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

/// What a block holds: control events and records, in order.
template <class Data>
using event = std::variant<control_event, Data>;

/// What one queue slot holds: a block of events. Records cross a thread in
/// blocks, not one at a time: one queue operation, one cache-line handover
/// and one wake-up check per block.
template <class Data>
using block = std::vector<event<Data>>;

template <class Data>
using channel = spsc_queue<block<Data>>;

/// Records per block: a few hundred, at most about 16 KiB of events, and at
/// most a quarter of the queue capacity (in events) the user configured, so
/// that capacity still bounds the records in flight.
template <class Data>
constexpr std::size_t block_records(std::size_t capacity_events) {
  std::size_t by_bytes = std::max<std::size_t>(1, 16384 / sizeof(event<Data>));
  std::size_t n = std::min<std::size_t>({256, by_bytes, std::max<std::size_t>(1, capacity_events / 4)});
  return std::max<std::size_t>(n, 1);
}
/// Queue slots (blocks) for a capacity given in events.
template <class Data>
constexpr std::size_t block_slots(std::size_t capacity_events) {
  return std::max<std::size_t>(4, capacity_events / block_records<Data>(capacity_events));
}

namespace detail {
/// The producer side of channels: one block being filled per channel. A
/// block is sent when full, on batch ends, barriers, idleness and end, and
/// when the thread ends its chunk of work (flush_rings(), through the
/// thread's pending list; so an idle stream never holds a record back longer
/// than one chunk of work).
template <class Data>
struct block_outs {
  struct out {
    channel<Data>* q;
    block<Data> buf;
  };
  std::vector<out> outs;
  std::size_t limit = 1;
  flush_listing listing;  // partial blocks wait in this thread's pending_flushes()

  block_outs() = default;
  block_outs(const std::vector<channel<Data>*>& qs, std::size_t lim) : limit(lim) {
    for (auto* q : qs) outs.push_back(out{q, {}});
  }

  void list() {
    listing.list(this, [](void* self) { static_cast<block_outs*>(self)->send_all(); });
  }
  bool send(out& o) {
    if (o.buf.empty()) return true;
    // the slot's emptied block (with its capacity, allocated once) comes back
    return o.q->push_swap(o.buf);
  }
  bool send_all() {
    bool ok = true;
    for (auto& o : outs) ok = send(o) && ok;
    return ok;
  }
  bool record(std::size_t w, Data&& d) {
    auto& o = outs[w];
    if (o.buf.capacity() == 0) o.buf.reserve(limit);
    o.buf.emplace_back(std::in_place_index<1>, std::move(d));
    if (o.buf.size() >= limit) return send(o);
    list();
    return true;
  }
  /// Appends a control event to every channel; sends now unless it is a
  /// watermark (which rides with the records of its block).
  void control(control_event e) {
    for (auto& o : outs) o.buf.emplace_back(std::in_place_index<0>, e);
    if (e.what == control_event::kind::watermark) {
      for (auto& o : outs)
        if (o.buf.size() >= limit) send(o);
      list();
    } else {
      send_all();
    }
  }
};
}  // namespace detail

/// How a shuffle routes a record when key_by gives no router of its own:
/// worker hash(key) % P, with the shuffle's own copy of the key function.
template <class KeyBy>
struct hash_router {
  decltype(KeyBy::key) key;
  stage_label label;
  template <class R>
  decltype(auto) key_of(const R& r) {
    return spate::detail::call_user(label, key, r);
  }
  template <class K>
  std::size_t worker_of(const K& k, std::size_t workers) const {
    return spate::state::key_hash{}(k) % workers;
  }
};
/// The router of key_by `kb` at `label`: key_by's own (route()) when it has
/// one, else hash_router.
template <class KeyBy>
auto make_router(const KeyBy& kb, stage_label label) {
  if constexpr (requires { kb.route(label); })
    return kb.route(label);
  else
    return hash_router<KeyBy>{kb.key, label};
}

/// Ends an upstream segment in front of a key_by. `Router` (one copy per
/// instance, with the user's key function) gives each record's key and the
/// worker that owns it.
template <class Router, class K, class T>
struct shuffle_sink {
  static constexpr const char* name = "shuffle";
  using data = keyed_record<K, T>;
  Router router;
  std::vector<channel<data>*> outs;
  std::size_t block = 256;
  std::size_t self = 0;  // this producer's worker: where a record that stays local goes

  struct built {
    Router router;
    detail::block_outs<data> outs;
    std::size_t self = 0;
    template <class R>
    bool push(R&& r) {
      if constexpr (requires { router.stays_local(std::as_const(r)); })
        if (router.stays_local(std::as_const(r)))
          return outs.record(self, data{to_owned(router.key_of(std::as_const(r))), to_owned(std::forward<R>(r))});
      K k = to_owned(router.key_of(std::as_const(r)));
      std::size_t w = router.worker_of(k, outs.outs.size());
      return outs.record(w, data{std::move(k), to_owned(std::forward<R>(r))});
    }
    void on_watermark(event_time t) { outs.control({control_event::kind::watermark, to_millis(t), 0}); }
    void on_barrier(checkpoint_id id) { outs.control({control_event::kind::barrier, 0, id}); }
    void on_batch_end(const batch_info& b) { outs.control({control_event::kind::batch_end, to_millis(b.time), b.number}); }
    void on_tick(event_time) {}  // every thread ticks for itself
    void on_idle(bool idle) { outs.control({control_event::kind::idle, 0, idle ? 1u : 0u}); }
    void on_end() { outs.control({control_event::kind::end, 0, 0}); }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{router, detail::block_outs<data>(outs, block), self};
  }
};

/// A shuffle that combines before sending (Spark's map-side combine, Flink's
/// local-global aggregation), for a key_by followed by a combinable keyed
/// aggregation (count(), reduce(f)): it keeps one partial per key
/// (Comb::first, Comb::add) and sends the partials, as (key, partial), each
/// to the worker that owns its key, which merges them (the stage's
/// merge_stage()). It sends them at each batch end, barrier and end of
/// input, or when it holds `bound` keys, and so:
///   compacted modes (micro-batch, batch): the results equal the uncombined
///     run, since a compacted aggregation emits only at batch ends and every
///     partial of a batch arrives before its batch end. Watermarks pass at
///     once (they do not change a compacted aggregation).
///   rolling mode (continuous, with combine_continuous{}): it also sends them
///     at the end of each chunk of the thread's work (flush_rings(), as
///     blocks are sent), before each watermark and before idleness. The
///     merging worker emits one update per partial: each key's latest value
///     is the uncombined run's, the updates in between are fewer, and none
///     waits longer than one chunk of work.
template <class Router, class K, class T, class Comb>
struct combining_shuffle_sink {
  static constexpr const char* name = "combining shuffle";
  using partial = typename Comb::template partial<T>;
  using data = keyed_record<K, partial>;
  Router router;
  Comb comb;
  std::vector<channel<data>*> outs;
  std::size_t block = 256;
  std::size_t bound = 65536;

  struct built {
    Router router;
    Comb comb;
    detail::block_outs<data> outs;
    std::size_t bound;
    bool rolling = false;
    // One table for every destination: a record costs one hash (the
    // table's); the worker of a key is computed once per partial, when sent.
    state::hash_map<K, partial> table{};
    detail::flush_listing listing;  // partials wait in this thread's pending_flushes() (rolling)

    built(Router r, Comb c, detail::block_outs<data> o, std::size_t b, bool roll)
        : router(std::move(r)), comb(std::move(c)), outs(std::move(o)), bound(b), rolling(roll) {}

    template <class R>
    bool push(R&& r) {
      decltype(auto) key = router.key_of(std::as_const(r));
      if (auto* slot = table.find(key)) {
        comb.add(slot->second, std::as_const(r));
        return true;
      }
      table.try_emplace_with(key, [&] { return comb.first(to_owned(std::forward<R>(r))); });
      if (table.size() >= bound) return drain_all();
      if (rolling) list();
      return true;
    }
    bool drain_all() {
      bool ok = true;
      const std::size_t n = outs.outs.size();
      table.erase_if([&](const K& k, partial& p) {
        ok = outs.record(router.worker_of(k, n), data{k, std::move(p)}) && ok;
        return true;
      });
      return ok;
    }
    void on_watermark(event_time t) {
      if (rolling) drain_all();  // a partial never comes after a later watermark
      outs.control({control_event::kind::watermark, to_millis(t), 0});
    }
    void on_barrier(checkpoint_id id) {
      drain_all();
      outs.control({control_event::kind::barrier, 0, id});
    }
    void on_batch_end(const batch_info& b) {
      drain_all();
      outs.control({control_event::kind::batch_end, to_millis(b.time), b.number});
    }
    void on_tick(event_time) {}
    void on_idle(bool idle) {
      if (rolling) drain_all();
      outs.control({control_event::kind::idle, 0, idle ? 1u : 0u});
    }
    void on_end() {
      drain_all();
      outs.control({control_event::kind::end, 0, 0});
    }

   private:
    void list() {
      listing.list(this, [](void* self) {
        auto* b = static_cast<built*>(self);
        b->drain_all();
        b->outs.send_all();
      });
    }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{router, comb, detail::block_outs<data>(outs, block), bound, Env::mode == emit_mode::rolling};
  }
};

/// Ends a segment in front of a sink that runs on a thread of its own.
template <class T>
struct channel_sink {
  static constexpr const char* name = "sink boundary";
  channel<T>* out;
  std::size_t block = 256;
  struct built {
    detail::block_outs<T> outs;
    template <class R>
    bool push(R&& r) {
      return outs.record(0, to_owned(std::forward<R>(r)));
    }
    void on_watermark(event_time t) { outs.control({control_event::kind::watermark, to_millis(t), 0}); }
    void on_barrier(checkpoint_id id) { outs.control({control_event::kind::barrier, 0, id}); }
    void on_batch_end(const batch_info& b) { outs.control({control_event::kind::batch_end, to_millis(b.time), b.number}); }
    void on_tick(event_time) {}
    void on_idle(bool idle) { outs.control({control_event::kind::idle, 0, idle ? 1u : 0u}); }
    void on_end() { outs.control({control_event::kind::end, 0, 0}); }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{detail::block_outs<T>(std::vector<channel<T>*>{out}, block)};
  }
};

/// Reads P channels into one segment (see the top of this file).
template <class Data>
class merger {
 public:
  /// `capacity` in events: each queue holds block_slots blocks of at most
  /// block_records events (block_limit()).
  merger(std::size_t inputs, std::size_t capacity, const abort_flag* abort)
      : limit_(block_records<Data>(capacity)), pos_(inputs, 0) {
    for (std::size_t i = 0; i < inputs; ++i)
      queues_.emplace_back(std::make_unique<channel<Data>>(block_slots<Data>(capacity), &bell_, abort));
  }
  // No write to cell_ when destroyed: the registry that owns it may be gone
  // by then (ThreadSanitizer saw a use after free). A restart's new merger
  // joins the same boundary and publishes its own fill on its first turn.
  /// Events per block its producers should send.
  std::size_t block_limit() const { return limit_; }
  /// The stage this merger feeds (1-based; the sink: stage_count + 1): its
  /// queues report as the boundary in front of it (stage_registry).
  void feeds(std::size_t position) { position_ = position; }
  channel<Data>* input(std::size_t i) { return queues_[i].get(); }
  std::size_t inputs() const { return queues_.size(); }
  doorbell& bell() { return bell_; }
  /// Wakes everything that may sleep on this merger (abort, stop).
  void wake() {
    bell_.ring_always();
    for (auto& q : queues_) q->wake_producer();
  }

  /// Runs until every input ended (then down.on_end()) or abort. Announces
  /// processing time downstream every `tick` unless `ticks` is false (a run
  /// of the whole input as one batch, which has no processing time).
  template <class Down>
  void run(Down& down, const control& ctl, duration tick, bool ticks = true,
           barrier_alignment alignment = barrier_alignment::aligned) {
    const std::size_t n = queues_.size();
    if (auto& scope = current_metering(); scope.stages && position_ && !cell_) {
      cell_ = scope.stages->join_boundary(scope.job, position_);
      const std::uint64_t slots = n ? queues_[0]->capacity() : 0;
      cell_->queue_capacity.store(slots, std::memory_order_relaxed);
      cell_->capacity.store(slots * n, std::memory_order_relaxed);
      for (auto& q : queues_) q->report_to(cell_);
    }
    valve v(n, alignment);
    aligning_output<Down> out{down, v, current_metering().checkpoints};
    auto next_tick = std::chrono::system_clock::now() + tick;
    for (;;) {
      if (ctl.abort()) return;
      bool progress = false;
      for (std::size_t c = 0; c < n; ++c) {
        if (!readable(v, c)) continue;
        auto& q = *queues_[c];
        for (int k = 0; k < 16; ++k) {  // at most 16 blocks per channel and turn
          block<Data>* b = q.front();
          if (!b) break;
          progress = true;
          std::size_t& pos = pos_[c];
          while (pos < b->size()) {
            event<Data>& e = (*b)[pos++];
            if (e.index() == 1) {
              deliver(down, std::get<1>(e));
              continue;
            }
            control_event ce = std::get<0>(e);
            switch (ce.what) {
              case control_event::kind::watermark: v.watermark(c, from_millis(ce.time), out); break;
              case control_event::kind::barrier: v.barrier(c, ce.number, out); break;
              case control_event::kind::batch_end: v.batch_end(c, batch_info{from_millis(ce.time), ce.number}, out); break;
              case control_event::kind::idle: v.idle(c, ce.number != 0, out); break;
              case control_event::kind::end: v.end(c, out); break;
            }
            if (!readable(v, c)) break;  // the rest of the block waits
          }
          if (pos >= b->size()) {
            pos = 0;
            q.pop();
          }
          if (!readable(v, c)) break;
        }
      }
      if (v.all_ended()) {
        if (cell_) publish_fill();  // drained: what the boundary shows once the job ended
        down.on_end();
        return;
      }
      auto now = std::chrono::system_clock::now();
      if (ticks && now >= next_tick) {
        down.on_tick(std::chrono::time_point_cast<duration>(now));
        next_tick = now + tick;
      }
      flush_rings();
      if (cell_) publish_fill();
      if (!progress) {
        const auto wait_from = cell_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        bell_.sleep(
            [&] {
              if (ctl.abort()) return true;
              for (std::size_t c = 0; c < n; ++c)
                if (readable(v, c) && !queues_[c]->empty()) return true;
              return false;
            },
            std::chrono::duration_cast<std::chrono::microseconds>(tick));
        if (cell_)
          cell_->consumer_wait_ns.fetch_add(
              static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now() - wait_from)
                                             .count()),
              std::memory_order_relaxed);
      }
    }
  }

 private:
  // What the valve forwards goes downstream; a barrier's alignment time is
  // reported before the barrier (whose acknowledgement may complete the
  // checkpoint).
  template <class Down>
  struct aligning_output {
    Down& down;
    const valve& v;
    checkpoint_log* checkpoints;
    void on_watermark(event_time t) { down.on_watermark(t); }
    void on_batch_end(const batch_info& b) { down.on_batch_end(b); }
    void on_barrier(checkpoint_id n) {
      if (checkpoints) checkpoints->aligned(n, v.last_alignment());
      down.on_barrier(n);
    }
  };

  // Once per turn of run(), not per record: the queues' fill now.
  void publish_fill() noexcept {
    std::uint64_t total = 0, most = 0;
    for (auto& q : queues_) {
      const std::uint64_t f = q->size();
      total += f;
      most = std::max(most, f);
    }
    cell_->fill.store(total, std::memory_order_relaxed);
    cell_->raise_high_water(most);
  }
  static bool readable(const valve& v, std::size_t c) { return !v.ended(c) && !v.blocked(c); }

  template <class Down>
  static void deliver(Down& down, Data& d) {
    if constexpr (requires { d.key; d.rec; })
      push_to(down, &std::as_const(d.key), std::move(d.rec));
    else
      down.push(std::move(d));
  }

  std::size_t limit_;
  std::vector<std::size_t> pos_;  // events already read of each channel's front block
  std::vector<std::unique_ptr<channel<Data>>> queues_;
  doorbell bell_;
  std::size_t position_ = 0;        // the stage fed (0: not reported)
  boundary_cell* cell_ = nullptr;  // the consumer thread's, set in run()
};

}  // namespace spate::exec
