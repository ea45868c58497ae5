#pragma once
// async_map(f, options): asynchronous I/O per record (Flink's
// AsyncDataStream.orderedWait / unorderedWait). f(const T&) starts a request
// and returns a std::future<R>; the stage keeps up to `capacity` requests in
// flight and pushes each result when it is ready:
//   src | async_map([&](const Order& o) { return std::async(std::launch::async, lookup, o.user); },
//                   {.capacity = 100, .timeout = 1s, .retries = 2})
//       | sink
//  - ordered (default): results leave in the order of their records;
//    unordered (.ordered = false): as they complete, but never across a
//    watermark: a watermark leaves after every result of the records before
//    it, and no result of a later record leaves before it (Flink's rules);
//  - a full stage waits for a result before it takes the next record
//    (backpressure), as Flink's does;
//  - a request that fails (its future throws) or does not complete within
//    `timeout` is started again up to `retries` times; then `on_timeout(f)`'s
//    handler, given the record, says what to emit (a std::optional<R>:
//    nothing for std::nullopt), or, without a handler, the job fails with a
//    stage error naming async_map;
//  - the records of the requests in flight are part of a checkpoint: a
//    restored stage starts their requests again (needs encodable records);
//  - results that are ready are also pushed on each tick, so a quiet input
//    does not hold them back.
// A timed-out request's future is dropped: a future of std::async waits for
// its task when dropped, so a function that may time out should return the
// future of a std::promise its own thread (or event loop) fulfils.
// In-flight requests restore at the same parallelism only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "../core/key_group.hpp"
#include "../core/stage_error.hpp"
#include "../core/time.hpp"
#include "../state/snapshot.hpp"
#include "stage.hpp"

namespace spate {

struct async_options {
  std::size_t capacity = 100;                    ///< requests in flight at most
  std::chrono::milliseconds timeout{10'000};     ///< per attempt
  std::size_t retries = 0;                       ///< further attempts after a failure or timeout
  bool ordered = true;                           ///< results in the order of their records
};

namespace diagnostic {
// READ THIS IF YOUR COMPILE BREAKS HERE: async_map's function must take the
// record (first argument) and return a std::future of the result; the second
// argument is the function.
template <class Input, class Function>
struct async_function_needs_future {
  static_assert(always_false<Function>, "spate: async_map's function must return a std::future<R> for the record");
};
}  // namespace diagnostic

namespace detail {
template <class X>
struct future_value {};
template <class R>
struct future_value<std::future<R>> {
  using type = R;
};
struct no_timeout_handler {};
}  // namespace detail

template <class F, class OnTimeout = detail::no_timeout_handler>
struct async_map_stage : stage_tag {
  F fn;
  async_options options{};
  OnTimeout timeout_handler{};
  static constexpr const char* name = "async_map";

  /// What to emit for a record whose request failed or timed out on every
  /// attempt: h(const T&) -> std::optional<R>.
  template <class H>
  async_map_stage<F, H> on_timeout(H h) const {
    return {{}, fn, options, std::move(h)};
  }

  template <class Flow>
  static constexpr bool check() {
    using T = typename Flow::value_type;
    if constexpr (!stage_invocable<F, const T&>) {
      (void)&diagnostic::report<diagnostic::stage_cannot_accept_input<"async_map", T, F>>;
      return false;
    } else if constexpr (!requires { typename detail::future_value<std::remove_cvref_t<stage_result_t<F, const T&>>>::type; }) {
      (void)&diagnostic::report<diagnostic::async_function_needs_future<T, F>>;
      return false;
    } else {
      return true;
    }
  }
  template <class T>
  using result_t = typename detail::future_value<std::remove_cvref_t<stage_result_t<F, const T&>>>::type;
  template <class Flow>
  using output = flow<result_t<typename Flow::value_type>>;

  template <class T, class Down>
  struct built : forward_control<Down> {
    using R = result_t<T>;
    using clock = std::chrono::steady_clock;
    struct request {
      T record;
      std::future<R> result;
      clock::time_point deadline;
      std::size_t attempts = 1;
    };
    using entry = std::variant<request, event_time>;  // a request, or a watermark waiting behind requests
    F fn;
    async_options options;
    OnTimeout on_timeout;
    stage_label label;
    std::deque<entry> queue{};
    std::size_t in_flight = 0;
    bool go = true;

    void start(request& q) {
      q.result = detail::call_user(label, fn, std::as_const(q.record));
      q.deadline = clock::now() + options.timeout;
    }
    // Waits for request q until `until`; true when it has a result (or an
    // outcome: a failure that used up its retries).
    bool settle(request& q, clock::time_point until) {
      for (;;) {
        const auto limit = std::min(until, q.deadline);
        if (q.result.wait_until(limit) == std::future_status::ready) return true;
        if (clock::now() < q.deadline) return false;  // not yet, and `until` passed
        if (q.attempts > options.retries) return true;  // timed out for good
        ++q.attempts;
        start(q);
      }
    }
    // Pushes request q's result (q has settled).
    void emit(request& q) {
      std::optional<R> r;
      std::exception_ptr failure;
      if (q.result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        try {
          r.emplace(q.result.get());
        } catch (...) {
          failure = std::current_exception();
        }
      }
      if (failure && q.attempts <= options.retries) {  // failed fast: try again
        ++q.attempts;
        start(q);
        return;
      }
      --in_flight;
      if (!r) {
        if constexpr (std::is_same_v<OnTimeout, detail::no_timeout_handler>) {
          std::string why = failure ? "failed" : "timed out";
          throw stage_error(std::string(label.name), label.position,
                            "an asynchronous request " + why + " after " + std::to_string(q.attempts) +
                                " attempt(s); give async_map(...).on_timeout(handler) to emit something instead");
        } else {
          r = detail::call_user(label, on_timeout, std::as_const(q.record));
          if (!r) return;
        }
      }
      go = this->down.push(std::move(*r)) && go;
    }
    bool settled_now(request& q) {
      if (q.result.valid() && q.result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) return true;
      return settle(q, clock::now());
    }
    // Pushes what may leave now; with `wait`, waits until at least one
    // request has left (or nothing is in flight).
    void flush(bool wait, bool all = false) {
      for (;;) {
        bool progressed = false;
        while (!queue.empty()) {
          if (auto* w = std::get_if<event_time>(&queue.front())) {
            const event_time t = *w;
            queue.pop_front();
            this->down.on_watermark(t);
            progressed = true;
            continue;
          }
          if (options.ordered) {
            auto& q = std::get<request>(queue.front());
            if (!settled_now(q)) break;
            const std::size_t before = in_flight;
            emit(q);
            if (in_flight < before) queue.pop_front();
            progressed = true;
          } else {
            // the first segment (up to the first watermark): any settled request
            bool any = false;
            for (auto it = queue.begin(); it != queue.end() && std::holds_alternative<request>(*it);) {
              auto& q = std::get<request>(*it);
              if (settled_now(q)) {
                const std::size_t before = in_flight;
                emit(q);
                if (in_flight < before) {
                  it = queue.erase(it);
                  any = true;
                  continue;
                }
              }
              ++it;
            }
            progressed = progressed || any;
            if (!any) break;
          }
        }
        if (queue.empty() || (!all && (!wait || progressed))) return;
        // wait a little for the request(s) that may leave first
        auto& q = std::get<request>(queue.front());
        (void)settle(q, clock::now() + std::chrono::milliseconds(options.ordered ? 50 : 1));
      }
    }

    template <class Rec>
    bool push(Rec&& r) {
      while (in_flight >= options.capacity) flush(true);
      request q{T(std::forward<Rec>(r)), {}, {}};
      start(q);
      queue.emplace_back(std::move(q));
      ++in_flight;
      flush(false);
      return go;
    }
    void on_watermark(event_time t) {
      if (queue.empty()) {
        this->down.on_watermark(t);
        return;
      }
      queue.emplace_back(t);
      flush(false);
    }
    void on_tick(event_time now) {
      flush(false);
      this->down.on_tick(now);
    }
    void on_batch_end(const batch_info& b) {
      flush(false, true);  // a batch's results belong to it
      this->down.on_batch_end(b);
    }
    void on_end() {
      flush(false, true);
      this->down.on_end();
    }

    /// The records of the requests in flight, and the watermarks between
    /// them, restarted on restore.
    using snapshot_type = std::vector<std::pair<std::optional<T>, std::int64_t>>;
    static constexpr bool keeps_state = true;
    void snapshot(std::string& out) const
      requires serde::Encodable<snapshot_type>
    {
      snapshot_type s;
      for (const auto& e : queue) {
        if (const auto* q = std::get_if<request>(&e)) s.emplace_back(q->record, 0);
        else s.emplace_back(std::nullopt, to_millis(std::get<event_time>(e)));
      }
      detail::snapshot_value(s, out);
    }
    bool restore(std::string_view in)
      requires serde::Encodable<snapshot_type>
    {
      auto s = detail::restore_value<snapshot_type>(in);
      if (!s) return false;
      queue.clear();
      in_flight = 0;
      for (auto& [rec, wm] : *s) {
        if (rec) {
          request q{std::move(*rec), {}, {}};
          start(q);
          queue.emplace_back(std::move(q));
          ++in_flight;
        } else {
          queue.emplace_back(from_millis(wm));
        }
      }
      return true;
    }
    /// At another parallelism (Flink redistributes an async stage's
    /// requests in flight as list state): every old instance's requests, in
    /// order, are dealt out by their place in that sequence over the key
    /// groups, so each starts again at exactly one new instance, possibly
    /// above capacity until they complete. The watermarks queued between
    /// them are dropped: the old instances' are not this one's, and the next
    /// from upstream follow.
    bool restore_rescaled(const std::vector<std::string_view>& parts, key_group_range mine)
      requires serde::Encodable<snapshot_type>
    {
      std::vector<snapshot_type> all;
      for (std::string_view in : parts) {
        auto s = detail::restore_value<snapshot_type>(in);
        if (!s) return false;
        all.push_back(std::move(*s));
      }
      const key_groups kg;
      queue.clear();
      in_flight = 0;
      std::size_t n = 0;
      for (auto& s : all)
        for (auto& entry : s) {
          if (!entry.first || !mine.contains(n++ % kg.max_parallelism)) continue;
          request q{std::move(*entry.first), {}, {}};
          start(q);
          queue.emplace_back(std::move(q));
          ++in_flight;
        }
      return true;
    }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, stage_label label, Down&& down) const {
    using T = std::remove_cvref_t<typename Flow::value_type>;
    if (options.capacity == 0)
      throw std::invalid_argument("spate: async_map (#" + std::to_string(label.position) + "): capacity must be at least 1");
    return built<T, std::remove_cvref_t<Down>>{{std::forward<Down>(down)}, fn, options, timeout_handler, label};
  }
};

/// Calls f(record) -> std::future<R> with up to options.capacity requests
/// in flight; pushes each R when ready (see the top of this file).
template <class F>
constexpr auto async_map(F f, async_options options = {}) {
  return async_map_stage<F>{{}, std::move(f), options, {}};
}

}  // namespace spate
