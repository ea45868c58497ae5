#pragma once
// The loop that drives one source shard on its own thread, for both
// executors. It polls the source's driver in chunks and, between chunks:
//   - continuous: announces processing time (on_tick) every tick;
//   - micro-batch: closes a batch whenever the clock passes its batch time
//     (on_batch_end), and takes at most max_rate x interval records per batch;
//   - honours max_rate as a token bucket (plus the per-batch cap);
//   - on a graceful stop, ends the input (closing the last, partial batch),
//     so that everything read so far is processed before the context stops.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "../core/valve.hpp"
#include "../io/source.hpp"
#include "barriers.hpp"
#include "checkpoint_log.hpp"
#include "control.hpp"
#include "stage_metrics.hpp"

namespace spate::exec {

/// How a context runs its jobs, resolved from the user's options.
struct exec_config {
  bool batched = false;
  duration interval{1000};  // micro-batch interval
  duration tick{10};        // on_tick period
  std::size_t parallelism = 1;
  std::uint64_t max_rate = 0;
  std::size_t queue_capacity = 1024;
  std::size_t combine_keys = 65536;  // 0: no combining before shuffles (micro-batch, batch)
  std::size_t combine_continuous_keys = 0;  // 0: no combining before shuffles under continuous{}
  /// The bound on a combining shuffle's keys in this mode (0: it does not combine).
  std::size_t combine_bound() const noexcept { return batched ? combine_keys : combine_continuous_keys; }
  event_time first_batch{};  // time of batch 0 (end of its interval)
  /// How the valves of the job treat barriers (exactly-once: aligned).
  barrier_alignment alignment = barrier_alignment::aligned;
  /// The whole input is one batch (run_batch with a parallelism): no batch
  /// ends but the one at the end of input, stamped with the time it closes,
  /// and no processing-time ticks, as the sequential run_batch.
  bool one_batch = false;
};

/// Sits between a source driver and the head of the segment: counts records
/// for the batch metrics and, under micro-batch, closes the last batch before
/// forwarding the end of input.
/// `Counting`: count records per batch (micro-batch metrics); continuous
/// execution has no batches and does not pay for the count.
template <class Head, bool Counting = true>
struct source_port {
  Head* head;
  control* ctl;
  const exec_config* cfg;
  std::uint64_t batch = 0;
  event_time batch_time{};
  std::uint64_t batch_records = 0;
  bool ended = false;
  std::chrono::nanoseconds busy{0};  // in the driver's poll, this batch
  std::uint64_t blocked_base = blocked_nanoseconds();

  template <class R>
  bool push(R&& r) {
    if constexpr (Counting) ++batch_records;
    return head->push(std::forward<R>(r));
  }
  void on_watermark(event_time t) { head->on_watermark(t); }
  void on_barrier(checkpoint_id id) { head->on_barrier(id); }
  void on_batch_end(const batch_info& b) { head->on_batch_end(b); }
  void on_tick(event_time now) { head->on_tick(now); }
  void on_idle(bool idle) { head->on_idle(idle); }
  void on_end() {
    if (ended) return;
    ended = true;
    if (cfg->one_batch) batch_time = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
    if (cfg->batched) close_batch();
    head->on_end();
  }
  /// Ends the current batch in the metrics and starts the next; returns the
  /// batch to announce.
  batch_info take_batch() {
    // Reported first: with one thread the batch completes inside on_batch_end.
    const std::uint64_t blocked_now = blocked_nanoseconds();
    const std::chrono::nanoseconds blocked(blocked_now - blocked_base);
    // `busy` is timed around the driver's poll; a push that blocks outside
    // it (a control event into a full queue) is pushing too, so the batch's
    // work time is at least its blocked time.
    ctl->metrics.source_closed(batch, batch_time, batch_records, std::chrono::system_clock::now(),
                               std::max(busy, blocked), blocked);
    batch_info b{batch_time, batch};
    batch_records = 0;
    busy = {};
    blocked_base = blocked_now;
    ++batch;
    batch_time += cfg->interval;
    return b;
  }
  void close_batch() { head->on_batch_end(take_batch()); }
};

// Batch ends and ticks start at the source: through the driver when it takes
// them, so that a merge passes them through each of its inputs' chains (their
// stateful stages and watermark generators see them too).
template <class Drv, class Port>
void announce_batch_end(Drv& drv, Port& port, const batch_info& b) {
  if constexpr (requires { drv.on_batch_end(b); })
    drv.on_batch_end(b);
  else
    port.on_batch_end(b);
}
template <class Drv, class Port>
void announce_tick(Drv& drv, Port& port, event_time now) {
  if constexpr (requires { drv.on_tick(now); })
    drv.on_tick(now);
  else
    port.on_tick(now);
}

template <class Env, bool Counting, class Src, class Head>
void run_source_as(const Src& src, shard sh, Head& head, const exec_config& cfg, control& ctl);

template <class Env, class Src, class Head>
void run_source(const Src& src, shard sh, Head& head, const exec_config& cfg, control& ctl) {
  // Executors build compacted segments exactly when they run micro-batches.
  run_source_as<Env, Env::mode == emit_mode::compacted>(src, sh, head, cfg, ctl);
}

/// Opens shard `sh` of `src`; restored, at the positions of a checkpoint
/// when the source can resume from one (open_at), else from its start (an
/// input that cannot be replayed is at-most-once across restarts; the
/// context says so when it starts).
template <class Env, class Src, class Port>
auto open_source(const Src& src, Env& env, shard sh, Port& port, const std::optional<restored_input>& at) {
  if constexpr (requires { src.open_at(env, sh, port, *at); }) {
    if (at) return src.open_at(env, sh, port, *at);
  }
  return src.open(env, sh, port);
}

/// Sends checkpoint n into a source shard's segment: the driver's position
/// (for the restore) and splits (for the manifest) go with the barrier to
/// the segment's head, which snapshots and acknowledges.
template <class Drv, class Port, class Tap>
void inject_barrier(Drv& drv, Port& port, Tap& tap, checkpoint_id n) {
  if constexpr (requires(std::string& s) { drv.position(s); }) {
    std::string pos;
    drv.position(pos);
    tap.position = std::move(pos);
  }
  if constexpr (requires { drv.offsets(); })
    for (const auto& o : drv.offsets())
      tap.splits.push_back({o.topic + "-" + std::to_string(o.partition), o.offset});
  if constexpr (requires { drv.on_barrier(n); })
    drv.on_barrier(n);
  else
    port.on_barrier(n);
}

/// The figures a source shard reports to its context's metrics (none under
/// a thread without a metering scope).
struct source_meter {
  stage_cell* cell = nullptr;
  checkpoint_log* checkpoints = nullptr;
  std::uint64_t records = 0;
  source_meter() {
    auto& scope = current_metering();
    if (scope.stages) cell = scope.stages->join(scope.job, 0);
    checkpoints = scope.checkpoints;
  }
  // After each chunk: the shard's count, and the counts of the chain behind
  // it (a segment's head holds its chain by `head`, as barrier_tap does).
  std::uint64_t first_offset = 0;
  bool has_first_offset = false;
  template <class Drv>
  void start(const Drv& drv) {
    if constexpr (sized_driver<Drv>)
      if (cell) {
        first_offset = static_cast<std::uint64_t>(drv.lines.offset());
        has_first_offset = true;
      }
  }
  template <class Head, class Drv>
  void chunk(const Head& head, const Drv& drv, std::uint64_t n) {
    if (!cell) return;
    records += n;
    cell->in.store(records, std::memory_order_relaxed);
    // A file's driver (io/text_file.hpp) knows its size and where it reads.
    if constexpr (sized_driver<Drv>) {
      const auto at = static_cast<std::uint64_t>(drv.lines.offset());
      if (!has_first_offset) {
        first_offset = at;
        has_first_offset = true;
      }
      cell->publish_read(first_offset, at, static_cast<std::uint64_t>(drv.size_at_open));
    }
    if constexpr (requires { *head.head; })
      publish_chain(*head.head);
    else
      publish_chain(head);
  }
  void triggered(checkpoint_id n) {
    if (checkpoints) checkpoints->triggered(n);
  }
};

template <class Env, bool Counting, class Src, class Head>
void run_source_as(const Src& src, shard sh, Head& head, const exec_config& cfg, control& ctl) {
  using clock = std::chrono::system_clock;
  Env env;
  source_meter meter;
  source_port<Head, Counting> port{&head, &ctl, &cfg, 0, cfg.first_batch, 0, false};
  checkpoint_hooks* hooks = nullptr;
  if constexpr (requires { head.hooks; }) hooks = head.hooks;
  std::optional<restored_input> at;
  if constexpr (requires { head.hooks; })
    if (hooks) at = hooks->restored_positions(head.source_uid);
  auto drv = open_source(src, env, sh, port, at);
  meter.start(drv);
  checkpoint_id injected = 0;
  bool asked_final = false;
  // A source shard's end goes to the checkpoints with its last position.
  auto report_end = [&] {
    if constexpr (requires { head.source_ended(std::nullopt); }) {
      std::optional<std::string> pos;
      if constexpr (requires(std::string& p) { drv.position(p); }) drv.position(pos.emplace());
      head.source_ended(std::move(pos));
    }
  };
  if constexpr (requires { head.source_reports_end; }) head.source_reports_end = true;
  const auto start = clock::now();
  auto next_tick = start + cfg.tick;
  std::uint64_t total = 0;         // records read (token bucket)
  std::uint64_t taken_in_batch = 0;
  const std::uint64_t batch_cap =
      cfg.max_rate ? std::max<std::uint64_t>(1, cfg.max_rate * static_cast<std::uint64_t>(cfg.interval.count()) / 1000) : 0;
  constexpr std::size_t chunk = 1024;
  for (;;) {
    if (ctl.abort()) return;
    if (port.ended) {
      report_end();
      return;
    }
    auto now = clock::now();
    if (cfg.batched && !cfg.one_batch) {
      while (now >= port.batch_time) {
        const batch_info b = port.take_batch();
        announce_batch_end(drv, port, b);
        taken_in_batch = 0;
        // Micro-batch: a checkpoint's barrier follows the end of the batch
        // the coordinator named, at every shard alike.
        if constexpr (requires { head.hooks; })
          if (hooks)
            if (const auto t = hooks->triggered_at(); t.id > injected && t.batch == (b.number & 0xffffffffu)) {
              injected = t.id;
              meter.triggered(t.id);
              inject_barrier(drv, port, head, t.id);
            }
      }
    }
    if (!cfg.one_batch && now >= next_tick) {
      announce_tick(drv, port, std::chrono::time_point_cast<duration>(now));
      next_tick = now + cfg.tick;
    }
    if constexpr (requires { head.hooks; }) {
      if (hooks) {
        if (const checkpoint_id n = hooks->triggered(); n > injected && !(cfg.batched && !cfg.one_batch)) {
          injected = n;
          meter.triggered(n);
          inject_barrier(drv, port, head, n);
        }
        if (ctl.stop_requested.load(std::memory_order_acquire)) {
          // Stop with a checkpoint: the final barrier, then no more input;
          // the checkpoint thread stops the job once it completed.
          if (!asked_final) hooks->request_final();
          asked_final = true;
          flush_rings();
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
      }
    }
    if (ctl.stop_requested.load(std::memory_order_acquire)) {
      // Through the driver when it can, so every chain behind it (a merge's
      // inputs) flushes; the port's own on_end is then a no-op.
      if constexpr (requires { drv.cancel(); }) drv.cancel();
      port.on_end();
      return;
    }
    std::size_t max = chunk;
    if (cfg.max_rate) {
      // A smooth token bucket in both executors (a fixed input rate, not a
      // burst at each batch start); under micro-batch also a cap per batch.
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - start).count();
      auto due = static_cast<std::uint64_t>(static_cast<long double>(cfg.max_rate) * us / 1e6L) + 1;
      std::uint64_t allowed = due > total ? due - total : 0;
      if (cfg.batched) allowed = std::min(allowed, batch_cap - std::min(batch_cap, taken_in_batch));
      max = static_cast<std::size_t>(std::min<std::uint64_t>(max, allowed));
      if (max == 0) {
        clock::time_point wake = now + std::chrono::microseconds(20);
        if (cfg.batched && taken_in_batch >= batch_cap) wake = std::min<clock::time_point>(next_tick, port.batch_time);
        flush_rings();
        std::this_thread::sleep_until(std::min(wake, now + std::chrono::milliseconds(5)));
        continue;
      }
    }
    auto before = clock::now();
    poll_result r = drv.poll(max);
    flush_rings();
    if (r.records) port.busy += std::max<std::chrono::nanoseconds>(clock::now() - before - r.waited, {});
    meter.chunk(head, drv, r.records);
    total += r.records;
    taken_in_batch += r.records;
    if (r.finished()) {
      port.on_end();  // the driver sent it already; a no-op then
      report_end();
      return;
    }
    if (r.status == poll_status::idle && r.records == 0 && clock::now() - before < std::chrono::microseconds(500))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace spate::exec
