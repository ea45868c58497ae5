#pragma once
// Rich functions (Flink's RichFunction): a user function object may have
//   void open(const spate::runtime_context&)   (or open())   before the first record
//   void close()                                              after the last one
// and each parallel instance of a stage calls them on its own copy of the
// function (each instance owns one, see stage_invocable in stage.hpp), on the
// thread that runs it: the place to open a connection once per instance.
// The runtime context says where the instance runs (its index among the
// stage's parallel instances, the parallelism, the job, the stage's name,
// position and checkpoint identity) and gives it counters it can add to,
// which the context sums over its instances (context::counters()).
//
// open() is called after the stage's state was restored from a checkpoint and
// before the first record; close() when the input ended and everything was
// passed on, and also when the job fails or is stopped (then an exception it
// throws is dropped, the first error wins). Stages are opened and closed from
// the source towards the sink. An exception in open or close is a stage
// error naming the stage, like one in the function itself; a failed open
// closes the functions already opened.
//
// Which functions: those held by the stages that take one (map, filter,
// flat_map, reduce, fold, process, update_state_by_key, map_with_state,
// transform, for_each, ...: the built stage keeps it as `fn` or `pred`), and
// a window's function (reduce, fold, aggregate, process after window(...):
// its window_fn gives it through wrapped_function()). Runs through
// run(), run_batch() and every context; the unfused runners (run_unfused, a
// test oracle) do not call them.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/stage_error.hpp"

namespace spate {

/// A counter a rich function adds to; one per parallel instance, written by
/// that instance's thread only, read (summed) by whoever asks.
class user_counter {
 public:
  void add(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

/// The counters of a run, by "<stage uid>/<name>"; every instance has its own.
class counter_registry {
 public:
  user_counter& make(std::string key) {
    std::lock_guard lock(m_);
    return counters_[std::move(key)].emplace_back();
  }
  /// Each counter summed over the instances that made it.
  std::map<std::string, std::uint64_t> read() const {
    std::lock_guard lock(m_);
    std::map<std::string, std::uint64_t> out;
    for (const auto& [k, cs] : counters_) {
      std::uint64_t sum = 0;
      for (const auto& c : cs) sum += c.value();
      out[k] = sum;
    }
    return out;
  }

 private:
  mutable std::mutex m_;
  std::map<std::string, std::deque<user_counter>> counters_;  // a deque: references stay valid
};

/// Where an instance of a stage runs (Flink's RuntimeContext).
class runtime_context {
 public:
  runtime_context(std::size_t index, std::size_t parallelism, std::size_t job, stage_label label, std::string uid,
                  counter_registry* counters)
      : index_(index), parallelism_(parallelism), job_(job), label_(label), uid_(std::move(uid)), counters_(counters) {}

  /// This instance's index among the stage's parallel instances, from 0.
  std::size_t index() const noexcept { return index_; }
  /// How many parallel instances the stage has.
  std::size_t parallelism() const noexcept { return parallelism_; }
  /// The job's place among its context's jobs (0 for run()).
  std::size_t job() const noexcept { return job_; }
  /// The stage's name ("map", "process", ...) and position (source = 0).
  std::string_view stage_name() const noexcept { return label_.name; }
  std::size_t position() const noexcept { return label_.position; }
  /// The stage's identity in checkpoints (pinned with uid(...) or derived).
  const std::string& uid() const noexcept { return uid_; }
  /// This instance's counter `name`; context::counters() reports it, summed
  /// over the instances, as "<uid>/<name>". Call it in open() and keep the
  /// reference: adding is one relaxed atomic increment.
  user_counter& counter(std::string_view name) const { return counters_->make(uid_ + "/" + std::string(name)); }

 private:
  std::size_t index_, parallelism_, job_;
  stage_label label_;
  std::string uid_;
  counter_registry* counters_;
};

namespace detail {
template <class F>
concept opens_with_context = requires(F& f, const runtime_context& c) { f.open(c); };
template <class F>
concept opens_plain = requires(F& f) { f.open(); };
template <class F>
concept closes = requires(F& f) { f.close(); };

/// The user function a built stage holds (`fn`, a filter's `pred`, the
/// function a window operator wraps), or null.
template <class S>
auto* function_of(S& st) {
  if constexpr (requires { st.fn.wrapped_function(); }) return &st.fn.wrapped_function();
  else if constexpr (requires { st.fn; }) return &st.fn;
  else if constexpr (requires { st.pred; }) return &st.pred;
  else return static_cast<std::nullptr_t*>(nullptr);
}
template <class S>
using function_t = std::remove_pointer_t<decltype(function_of(std::declval<S&>()))>;
template <class S>
inline constexpr bool holds_function = !std::is_same_v<function_t<S>, std::nullptr_t>;

template <class S>
stage_label label_of(const S& st) {
  if constexpr (requires { st.label; }) return st.label;
  else return {};
}

[[noreturn]] inline void rethrow_as_stage_error(const stage_label& where, std::string_view call) {
  try {
    throw;
  } catch (const stage_error&) {
    throw;
  } catch (const std::exception& e) {
    std::throw_with_nested(stage_error(std::string(where.name), where.position, std::string(call) + ": " + e.what()));
  } catch (...) {
    std::throw_with_nested(stage_error(std::string(where.name), where.position, std::string(call) + ": unknown exception"));
  }
}
}  // namespace detail

/// A function with open or close (a rich function).
template <class F>
concept rich_function = detail::opens_with_context<F> || detail::opens_plain<F> || detail::closes<F>;

/// Whether a built chain holds any rich function (no work at all otherwise).
template <class Chain>
constexpr bool has_rich_functions() {
  bool here = false;
  if constexpr (detail::holds_function<Chain>) here = rich_function<std::remove_cvref_t<detail::function_t<Chain>>>;
  if constexpr (requires(Chain& c) { c.down; })
    return here || has_rich_functions<std::remove_cvref_t<decltype(std::declval<Chain&>().down)>>();
  else if constexpr (requires(Chain& c) { c.inner; })
    return here || has_rich_functions<std::remove_cvref_t<decltype(std::declval<Chain&>().inner)>>();
  else
    return here;
}

namespace detail {
/// Calls f(stage, depth) for every built stage of a chain, first to last,
/// looking into wrapped sinks (`inner`) too; depth counts the layers.
template <class Chain, class F>
void for_each_function_stage(Chain& c, F&& f, std::size_t depth = 0) {
  f(c, depth);
  if constexpr (requires { c.down; }) for_each_function_stage(c.down, f, depth + 1);
  else if constexpr (requires { c.inner; }) for_each_function_stage(c.inner, f, depth);
}
}  // namespace detail

/// Opens the rich functions of a built chain on construction and closes them
/// with close() or, if close() was not reached (an error, a stop), on
/// destruction, dropping what they throw then. `make(depth, label)` gives
/// the runtime context of the stage at that depth.
template <class Chain>
class function_scope {
 public:
  template <class MakeContext>
  function_scope(Chain& chain, MakeContext&& make) : chain_(&chain) {
    if constexpr (has_rich_functions<Chain>()) {
      try {
        detail::for_each_function_stage(chain, [&](auto& st, std::size_t depth) {
          using S = std::remove_cvref_t<decltype(st)>;
          if constexpr (detail::holds_function<S>) {
            using F = std::remove_cvref_t<detail::function_t<S>>;
            auto& fn = *detail::function_of(st);
            const stage_label where = detail::label_of(st);
            try {
              if constexpr (detail::opens_with_context<F>) fn.open(make(depth, where));
              else if constexpr (detail::opens_plain<F>) fn.open();
            } catch (...) {
              detail::rethrow_as_stage_error(where, "open");
            }
            ++opened_;
          }
        });
      } catch (...) {
        close_all(false);
        throw;
      }
    }
  }
  function_scope(const function_scope&) = delete;
  function_scope& operator=(const function_scope&) = delete;
  ~function_scope() {
    if (!closed_) close_all(false);
  }
  /// Closes every opened function; the first exception leaves as a stage
  /// error after all were closed.
  void close() { close_all(true); }

 private:
  void close_all(bool report) {
    closed_ = true;
    if constexpr (has_rich_functions<Chain>()) {
      std::exception_ptr first;
      std::size_t n = 0;
      detail::for_each_function_stage(*chain_, [&](auto& st, std::size_t) {
        using S = std::remove_cvref_t<decltype(st)>;
        if constexpr (detail::holds_function<S>) {
          using F = std::remove_cvref_t<detail::function_t<S>>;
          if (n++ >= opened_) return;
          if constexpr (detail::closes<F>) {
            try {
              try {
                detail::function_of(st)->close();
              } catch (...) {
                detail::rethrow_as_stage_error(detail::label_of(st), "close");
              }
            } catch (...) {
              if (!first) first = std::current_exception();
            }
          }
        }
      });
      if (report && first) std::rethrow_exception(first);
    }
  }

  Chain* chain_;
  std::size_t opened_ = 0;
  bool closed_ = false;
};

}  // namespace spate
