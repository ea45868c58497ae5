// A user's stage whose built form forgets a call of the protocol (on_idle):
// one message naming the stage's descriptor and the missing call.
// expect: stage_misses_protocol_call<halve, spate::protocol::on_idle
// expect: does not speak the whole stage protocol
#include <spate/spate.hpp>
#include <vector>
struct halve : spate::stage_tag {
  static constexpr const char* name = "halve";
  template <class Flow>
  static constexpr bool check() { return true; }
  template <class Flow>
  using output = Flow;
  template <class Down>
  struct built {
    Down down;
    bool push(int x) { return down.push(x / 2); }
    void on_watermark(spate::event_time t) { down.on_watermark(t); }
    void on_barrier(spate::checkpoint_id id) { down.on_barrier(id); }
    void on_batch_end(const spate::batch_info& b) { down.on_batch_end(b); }
    void on_tick(spate::event_time t) { down.on_tick(t); }
    void on_end() { down.on_end(); }
  };
  template <class Flow, class Env, class Down>
  auto build(Env&, spate::stage_label, Down&& down) const {
    return built<std::remove_cvref_t<Down>>{std::forward<Down>(down)};
  }
};
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | halve{} | spate::collect_into(out));
}
