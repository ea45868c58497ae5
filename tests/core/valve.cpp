// The valve against a brute-force model, on random interleavings of random
// per-input scripts: every input's events are applied in order, the next
// input is picked at random among those the valve does not block.
#include <spate/core/valve.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using spate::batch_info;
using spate::checkpoint_id;
using spate::event_time;
using spate::from_millis;
using spate::max_watermark;
using spate::min_watermark;

struct step {
  enum kind { record, watermark, idle, active, batch_end, barrier } what;
  std::int64_t value = 0;
};

struct recorder {
  std::vector<event_time> watermarks;
  std::vector<batch_info> batches;
  std::vector<checkpoint_id> barriers;
  void on_watermark(event_time t) { watermarks.push_back(t); }
  void on_batch_end(const batch_info& b) { batches.push_back(b); }
  void on_barrier(checkpoint_id id) { barriers.push_back(id); }
};

// Every input delivers the same batch ends and barriers in the same order
// (executors inject them at every source in one order), with records,
// watermarks and idleness in between.
std::vector<std::vector<step>> random_scripts(std::mt19937_64& rng, std::size_t inputs) {
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<step> markers;
  for (int b = 0, c = 0, k = static_cast<int>(rng() % 7); k > 0; --k)
    markers.push_back(rng() % 2 ? step{step::batch_end, b++} : step{step::barrier, ++c});
  std::vector<std::vector<step>> out(inputs);
  for (auto& s : out) {
    std::int64_t wm = static_cast<std::int64_t>(rng() % 5);
    std::size_t next = 0;
    const int len = 5 + static_cast<int>(rng() % 30);
    for (int k = 0; k < len; ++k) {
      int r = pick(rng);
      if (r < 40) s.push_back({step::record});
      else if (r < 70) s.push_back({step::watermark, wm += static_cast<std::int64_t>(rng() % 7) - 1});
      else if (r < 78) s.push_back({step::idle});
      else if (r < 84) s.push_back({step::active});
      else if (next < markers.size()) s.push_back(markers[next++]);
    }
    // An input that ends early may leave batch ends and barriers undelivered.
    if (rng() % 4 != 0)
      while (next < markers.size()) s.push_back(markers[next++]);
  }
  return out;
}

// The combined watermark as its definition states it, from scratch.
std::optional<event_time> model_watermark(const std::vector<event_time>& wm, const std::vector<bool>& idle,
                                          const std::vector<bool>& ended) {
  std::optional<event_time> m;
  for (std::size_t i = 0; i < wm.size(); ++i) {
    if (idle[i] && !ended[i]) continue;
    event_time w = ended[i] ? max_watermark : wm[i];
    m = m ? std::min(*m, w) : w;
  }
  return m;
}

void run_one(std::uint64_t seed, spate::barrier_alignment mode) {
  std::mt19937_64 rng(seed);
  const std::size_t n = 1 + rng() % 4;
  auto scripts = random_scripts(rng, n);
  spate::valve v(n, mode);
  recorder out;
  std::vector<std::size_t> pos(n, 0);
  std::vector<event_time> wm(n, min_watermark);
  std::vector<bool> idle(n, false), ended(n, false);
  std::vector<int> batch_of(n, 0);          // the batch the input's next record belongs to
  std::vector<checkpoint_id> epoch_of(n, 0);  // the checkpoint epoch the input's next record belongs to
  event_time emitted = min_watermark;
  bool held_back_unaligned = false;
  std::size_t ends = 0;

  for (;;) {
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < n; ++i)
      if (!ended[i] && !v.blocked(i)) ready.push_back(i);
    if (ready.empty()) {
      // Deadlock freedom: something must be readable until every input ended.
      REQUIRE(v.all_ended());
      break;
    }
    std::size_t i = ready[rng() % ready.size()];
    const std::size_t before_w = out.watermarks.size();
    if (pos[i] == scripts[i].size()) {
      ended[i] = true;
      bool last = v.end(i, out);
      REQUIRE(last == (++ends == n));
    } else {
      step s = scripts[i][pos[i]++];
      switch (s.what) {
        case step::record:
          // A record of batch k arrives after batch k-1 was forwarded and
          // before batch k is (it is not read while its input is held).
          CHECK(static_cast<std::int64_t>(out.batches.size()) == batch_of[i]);
          if (mode == spate::barrier_alignment::aligned) {
            CHECK(epoch_of[i] == (out.barriers.empty() ? 0 : out.barriers.back()));
          } else if (!out.barriers.empty() && epoch_of[i] > out.barriers.back()) {
            held_back_unaligned = true;  // read ahead of the alignment: allowed here
          }
          break;
        case step::watermark:
          wm[i] = std::max(wm[i], from_millis(s.value));
          v.watermark(i, from_millis(s.value), out);
          break;
        case step::idle:
          idle[i] = true;
          v.idle(i, true, out);
          break;
        case step::active:
          idle[i] = false;
          v.idle(i, false, out);
          break;
        case step::batch_end:
          batch_of[i] = static_cast<int>(s.value) + 1;
          v.batch_end(i, batch_info{from_millis(100 * s.value), static_cast<std::uint64_t>(s.value)}, out);
          break;
        case step::barrier:
          epoch_of[i] = static_cast<checkpoint_id>(s.value);
          v.barrier(i, static_cast<checkpoint_id>(s.value), out);
          break;
      }
    }
    // Watermarks: at most one per step, exactly when the model's combined
    // value passes what was emitted.
    auto m = model_watermark(wm, idle, ended);
    if (m && *m > emitted) {
      REQUIRE(out.watermarks.size() == before_w + 1);
      CHECK(out.watermarks.back() == *m);
      emitted = *m;
    } else {
      CHECK(out.watermarks.size() == before_w);
    }
    CHECK(v.current_watermark() == emitted);
    // Batches: in order, each once, as soon as every live input delivered it.
    for (std::size_t k = 0; k < out.batches.size(); ++k) {
      CHECK(out.batches[k].number == k);
      CHECK(out.batches[k].time == from_millis(100 * static_cast<std::int64_t>(k)));
    }
    int due = -1;
    bool any_live = false;
    int lo = 1 << 30, hi = 0;
    for (std::size_t k = 0; k < n; ++k) {
      hi = std::max(hi, batch_of[k]);
      if (!ended[k]) {
        lo = std::min(lo, batch_of[k]);
        any_live = true;
      }
    }
    due = any_live ? lo : hi;
    CHECK(static_cast<int>(out.batches.size()) == due);
    // Barriers: increasing, forwarded once every live input delivered them.
    CHECK(std::is_sorted(out.barriers.begin(), out.barriers.end()));
    CHECK(std::adjacent_find(out.barriers.begin(), out.barriers.end()) == out.barriers.end());
    checkpoint_id blo = ~checkpoint_id{0}, bhi = 0;
    any_live = false;
    for (std::size_t k = 0; k < n; ++k) {
      bhi = std::max(bhi, epoch_of[k]);
      if (!ended[k]) {
        blo = std::min(blo, epoch_of[k]);
        any_live = true;
      }
    }
    checkpoint_id bdue = any_live ? blo : bhi;
    CHECK((out.barriers.empty() ? 0 : out.barriers.back()) == bdue);
  }
  CHECK(out.watermarks.back() == max_watermark);
  (void)held_back_unaligned;
}

}  // namespace

TEST_CASE("valve: combined watermark, batch ends, barriers and end match the model on random interleavings") {
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    INFO("seed " << seed);
    run_one(seed, spate::barrier_alignment::aligned);
    run_one(seed, spate::barrier_alignment::unaligned);
  }
}

TEST_CASE("valve: aligned mode holds an input back at barrier n until all delivered it, unaligned does not") {
  recorder out;
  spate::valve aligned(2), unaligned(2, spate::barrier_alignment::unaligned);
  aligned.barrier(0, 1, out);
  unaligned.barrier(0, 1, out);
  CHECK(aligned.blocked(0));
  CHECK_FALSE(aligned.blocked(1));
  CHECK_FALSE(unaligned.blocked(0));
  CHECK(out.barriers.empty());
  aligned.barrier(1, 1, out);
  CHECK_FALSE(aligned.blocked(0));
  CHECK(out.barriers == std::vector<checkpoint_id>{1});
  unaligned.barrier(1, 1, out);
  CHECK(out.barriers == std::vector<checkpoint_id>{1, 1});
}

TEST_CASE("valve: an ended input releases what waited for it, all idle stands still, all ended is max_watermark") {
  recorder out;
  spate::valve v(3);
  v.watermark(0, from_millis(10), out);
  v.watermark(1, from_millis(20), out);
  CHECK(out.watermarks.empty());  // input 2 has said nothing yet
  v.idle(2, true, out);
  CHECK(out.watermarks == std::vector<event_time>{from_millis(10)});
  v.idle(0, true, out);
  CHECK(out.watermarks.back() == from_millis(20));
  v.idle(1, true, out);  // every input idle: event time stands still
  CHECK(out.watermarks.size() == 2);
  v.idle(0, false, out);  // resumes with its own watermark (10): holds where it is (20)
  CHECK(out.watermarks.size() == 2);
  v.batch_end(0, batch_info{from_millis(5), 0}, out);
  CHECK(v.blocked(0));
  CHECK(out.batches.empty());
  CHECK_FALSE(v.end(1, out));
  CHECK_FALSE(v.end(2, out));
  CHECK(out.batches.size() == 1);  // the inputs that ended no longer hold batch 0
  CHECK_FALSE(v.blocked(0));
  CHECK(v.end(0, out));
  CHECK(out.watermarks.back() == max_watermark);
  CHECK(v.all_ended());
}

TEST_CASE("valve: the last barrier's alignment time runs from its first input to its last") {
  recorder out;
  spate::valve one(1), two(2);
  one.barrier(0, 1, out);
  CHECK(out.barriers.size() == 1);  // one input: nothing to wait for
  two.barrier(0, 1, out);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(out.barriers.size() == 1);  // held
  two.barrier(1, 1, out);
  REQUIRE(out.barriers.size() == 2);
  CHECK(two.last_alignment() >= std::chrono::milliseconds(20));
  // The next one: input 1 first this time.
  two.barrier(1, 2, out);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  two.barrier(0, 2, out);
  CHECK(out.barriers.back() == 2);
  CHECK(two.last_alignment() >= std::chrono::milliseconds(5));
}
