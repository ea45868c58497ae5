#pragma once
// The unfused form of the same pipeline value: each stage is its own heap
// object behind a virtual interface and records pass one at a time through
// virtual calls, as in an interpreted engine (Flink's chained operators call
// Output.collect, Spark's iterators call next()). Stages are built exactly as
// in the fused form; only the link between them changes. Nothing is copied or
// allocated per record that the fused form does not copy or allocate:
// temporaries travel by rvalue reference, everything else by const reference.
#include <cstddef>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../algebra/pipeline.hpp"

namespace spate::fuse {

struct node_control {
  virtual ~node_control() = default;
  virtual void on_watermark(event_time t) = 0;
  virtual void on_barrier(checkpoint_id id) = 0;
  virtual void on_batch_end(const batch_info& b) = 0;
  virtual void on_tick(event_time now) = 0;
  virtual void on_end() = 0;
  virtual void on_idle(bool idle) = 0;
};

/// A stage as seen by the one before it, when the link is virtual.
template <class Flow>
struct node : node_control {
  using T = typename Flow::value_type;
  virtual bool push(const T& r) = 0;
  virtual bool push(T&& r) = 0;
};
template <class Flow>
  requires Flow::keyed
struct node<Flow> : node_control {
  virtual bool push_keyed(const typename Flow::key_type& k, const typename Flow::value_type& r) = 0;
};

/// A non-owning handle that speaks the protocol through the virtual node.
/// Concrete, when known, is the node's own type: records still go through
/// the virtual calls, but a side output (algebra/side_output.hpp) finds the
/// fan-out after it through unfused_next(), as it finds it through `down`
/// in the fused form.
template <class Flow, class Concrete = void>
struct node_ref {
  using T = typename Flow::value_type;
  node<Flow>* target;
  auto& unfused_next() const noexcept
    requires(!std::is_void_v<Concrete>)
  {
    return static_cast<Concrete*>(target)->stage;
  }
  bool push(const T& r) requires(!Flow::keyed) { return target->push(r); }
  bool push(T&& r) requires(!Flow::keyed) { return target->push(std::move(r)); }
  bool push_keyed(const typename Flow::key_type& k, const T& r) requires Flow::keyed { return target->push_keyed(k, r); }
  void on_watermark(event_time t) { target->on_watermark(t); }
  void on_barrier(checkpoint_id id) { target->on_barrier(id); }
  void on_batch_end(const batch_info& b) { target->on_batch_end(b); }
  void on_tick(event_time now) { target->on_tick(now); }
  void on_end() { target->on_end(); }
  void on_idle(bool idle) { target->on_idle(idle); }
};

/// A built stage behind the virtual interface; owns the rest of the chain.
template <class Flow, class Built, class Rest>
struct node_holder : node<Flow> {
  Built stage;
  Rest rest;  // unique_ptr to the next node, or empty after a sink
  node_holder(Built b, Rest r) : stage(std::move(b)), rest(std::move(r)) {}
  void on_watermark(event_time t) final { stage.on_watermark(t); }
  void on_barrier(checkpoint_id id) final { stage.on_barrier(id); }
  void on_batch_end(const batch_info& b) final { stage.on_batch_end(b); }
  void on_tick(event_time now) final { stage.on_tick(now); }
  void on_end() final { stage.on_end(); }
  void on_idle(bool idle) final { stage.on_idle(idle); }
};
template <class Flow, class Built, class Rest>
struct node_impl final : node_holder<Flow, Built, Rest> {
  using T = typename Flow::value_type;
  using node_holder<Flow, Built, Rest>::node_holder;
  bool push(const T& r) override { return this->stage.push(r); }
  bool push(T&& r) override { return this->stage.push(std::move(r)); }
};
template <class Flow, class Built, class Rest>
  requires Flow::keyed
struct node_impl<Flow, Built, Rest> final : node_holder<Flow, Built, Rest> {
  using node_holder<Flow, Built, Rest>::node_holder;
  bool push_keyed(const typename Flow::key_type& k, const typename Flow::value_type& r) override {
    return push_to(this->stage, &k, r);
  }
};

struct no_rest {};

/// The nodes of stages[I..] and the sink, the head as its own type (a
/// std::unique_ptr<node_impl<...>>).
template <class Flow, std::size_t I = 0, class Env, class Tuple, class Sink>
auto build_unfused_segment(Env& env, const Tuple& stages, const Sink& sink, std::size_t first_position = 1) {
  if constexpr (I == std::tuple_size_v<Tuple>) {
    auto built = sink.template build<Flow>(env, stage_label{Sink::name, first_position + I});
    return std::make_unique<node_impl<Flow, decltype(built), no_rest>>(std::move(built), no_rest{});
  } else {
    using D = std::tuple_element_t<I, Tuple>;
    using Out = typename D::template output<Flow>;
    auto rest = build_unfused_segment<Out, I + 1>(env, stages, sink, first_position);
    using Next = typename decltype(rest)::element_type;
    auto built = std::get<I>(stages).template build<Flow>(env, stage_label{D::name, first_position + I},
                                                          node_ref<Out, Next>{rest.get()});
    return std::make_unique<node_impl<Flow, decltype(built), std::unique_ptr<node<Out>>>>(
        std::move(built), std::unique_ptr<node<Out>>(std::move(rest)));
  }
}

/// The head of the unfused chain of a job.
template <class Env, class Src, class Sink, class... Ds>
auto build_unfused(Env& env, const job<Src, Sink, Ds...>& j) {
  return build_unfused_segment<flow<typename Src::value_type>>(env, j.stages, j.sink);
}

}  // namespace spate::fuse
