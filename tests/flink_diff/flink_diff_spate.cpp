// The spate side of the differential test against Apache Flink
// (scripts/flink-diff runs it; java/FlinkDiff.java is the Flink side).
//
//   flink_diff_spate gen CASES_DIR [SEED SCALE] write the seeded random cases
//                                               (SEED 0 and SCALE 1: the CI set)
//   flink_diff_spate run CASES_DIR OUT_DIR [--unfused]
//                                               run every case through spate
//
// A case file (NAME.case) is a header line "# name=N kind=K key=value ..."
// and one event per line, "key,timestamp_ms,value". Both sides read the same
// files and write OUT_DIR/NAME.main (window results or timer output) and
// OUT_DIR/NAME.late (the late output) in the same format:
//   time windows            key,start,end,count,sum,min,max
//   count / global windows  key,count,sum,min,max
//   (with a trigger or an evictor: kind=triggered, the time windows' format)
//   process timers          key,T,timer,watermark,sum,count  (a timer)
//                           key,E,ts,watermark,sum,count     (a record)
//   late output             key,ts,value
// Two-input cases (kind=join_*) add a 4th column, A or B: the input.
//   interval / window join  key,a.ts,a.v,b.ts,b.v             (a pair)
//   coGroup                 key,count_a,sum_a,maxts_a,count_b,sum_b,maxts_b
//   late output (joins)     A|B,key,ts,value
// Each input has its own watermarks (the formula below); the operator takes
// the minimum.
// Watermarks: one per event, max timestamp - bound - 1 (Flink's
// BoundedOutOfOrderness formula), sent when it advances; the end of input
// brings the maximal watermark on both sides.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <spate/spate.hpp>
#include <spate/window.hpp>

namespace fs = std::filesystem;

namespace {

struct Ev {
  std::string key;
  std::int64_t ts;  // ms
  std::int64_t v;
  char side = 0;  // two-input cases: 'A' or 'B' (the 4th column); 0 otherwise
};

struct test_case {
  std::string name;
  std::map<std::string, std::string> p;
  std::vector<Ev> events;

  std::int64_t num(const std::string& k) const {
    auto it = p.find(k);
    if (it == p.end()) throw std::runtime_error(name + ": no parameter " + k);
    return std::stoll(it->second);
  }
  const std::string& str(const std::string& k) const {
    auto it = p.find(k);
    if (it == p.end()) throw std::runtime_error(name + ": no parameter " + k);
    return it->second;
  }
};

// =====================================================================
// The generator. splitmix64, not <random>'s distributions (whose output is
// the standard library's own choice), so the cases are the same everywhere.
// =====================================================================
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  std::int64_t in(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(in(0, static_cast<std::int64_t>(v.size()) - 1))];
  }
};

std::uint64_t family_seed(std::uint64_t family, int i, std::uint64_t seed) {
  return family + static_cast<std::uint64_t>(i) + seed * 0x9E3779B97F4A7C15ull;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t m) {
  std::int64_t r = a % m;
  return r < 0 ? r + m : r;
}
/// The largest point phase + k*grid that is <= t.
std::int64_t grid_floor(std::int64_t t, std::int64_t grid, std::int64_t phase) {
  return t - floor_mod(t - phase, grid);
}

/// How a case's event stream looks.
struct stream_shape {
  std::int64_t events = 1000;
  std::int64_t keys = 3;
  bool skewed = false;          // a few hot keys, a long tail
  std::int64_t base = 0;        // the first timestamp
  std::int64_t step_max = 100;  // in-order steps are in [1, step_max]
  double p_burst = 0.1;         // in order, same timestamp as the maximum
  double p_gap = 0.01;          // in order, a jump of [gap_min, gap_max]
  std::int64_t gap_min = 1000, gap_max = 10000;
  double p_within = 0.2;        // behind the maximum, within the bound: not late
  double p_beyond = 0.1;        // at or behind the watermark: late (within allowed lateness or not)
  double p_edge = 0.1;          // on a boundary: windows, the watermark, the lateness limit
  std::int64_t beyond_max = 2000;  // how far behind the watermark a late record may be
  std::int64_t grid = 1000;     // boundaries are phase + k*grid
  std::int64_t phase = 0;
  std::int64_t touch = 0;       // sessions: a record at (a key's last ts) +- touch
};

std::vector<Ev> generate(std::uint64_t seed, const stream_shape& sh, std::int64_t bound, std::int64_t lateness) {
  rng r{seed};
  std::vector<Ev> out;
  out.reserve(static_cast<std::size_t>(sh.events));
  std::map<std::string, std::int64_t> last_of;
  std::int64_t max = sh.base;
  bool first = true;
  for (std::int64_t i = 0; i < sh.events; ++i) {
    std::int64_t k;
    if (sh.skewed) {
      double u = r.unit();
      k = static_cast<std::int64_t>(static_cast<double>(sh.keys) * u * u * u);
    } else {
      k = r.in(0, sh.keys - 1);
    }
    std::string key = "k" + std::to_string(std::min(k, sh.keys - 1));
    std::int64_t wm = max - bound - 1;
    std::int64_t ts;
    double u = r.unit();
    if (first) {
      ts = sh.base;
      first = false;
    } else if ((u -= sh.p_beyond) < 0) {
      ts = wm - r.in(0, sh.beyond_max);
    } else if ((u -= sh.p_within) < 0) {
      ts = max - r.in(0, bound);
    } else if ((u -= sh.p_edge) < 0) {
      switch (r.in(0, 9)) {
        case 0:  // the next boundary - 1 becomes the watermark: windows ending there fire on this record
          ts = grid_floor(wm, sh.grid, sh.phase) + sh.grid + bound;
          break;
        case 1:  // a window's last millisecond, or its first, near the maximum
          ts = grid_floor(max, sh.grid, sh.phase) - r.in(0, 1);
          break;
        case 2:
          ts = grid_floor(max, sh.grid, sh.phase) + sh.grid - r.in(0, 1);
          break;
        case 3:  // exactly at the watermark, or just after it
          ts = wm + r.in(0, 1);
          break;
        case 4:  // the record's own lateness limit: ts + lateness == watermark, or one after
          ts = wm - lateness + r.in(0, 1);
          break;
        case 5: {  // the window whose max timestamp + lateness is the watermark (its last chance), and the next one
          std::int64_t e = grid_floor(wm - lateness + 1, sh.grid, sh.phase);
          ts = e - r.in(0, 1);
          break;
        }
        case 6:  // a session that touches, or just misses, the key's last one
        case 7: {
          auto it = last_of.find(key);
          std::int64_t base = it == last_of.end() ? max : it->second;
          std::int64_t d = sh.touch > 0 ? sh.touch : sh.grid;
          std::int64_t dir = r.chance(0.5) ? d : -d;  // (one draw per statement: see gen)
          ts = base + dir + r.in(-1, 1);
          break;
        }
        default: {  // a boundary well behind the maximum (late or not, depending on the bound)
          std::int64_t back = r.in(0, 3) * sh.grid;
          ts = grid_floor(max - back, sh.grid, sh.phase) - r.in(0, 1);
          break;
        }
      }
    } else if (r.chance(sh.p_burst)) {
      ts = max;
    } else if (r.chance(sh.p_gap)) {
      ts = max + r.in(sh.gap_min, sh.gap_max);
    } else {
      ts = max + r.in(1, sh.step_max);
    }
    max = std::max(max, ts);
    last_of[key] = ts;
    std::int64_t v = r.in(-5, 30);
    out.push_back({std::move(key), ts, v});
  }
  return out;
}

/// One input of a two-input case. Every record is at least the watermark
/// before it + 2 (ts >= max - bound + 1; the watermark is max - bound - 1), so
/// no record is late or at the watermark however the two inputs interleave:
/// the operator's watermark is the minimum of both inputs', never above
/// either's own. (+2, not +1: a session window that fired at watermark
/// end - 1 would otherwise merge with a record at `end` only when the other
/// input held the watermark back.)
// With p_late > 0, records behind the input's own watermark too (at least
// 1 ms behind it: never exactly at it), for the cases that read one input
// after the other (order=a_first).
void generate_side(rng& r, char side, std::int64_t n, std::int64_t keys, std::int64_t base, std::int64_t step_max,
                   std::int64_t bound, double p_disorder, double p_gap, std::int64_t gap, std::vector<Ev>& out,
                   double p_late = 0, std::int64_t late_max = 0) {
  std::int64_t max = base;
  for (std::int64_t i = 0; i < n; ++i) {
    std::string key = "k" + std::to_string(r.in(0, keys - 1));
    std::int64_t ts;
    if (i == 0) {
      ts = base;
    } else if (p_late > 0 && r.chance(p_late)) {
      ts = max - bound - 1 - r.in(1, late_max);
    } else if (bound > 0 && r.chance(p_disorder)) {
      ts = max - r.in(0, bound - 1);
    } else if (r.chance(p_gap)) {
      ts = max + r.in(gap, 5 * gap);
    } else {
      ts = max + r.in(1, step_max);
    }
    max = std::max(max, ts);
    std::int64_t v = r.in(-5, 30);
    out.push_back({std::move(key), ts, v, side});
  }
}

void write_case(const fs::path& dir, const std::string& name, const std::map<std::string, std::string>& p,
                const std::vector<Ev>& evs) {
  std::ofstream f(dir / (name + ".case"));
  f << "# name=" << name;
  for (auto& [k, v] : p) f << ' ' << k << '=' << v;
  f << " events=" << evs.size() << '\n';
  for (const Ev& e : evs) {
    f << e.key << ',' << e.ts << ',' << e.v;
    if (e.side != 0) f << ',' << e.side;
    f << '\n';
  }
  if (!f) throw std::runtime_error("cannot write " + (dir / (name + ".case")).string());
}

// The families of cases. Each case draws its parameters and its stream from
// its own seed, so a family gives a spread of sizes, bounds, lateness and
// shapes. `seed` varies every draw (0: the cases CI runs); `scale` multiplies
// the number of cases per family (1 in CI).
int gen(const fs::path& dir, std::uint64_t seed, int scale) {
  fs::create_directories(dir);
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".case") fs::remove(e.path());
  std::size_t cases = 0, events = 0;
  // (Arguments are drawn in separate statements below: the order in which a
  // call's arguments are evaluated is the compiler's choice.)
  auto emit = [&](const std::string& name, std::map<std::string, std::string> p, const stream_shape& sh, rng& r) {
    std::uint64_t seed = r.next();
    std::int64_t bound = std::stoll(p.at("bound")), lateness = std::stoll(p.at("lateness"));
    auto evs = generate(seed, sh, bound, lateness);
    p["seed"] = std::to_string(seed);
    write_case(dir, name, p, evs);
    ++cases;
    events += evs.size();
  };
  auto s = [](std::int64_t x) { return std::to_string(x); };
  // A stream shaped after the case's time scale `grid` (window size, slide,
  // gap, timer delay): records step within it, gaps span many of it.
  auto shape = [&](rng& r, std::int64_t grid, std::int64_t phase, std::int64_t bound, std::int64_t lateness) {
    stream_shape sh;
    sh.events = r.pick(std::vector<std::int64_t>{300, 800, 1500, 2500});
    sh.keys = r.pick(std::vector<std::int64_t>{1, 2, 3, 10, 40, 300});
    sh.skewed = r.chance(0.4);
    sh.base = r.pick(std::vector<std::int64_t>{0, 0, -20 * grid - 7, 1700000000000});
    sh.step_max = std::max<std::int64_t>(1, grid / r.pick(std::vector<std::int64_t>{1, 4, 20}));
    if (sh.keys >= 40) sh.step_max = std::max<std::int64_t>(1, sh.step_max / 10);  // many records per window
    sh.p_burst = r.pick(std::vector<double>{0.02, 0.1, 0.4});
    sh.p_gap = r.pick(std::vector<double>{0.0, 0.01, 0.05});
    sh.gap_min = 2 * grid;
    sh.gap_max = 40 * grid;
    sh.p_within = bound > 0 ? r.pick(std::vector<double>{0.1, 0.3}) : 0.0;
    sh.p_beyond = r.pick(std::vector<double>{0.0, 0.05, 0.15});
    sh.p_edge = r.pick(std::vector<double>{0.05, 0.2});
    sh.beyond_max = lateness + 3 * grid;
    sh.grid = grid;
    sh.phase = phase;
    if (r.chance(0.15)) sh.p_within = sh.p_beyond = sh.p_edge = 0;  // strictly in order (bursts and gaps)
    return sh;
  };
  auto lateness_for = [](rng& r, std::int64_t grid) {
    return r.pick(std::vector<std::int64_t>{0, 0, grid / 2, grid, 3 * grid + 1});
  };
  auto bound_for = [](rng& r, std::int64_t grid) {
    return r.pick(std::vector<std::int64_t>{0, grid / 10, grid, 5 * grid});
  };
  char name[64];
  // Time windows: usually per key with an accumulator; sometimes with a
  // window function that sees all records (process), or over the whole
  // stream (window_all, Flink's windowAll).
  auto variant = [&](rng& r, std::map<std::string, std::string> p) {
    double u = r.unit();
    p["fn"] = u < 0.2 ? "process" : "agg";
    p["all"] = u >= 0.2 && u < 0.35 ? "1" : "0";
    return p;
  };

  // tumbling(size, offset)
  for (int i = 0; i < 14 * scale; ++i) {
    rng r{family_seed(1000u, i, seed)};
    std::int64_t size = r.pick(std::vector<std::int64_t>{1, 10, 100, 1000, 60000});
    std::int64_t offset = r.chance(0.3) ? r.in(-(size - 1), size - 1) : 0;
    std::int64_t bound = bound_for(r, size), lateness = lateness_for(r, size);
    std::snprintf(name, sizeof name, "tumbling_%02d", i);
    auto p = variant(r, {{"kind", "tumbling"}, {"size", s(size)}, {"offset", s(offset)}, {"bound", s(bound)},
                         {"lateness", s(lateness)}});
    stream_shape sh = shape(r, size, offset, bound, lateness);
    emit(name, p, sh, r);
  }
  // Many keys whose windows, several per key, come due at one watermark
  // (a gap, or the end of input); no lateness.
  for (int i = 0; i < 3 * scale; ++i) {
    rng r{family_seed(1100u, i, seed)};
    std::int64_t size = 100, bound = 1000;
    stream_shape sh = shape(r, size, 0, bound, 0);
    sh.keys = 200;
    sh.step_max = 2;
    sh.p_gap = 0.002;
    sh.p_beyond = 0.02;
    std::snprintf(name, sizeof name, "tumbling_bulk_%02d", i);
    emit(name, {{"kind", "tumbling"}, {"size", s(size)}, {"offset", "0"}, {"bound", s(bound)}, {"lateness", "0"},
                {"fn", "agg"}, {"all", "0"}},
         sh, r);
  }
  // sliding(size, slide, offset), slide < size, = size and > size
  const std::vector<std::pair<std::int64_t, std::int64_t>> slides{
      {1000, 100}, {1000, 300}, {1000, 1000}, {100, 1000}, {500, 700}, {7, 3}, {60000, 10000}, {10, 1}};
  for (int i = 0; i < 16 * scale; ++i) {
    rng r{family_seed(2000u, i, seed)};
    auto [size, slide] = slides[static_cast<std::size_t>(i) % slides.size()];
    std::int64_t offset = r.chance(0.3) ? r.in(-(slide - 1), slide - 1) : 0;
    std::int64_t bound = bound_for(r, slide), lateness = lateness_for(r, std::max(size, slide));
    std::snprintf(name, sizeof name, "sliding_%02d", i);
    auto p = variant(r, {{"kind", "sliding"}, {"size", s(size)}, {"slide", s(slide)}, {"offset", s(offset)},
                         {"bound", s(bound)}, {"lateness", s(lateness)}});
    stream_shape sh = shape(r, slide, floor_mod(offset + size, slide), bound, lateness);
    emit(name, p, sh, r);
  }
  // session(gap)
  for (int i = 0; i < 10 * scale; ++i) {
    rng r{family_seed(3000u, i, seed)};
    std::int64_t gap = r.pick(std::vector<std::int64_t>{1, 50, 1000});
    std::int64_t bound = bound_for(r, gap), lateness = lateness_for(r, gap);
    stream_shape sh = shape(r, gap, 0, bound, lateness);
    sh.step_max = std::max<std::int64_t>(1, gap * r.pick(std::vector<std::int64_t>{1, 2}) / 2);
    sh.touch = gap;
    std::snprintf(name, sizeof name, "session_%02d", i);
    auto p = variant(r, {{"kind", "session"}, {"gap", s(gap)}, {"bound", s(bound)}, {"lateness", s(lateness)}});
    emit(name, p, sh, r);
  }
  // count_window(n) and count_window(n, step)
  const std::vector<std::pair<std::int64_t, std::int64_t>> counts{{1, 1}, {3, 3}, {5, 2}, {2, 5}, {4, 1}, {10, 10}};
  for (int i = 0; i < 6 * scale; ++i) {
    rng r{family_seed(4000u, i, seed)};
    auto [n, step] = counts[static_cast<std::size_t>(i) % counts.size()];
    std::int64_t bound = bound_for(r, 100), lateness = lateness_for(r, 100);
    std::snprintf(name, sizeof name, "count_%02d", i);
    stream_shape sh = shape(r, 100, 0, bound, lateness);
    emit(name, {{"kind", "count"}, {"n", s(n)}, {"step", s(step)}, {"bound", s(bound)}, {"lateness", s(lateness)}},
         sh, r);
  }
  // global windows with count and predicate triggers, purging or not
  for (int i = 0; i < 8 * scale; ++i) {
    rng r{family_seed(5000u, i, seed)};
    std::int64_t bound = bound_for(r, 100), lateness = lateness_for(r, 100);
    std::map<std::string, std::string> p{{"bound", s(bound)}, {"lateness", s(lateness)}};
    switch (i % 4) {
      case 0: p["kind"] = "global_count"; p["n"] = s(r.pick(std::vector<std::int64_t>{1, 3, 7})); break;
      case 1: p["kind"] = "global_purging"; p["n"] = s(r.pick(std::vector<std::int64_t>{1, 3, 7})); break;
      case 2: p["kind"] = "global_when"; p["m"] = s(r.pick(std::vector<std::int64_t>{3, 5})); p["purge"] = "0"; break;
      default: p["kind"] = "global_when"; p["m"] = s(r.pick(std::vector<std::int64_t>{3, 5})); p["purge"] = "1"; break;
    }
    std::snprintf(name, sizeof name, "global_%02d", i);
    stream_shape sh = shape(r, 100, 0, bound, lateness);
    emit(name, p, sh, r);
  }
  // a global window fired by an event-time timer at the end of each
  // interval in which the key had records (spate's every(interval))
  for (int i = 0; i < 4 * scale; ++i) {
    rng r{family_seed(5500u, i, seed)};
    std::int64_t interval = r.pick(std::vector<std::int64_t>{10, 100, 1000});
    std::int64_t bound = bound_for(r, interval), lateness = lateness_for(r, interval);
    std::snprintf(name, sizeof name, "global_every_%02d", i);
    stream_shape sh = shape(r, interval, 0, bound, lateness);
    emit(name, {{"kind", "global_every"}, {"interval", s(interval)}, {"bound", s(bound)}, {"lateness", s(lateness)}},
         sh, r);
  }
  // Time windows with a trigger instead of their default (continuous
  // event-time, count, and their purging variants) and with evictors (count,
  // time; before or after the function). Results are compared per (key,
  // window): the order of different windows of one key due at one time is
  // Flink's timer heap's, not part of the semantics (scripts/flink-diff).
  auto time_window_params = [&](rng& r, const std::string& window, std::int64_t& grid, std::int64_t& phase) {
    std::map<std::string, std::string> p{{"kind", "triggered"}, {"window", window}};
    if (window == "tumbling") {
      std::int64_t size = r.pick(std::vector<std::int64_t>{10, 100, 1000});
      p["size"] = s(size);
      p["offset"] = s(r.chance(0.3) ? r.in(-(size - 1), size - 1) : 0);
      grid = size;
      phase = std::stoll(p["offset"]);
    } else if (window == "sliding") {
      auto [size, slide] = r.pick(std::vector<std::pair<std::int64_t, std::int64_t>>{{1000, 300}, {100, 50}, {30, 70}});
      p["size"] = s(size);
      p["slide"] = s(slide);
      p["offset"] = "0";
      grid = slide;
      phase = floor_mod(size, slide);
    } else {
      std::int64_t gap = r.pick(std::vector<std::int64_t>{50, 1000});
      p["gap"] = s(gap);
      grid = gap;
      phase = 0;
    }
    return p;
  };
  const std::vector<std::string> windows{"tumbling", "sliding", "session"};
  for (int i = 0; i < 24 * scale; ++i) {
    rng r{family_seed(7000u, i, seed)};
    const std::string& window = windows[static_cast<std::size_t>(i) % 3];
    std::int64_t grid = 0, phase = 0;
    auto p = time_window_params(r, window, grid, phase);
    const int variant = (i / 3) % 4;  // continuous, count, purging continuous, purging count
    p["trigger"] = variant % 2 == 0 ? "continuous" : "count";
    p["purge"] = variant >= 2 ? "1" : "0";
    p["interval"] = s(std::max<std::int64_t>(1, grid / r.pick(std::vector<std::int64_t>{4, 3, 1}) + r.in(0, 1)));
    p["n"] = s(r.pick(std::vector<std::int64_t>{1, 2, 5}));
    p["evictor"] = "none";
    p["fn"] = r.chance(0.3) ? "process" : "agg";
    std::int64_t bound = bound_for(r, grid), lateness = lateness_for(r, grid);
    p["bound"] = s(bound);
    p["lateness"] = s(lateness);
    stream_shape sh = shape(r, grid, phase, bound, lateness);
    if (window == "session") sh.touch = grid;
    std::snprintf(name, sizeof name, "trigger_%s_%02d", window.c_str(), i);
    emit(name, p, sh, r);
  }
  for (int i = 0; i < 12 * scale; ++i) {
    rng r{family_seed(7500u, i, seed)};
    const std::string& window = windows[static_cast<std::size_t>(i) % 3];
    std::int64_t grid = 0, phase = 0;
    auto p = time_window_params(r, window, grid, phase);
    // A count evictor keeps the last records in their list order, which for a
    // merged session Flink takes from a hash set: time evictors only there.
    p["evictor"] = window == "session" || (i / 3) % 2 == 1 ? "time" : "count";
    p["keep"] = s(r.pick(std::vector<std::int64_t>{1, 3, 10}));
    p["evict_size"] = s(std::max<std::int64_t>(1, grid / r.pick(std::vector<std::int64_t>{2, 5})));
    p["after"] = r.chance(0.5) ? "1" : "0";
    p["trigger"] = r.chance(0.3) ? "count" : "none";
    p["purge"] = "0";
    p["n"] = s(r.pick(std::vector<std::int64_t>{2, 4}));
    p["interval"] = "0";
    p["fn"] = "process";
    std::int64_t bound = bound_for(r, grid), lateness = lateness_for(r, grid);
    p["bound"] = s(bound);
    p["lateness"] = s(lateness);
    stream_shape sh = shape(r, grid, phase, bound, lateness);
    if (window == "session") sh.touch = grid;
    std::snprintf(name, sizeof name, "evictor_%s_%02d", window.c_str(), i);
    emit(name, p, sh, r);
  }
  // keyed process function with event-time timers
  for (int i = 0; i < 10 * scale; ++i) {
    rng r{family_seed(6000u, i, seed)};
    std::int64_t delay = r.pick(std::vector<std::int64_t>{0, 1, 10, 1000});
    std::int64_t grid = std::max<std::int64_t>(delay, 10);
    std::int64_t bound = bound_for(r, grid);
    std::snprintf(name, sizeof name, "process_%02d", i);
    stream_shape sh = shape(r, grid, 0, bound, grid);
    emit(name, {{"kind", "process"}, {"delay", s(delay)}, {"bound", s(bound)}, {"lateness", "0"}}, sh, r);
  }
  // Two-input joins: inputs A and B (the 4th column), each with its own
  // watermarks; few keys, so that joins match. No record is late (see
  // generate_side), so the output is the whole join whatever the order in
  // which the operator reads the two inputs.
  auto emit_join = [&](const std::string& name, std::map<std::string, std::string> p, rng& r, std::int64_t grid) {
    const std::int64_t bound = std::stoll(p.at("bound"));
    const std::int64_t keys = r.pick(std::vector<std::int64_t>{1, 2, 4});
    const std::int64_t base = r.pick(std::vector<std::int64_t>{0, 0, -20 * grid - 7, 1700000000000});
    const std::int64_t step_max = std::max<std::int64_t>(1, grid / r.pick(std::vector<std::int64_t>{1, 2, 4}));
    const double p_disorder = r.pick(std::vector<double>{0.0, 0.2, 0.5});
    const double p_gap = r.pick(std::vector<double>{0.0, 0.02});
    std::uint64_t seed = r.next();
    rng rs{seed};
    std::vector<Ev> a, b;
    generate_side(rs, 'A', r.pick(std::vector<std::int64_t>{40, 120, 250}), keys, base, step_max, bound, p_disorder,
                  p_gap, 3 * grid, a);
    const bool a_first = p.count("order") != 0;  // B may have late records: see the interval join's late cases
    generate_side(rs, 'B', r.pick(std::vector<std::int64_t>{40, 120, 250}), keys, base, step_max, bound, p_disorder,
                  p_gap, 3 * grid, b, a_first ? 0.15 : 0.0, 3 * grid);
    // Both inputs in one file, interleaved at random (each input's order kept).
    std::vector<Ev> evs;
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
      const bool take_a = j == b.size() || (i < a.size() && rs.chance(0.5));
      evs.push_back(take_a ? a[i++] : b[j++]);
    }
    p["seed"] = std::to_string(seed);
    write_case(dir, name, p, evs);
    ++cases;
    events += evs.size();
  };
  // interval join: between(lower, upper), bounds inclusive or exclusive
  for (int i = 0; i < 10 * scale; ++i) {
    rng r{family_seed(8000u, i, seed)};
    std::int64_t lower = r.pick(std::vector<std::int64_t>{-100, -20, -5, 0, 3});
    std::int64_t width = r.pick(std::vector<std::int64_t>{0, 1, 2, 10, 50, 200});
    std::int64_t lx = r.chance(0.3) ? 1 : 0;
    std::int64_t ux = r.chance(0.3) ? 1 : 0;
    if (lx + ux > width) lx = ux = 0;  // bounds that admit no pair are an error on both sides
    std::int64_t bound = r.pick(std::vector<std::int64_t>{1, 10, 100});
    std::snprintf(name, sizeof name, "join_interval_%02d", i);
    emit_join(name,
              {{"kind", "join_interval"}, {"lower", s(lower)}, {"upper", s(lower + width)},
               {"lower_exclusive", s(lx)}, {"upper_exclusive", s(ux)}, {"bound", s(bound)}, {"lateness", "0"}},
              r, std::max<std::int64_t>(width, 10));
  }
  // interval join with late records: Flink reads all of input A before any
  // of B (an IntervalJoinOperator that selects its first input until it
  // ends), spate too (connect(a, b).turn(n) with n above A's size), so A's
  // end-of-input watermark comes before B's records and B's records are late
  // exactly when they are behind B's own watermark; A's never are (B's
  // watermark is still the lowest while A is read).
  for (int i = 0; i < 5 * scale; ++i) {
    rng r{family_seed(8300u, i, seed)};
    std::int64_t lower = r.pick(std::vector<std::int64_t>{-50, -10, 0});
    std::int64_t width = r.pick(std::vector<std::int64_t>{5, 20, 100});
    std::int64_t lx = r.chance(0.3) ? 1 : 0;
    std::int64_t ux = r.chance(0.3) ? 1 : 0;
    std::int64_t bound = r.pick(std::vector<std::int64_t>{1, 10, 50});
    std::snprintf(name, sizeof name, "join_interval_late_%02d", i);
    emit_join(name,
              {{"kind", "join_interval"}, {"order", "a_first"}, {"lower", s(lower)}, {"upper", s(lower + width)},
               {"lower_exclusive", s(lx)}, {"upper_exclusive", s(ux)}, {"bound", s(bound)}, {"lateness", "0"}},
              r, width);
  }
  // window join and coGroup over tumbling, sliding and session windows
  for (const std::string kind : {"join_window", "join_cogroup"}) {
    const int per_window = kind == "join_window" ? 3 : 2;
    const std::vector<std::string> windows{"tumbling", "sliding", "session"};
    for (int i = 0; i < 3 * per_window * scale; ++i) {
      rng r{family_seed(kind == "join_window" ? 8100u : 8200u, i, seed)};
      const std::string& window = windows[static_cast<std::size_t>(i) % 3];
      std::map<std::string, std::string> p{{"kind", kind}, {"window", window}, {"lateness", "0"}};
      std::int64_t grid;
      if (window == "tumbling") {
        std::int64_t size = r.pick(std::vector<std::int64_t>{10, 100, 1000});
        p["size"] = s(size);
        p["offset"] = s(r.chance(0.3) ? r.in(-(size - 1), size - 1) : 0);
        grid = size;
      } else if (window == "sliding") {
        const std::vector<std::pair<std::int64_t, std::int64_t>> sl{{100, 50}, {100, 30}, {1000, 400}, {50, 70}};
        auto [size, slide] = r.pick(sl);
        p["size"] = s(size);
        p["slide"] = s(slide);
        p["offset"] = s(r.chance(0.3) ? r.in(-(slide - 1), slide - 1) : 0);
        grid = slide;
      } else {
        grid = r.pick(std::vector<std::int64_t>{5, 50, 500});
        p["gap"] = s(grid);
      }
      std::int64_t bound = r.pick(std::vector<std::int64_t>{1, grid / 5 + 1, grid});
      p["bound"] = s(bound);
      std::snprintf(name, sizeof name, "%s_%s_%02d", kind.c_str(), window.c_str(), i);
      emit_join(name, p, r, grid);
    }
  }
  std::cerr << "flink-diff: generated " << cases << " cases, " << events << " events in " << dir.string() << '\n';
  return 0;
}

// =====================================================================
// Running a case through spate.
// =====================================================================
struct acc {
  std::int64_t count = 0, sum = 0, min = INT64_MAX, max = INT64_MIN;
};
// count, sum, min, max: commutative, like the Flink job's AggregateFunction.
struct agg {
  acc create_accumulator() const { return {}; }
  acc add(const Ev& e, acc a) const {
    a.count += 1;
    a.sum += e.v;
    a.min = std::min(a.min, e.v);
    a.max = std::max(a.max, e.v);
    return a;
  }
  acc get_result(const acc& a) const { return a; }
  acc merge(acc a, const acc& b) const {
    a.count += b.count;
    a.sum += b.sum;
    a.min = std::min(a.min, b.min);
    a.max = std::max(a.max, b.max);
    return a;
  }
};
std::string acc_line(const acc& a) {
  return std::to_string(a.count) + "," + std::to_string(a.sum) + "," + std::to_string(a.min) + "," +
         std::to_string(a.max);
}

// The keyed process function of FlinkDiff.java's Timers, line for line.
struct timers_state {
  spate::value_state<std::int64_t> sum, count, last;
};
struct timers_fn {
  using state_type = timers_state;
  using output_type = std::string;
  std::int64_t delay;
  void process(const Ev& e, auto& ctx, auto& out) {
    timers_state& st = ctx.state();
    std::int64_t s = st.sum.value_or(0) + e.v;
    std::int64_t c = st.count.value_or(0) + 1;
    st.sum.update(s);
    st.count.update(c);
    ctx.register_event_time_timer(spate::from_millis(e.ts + delay));
    if (e.v % 4 == 0) ctx.register_event_time_timer(spate::from_millis(e.ts - delay));
    if (e.v % 7 == 0 && st.last.has_value()) ctx.delete_event_time_timer(spate::from_millis(st.last.value() + delay));
    st.last.update(e.ts);
    if (e.v % 5 == 0)
      out.collect(ctx.key() + ",E," + std::to_string(e.ts) + "," +
                  std::to_string(spate::to_millis(ctx.current_watermark())) + "," + std::to_string(s) + "," +
                  std::to_string(c));
  }
  void on_timer(spate::event_time t, auto& ctx, auto& out) {
    timers_state& st = ctx.state();
    std::int64_t s = st.sum.value_or(0), c = st.count.value_or(0);
    std::int64_t tm = spate::to_millis(t);
    out.collect(ctx.key() + ",T," + std::to_string(tm) + "," +
                std::to_string(spate::to_millis(ctx.current_watermark())) + "," + std::to_string(s) + "," +
                std::to_string(c));
    if (floor_mod(tm, 2) == 0 && s % 3 == 0) ctx.register_event_time_timer(spate::from_millis(tm + 1));
    if (c >= 6) ctx.clear_state();
  }
};

struct outputs {
  std::vector<std::string> main, late;
};

template <class J>
void run_job(const J& job, bool unfused) {
  if (unfused)
    spate::run_unfused(job);
  else
    spate::run(job);
}

auto ms(std::int64_t x) { return spate::duration{x}; }

// A window function that sees all of a window's records.
struct records_fn {
  acc operator()(const std::string&, spate::time_window, const std::vector<Ev>& rs) const {
    agg g;
    acc a = g.create_accumulator();
    for (const Ev& e : rs) a = g.add(e, a);
    return a;
  }
};

// The late output's sink. A struct with a default, not a capturing lambda:
// window_all(...).late_to(sink) needs a default-constructible sink to compile
// (window_stage's `LateSink late{}` is instantiated by std::tuple_cat's
// default-constructibility check).
struct late_lines {
  std::vector<std::string>* out = nullptr;
  void operator()(const Ev& e) const {
    out->push_back(e.key + "," + std::to_string(e.ts) + "," + std::to_string(e.v));
  }
};

template <class Assigner>
void run_time_window(const test_case& c, Assigner a, outputs& o, bool unfused) {
  auto late = spate::for_each(late_lines{&o.late});
  auto win = [&](auto w) { return w.allowed_lateness(ms(c.num("lateness"))).late_to(late); };
  auto line = [&](const std::string& key, const auto& r) {
    o.main.push_back(key + "," + std::to_string(spate::to_millis(r.start)) + "," +
                     std::to_string(spate::to_millis(r.end)) + "," + acc_line(r.value));
  };
  auto src = spate::from_collection(c.events) |
             spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(ms(c.num("bound"))));
  if (c.num("all") != 0) {
    run_job(src | win(spate::window_all(a, &Ev::ts)) | spate::aggregate(agg{}) |
                spate::for_each([&](const auto& r) { line("*", r); }),
            unfused);
  } else if (c.str("fn") == "process") {
    run_job(src | spate::key_by(&Ev::key) | win(spate::window(a, &Ev::ts)) | spate::process(records_fn{}) |
                spate::for_each([&](const auto& r) { line(r.key, r); }),
            unfused);
  } else {
    run_job(src | spate::key_by(&Ev::key) | win(spate::window(a, &Ev::ts)) | spate::aggregate(agg{}) |
                spate::for_each([&](const auto& r) { line(r.key, r); }),
            unfused);
  }
}

template <class Assigner>
void run_global_window(const test_case& c, Assigner a, outputs& o, bool unfused) {
  auto job = spate::from_collection(c.events) |
             spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(ms(c.num("bound")))) |
             spate::key_by(&Ev::key) |
             spate::window(a, &Ev::ts)
                 .allowed_lateness(ms(c.num("lateness")))
                 .late_to(spate::for_each(late_lines{&o.late})) |
             spate::aggregate(agg{}) |
             spate::for_each([&](const auto& r) { o.main.push_back(r.key + "," + acc_line(r.value)); });
  run_job(job, unfused);
}

// A time window with a trigger and/or an evictor (kind=triggered).
template <class Assigner>
void run_triggered(const test_case& c, Assigner a, outputs& o, bool unfused) {
  auto src = spate::from_collection(c.events) |
             spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(ms(c.num("bound")))) |
             spate::key_by(&Ev::key);
  auto line = [&](const auto& r) {
    o.main.push_back(r.key + "," + std::to_string(spate::to_millis(r.start)) + "," +
                     std::to_string(spate::to_millis(r.end)) + "," + acc_line(r.value));
  };
  auto with_function = [&](auto w) {
    using A = typename decltype(w)::assigner_type;
    constexpr bool evicting = [] {
      if constexpr (spate::detail::is_triggered_assigner<A>)
        return A::evicting;
      else
        return false;
    }();
    if constexpr (evicting)  // an evictor needs process (anything else does not compile)
      run_job(src | w | spate::process(records_fn{}) | spate::for_each(line), unfused);
    else if (c.str("fn") == "process")
      run_job(src | w | spate::process(records_fn{}) | spate::for_each(line), unfused);
    else
      run_job(src | w | spate::aggregate(agg{}) | spate::for_each(line), unfused);
  };
  auto with_evictor = [&](auto w) {
    const std::string& e = c.str("evictor");
    if (e == "none") return with_function(w);
    const auto when = c.num("after") != 0 ? spate::evict_when::after : spate::evict_when::before;
    if (e == "count")
      with_function(w.evictor(spate::count_evictor(static_cast<std::uint64_t>(c.num("keep")), when)));
    else
      with_function(w.evictor(spate::time_evictor(ms(c.num("evict_size")), when)));
  };
  auto w = spate::window(a, &Ev::ts)
               .allowed_lateness(ms(c.num("lateness")))
               .late_to(spate::for_each(late_lines{&o.late}));
  const std::string& t = c.str("trigger");
  const bool purge = c.num("purge") != 0;
  if (t == "none") {
    with_evictor(w);
  } else if (t == "continuous") {
    auto tr = spate::continuous_event_time(ms(c.num("interval")));
    if (purge)
      with_evictor(w.trigger(spate::purging(tr)));
    else
      with_evictor(w.trigger(tr));
  } else if (t == "count") {
    auto tr = spate::every_n(static_cast<std::uint64_t>(c.num("n")));
    if (purge)
      with_evictor(w.trigger(spate::purging(tr)));
    else
      with_evictor(w.trigger(tr));
  } else {
    throw std::runtime_error(c.name + ": unknown trigger " + t);
  }
}

void run_process(const test_case& c, outputs& o, bool unfused) {
  auto job = spate::from_collection(c.events) |
             spate::with_watermarks(&Ev::ts, spate::bounded_out_of_orderness(ms(c.num("bound")))) |
             spate::key_by(&Ev::key) | spate::process(timers_fn{c.num("delay")}, &Ev::ts) |
             spate::for_each([&](const std::string& s) { o.main.push_back(s); });
  run_job(job, unfused);
}

struct multiple_of {
  std::int64_t m;
  bool operator()(const Ev& e) const { return e.v % m == 0; }
};

// Two-input cases. Distinct record types for the two inputs (connect's
// either<A, B> tells them apart by type).
struct JA {
  std::string key;
  std::int64_t ts;
  std::int64_t v;
};
struct JB {
  std::string key;
  std::int64_t ts;
  std::int64_t v;
};
inline constexpr spate::output_tag<"late A", JA> late_a_tag;
inline constexpr spate::output_tag<"late B", JB> late_b_tag;

std::string pair_line(const JA& a, const JB& b) {
  return a.key + "," + std::to_string(a.ts) + "," + std::to_string(a.v) + "," + std::to_string(b.ts) + "," +
         std::to_string(b.v);
}
template <class R>
std::string side_summary(const std::vector<R>& rs) {
  std::int64_t n = 0, sum = 0, max = INT64_MIN;
  for (const R& e : rs) {
    n += 1;
    sum += e.v;
    max = std::max(max, e.ts);
  }
  return std::to_string(n) + "," + std::to_string(sum) + "," + (n == 0 ? std::string("-") : std::to_string(max));
}

void run_join(const test_case& c, outputs& o, bool unfused) {
  std::vector<JA> as;
  std::vector<JB> bs;
  for (const Ev& e : c.events) {
    if (e.side == 'A')
      as.push_back({e.key, e.ts, e.v});
    else if (e.side == 'B')
      bs.push_back({e.key, e.ts, e.v});
    else
      throw std::runtime_error(c.name + ": a record without input A or B");
  }
  const auto bound = ms(c.num("bound"));
  // order=a_first: all of A (and its end) before any of B, as the Flink job
  // reads those cases; otherwise connect's turns (the cases do not depend on them).
  const std::size_t turn = c.p.count("order") != 0 ? as.size() + bs.size() + 1 : spate::merge_turn_records;
  auto input = [&] {
    return spate::connect(spate::from_collection(as) | spate::with_watermarks(&JA::ts, spate::bounded_out_of_orderness(bound)),
                          spate::from_collection(bs) | spate::with_watermarks(&JB::ts, spate::bounded_out_of_orderness(bound)))
               .turn(turn) |
           spate::key_by(&JA::key, &JB::key);
  };
  const std::string& kind = c.str("kind");
  if (kind == "join_interval") {
    std::vector<std::string> late_b;
    auto with_sides = [&](auto j) {
      run_job(input() | j.late_left_to(late_a_tag).late_right_to(late_b_tag) |
                  spate::fan_out(spate::branch() | spate::collect_into(o.main),
                                 spate::branch(late_a_tag) |
                                     spate::map([](const JA& a) {
                                       return "A," + a.key + "," + std::to_string(a.ts) + "," + std::to_string(a.v);
                                     }) |
                                     spate::collect_into(o.late),
                                 spate::branch(late_b_tag) |
                                     spate::map([](const JB& b) {
                                       return "B," + b.key + "," + std::to_string(b.ts) + "," + std::to_string(b.v);
                                     }) |
                                     spate::collect_into(late_b)),
              unfused);
    };
    auto j = spate::interval_join(ms(c.num("lower")), ms(c.num("upper")), pair_line);
    const bool lx = c.num("lower_exclusive") != 0, ux = c.num("upper_exclusive") != 0;
    if (lx && ux)
      with_sides(j.lower_bound_exclusive().upper_bound_exclusive());
    else if (lx)
      with_sides(j.lower_bound_exclusive());
    else if (ux)
      with_sides(j.upper_bound_exclusive());
    else
      with_sides(j);
    o.late.insert(o.late.end(), late_b.begin(), late_b.end());
    return;
  }
  auto with_window = [&](auto assigner) {
    if (kind == "join_window") {
      run_job(input() | spate::window_join(assigner, pair_line) | spate::collect_into(o.main), unfused);
    } else {
      auto group = [](const std::vector<JA>& ga, const std::vector<JB>& gb) {
        return side_summary(ga) + "," + side_summary(gb);
      };
      run_job(input() | spate::co_group(assigner, group) |
                  spate::for_each([&](const auto& r) { o.main.push_back(r.key + "," + r.value); }),
              unfused);
    }
  };
  const std::string& w = c.str("window");
  if (w == "tumbling")
    with_window(spate::tumbling(ms(c.num("size")), ms(c.num("offset"))));
  else if (w == "sliding")
    with_window(spate::sliding(ms(c.num("size")), ms(c.num("slide")), ms(c.num("offset"))));
  else
    with_window(spate::session(ms(c.num("gap"))));
}

outputs run_case(const test_case& c, bool unfused) {
  outputs o;
  const std::string& kind = c.str("kind");
  if (kind.starts_with("join_")) {
    run_join(c, o, unfused);
    return o;
  }
  if (kind == "tumbling") {
    run_time_window(c, spate::tumbling(ms(c.num("size")), ms(c.num("offset"))), o, unfused);
  } else if (kind == "sliding") {
    run_time_window(c, spate::sliding(ms(c.num("size")), ms(c.num("slide")), ms(c.num("offset"))), o, unfused);
  } else if (kind == "session") {
    run_time_window(c, spate::session(ms(c.num("gap"))), o, unfused);
  } else if (kind == "count") {
    auto n = static_cast<std::uint64_t>(c.num("n")), step = static_cast<std::uint64_t>(c.num("step"));
    run_global_window(c, step == n ? spate::count_window(n) : spate::count_window(n, step), o, unfused);
  } else if (kind == "global_count") {
    run_global_window(c, spate::global_window(spate::every_n(static_cast<std::uint64_t>(c.num("n")))), o, unfused);
  } else if (kind == "global_purging") {
    run_global_window(c, spate::global_window(spate::purging(spate::every_n(static_cast<std::uint64_t>(c.num("n"))))),
                      o, unfused);
  } else if (kind == "global_when") {
    auto w = spate::when(multiple_of{c.num("m")});
    if (c.num("purge") != 0)
      run_global_window(c, spate::global_window(spate::purging(w)), o, unfused);
    else
      run_global_window(c, spate::global_window(w), o, unfused);
  } else if (kind == "global_every") {
    run_global_window(c, spate::global_window(spate::every(ms(c.num("interval")))), o, unfused);
  } else if (kind == "triggered") {
    const std::string& w = c.str("window");
    if (w == "tumbling")
      run_triggered(c, spate::tumbling(ms(c.num("size")), ms(c.num("offset"))), o, unfused);
    else if (w == "sliding")
      run_triggered(c, spate::sliding(ms(c.num("size")), ms(c.num("slide")), ms(c.num("offset"))), o, unfused);
    else
      run_triggered(c, spate::session(ms(c.num("gap"))), o, unfused);
  } else if (kind == "process") {
    run_process(c, o, unfused);
  } else {
    throw std::runtime_error(c.name + ": unknown kind " + kind);
  }
  return o;
}

test_case read_case(const fs::path& file) {
  std::ifstream f(file);
  if (!f) throw std::runtime_error("cannot read " + file.string());
  test_case c;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream ss(line.substr(1));
      std::string kv;
      while (ss >> kv) {
        auto eq = kv.find('=');
        if (eq != std::string::npos && eq > 0) c.p[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      continue;
    }
    auto a = line.find(','), b = line.find(',', a + 1);
    if (a == std::string::npos || b == std::string::npos) throw std::runtime_error(file.string() + ": bad line " + line);
    auto d = line.find(',', b + 1);  // a 4th column: the input of a two-input case
    char side = 0;
    if (d != std::string::npos) {
      if (d + 2 != line.size() || (line[d + 1] != 'A' && line[d + 1] != 'B'))
        throw std::runtime_error(file.string() + ": bad input column in " + line);
      side = line[d + 1];
    }
    c.events.push_back({line.substr(0, a), std::stoll(line.substr(a + 1, b - a - 1)),
                        std::stoll(line.substr(b + 1, d == std::string::npos ? std::string::npos : d - b - 1)), side});
  }
  c.name = c.str("name");
  return c;
}

void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
  std::ofstream f(file);
  for (const std::string& l : lines) f << l << '\n';
  if (!f) throw std::runtime_error("cannot write " + file.string());
}

int run(const fs::path& in, const fs::path& out, bool unfused) {
  fs::create_directories(out);
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(in))
    if (e.path().extension() == ".case") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::size_t events = 0;
  for (const fs::path& f : files) {
    test_case c = read_case(f);
    events += c.events.size();
    outputs o = run_case(c, unfused);
    write_lines(out / (c.name + ".main"), o.main);
    write_lines(out / (c.name + ".late"), o.late);
  }
  std::cerr << "spate" << (unfused ? " (unfused)" : "") << ": " << files.size() << " cases, " << events
            << " events\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> a(argv + 1, argv + argc);
    if ((a.size() == 2 || a.size() == 4) && a[0] == "gen")
      return gen(a[1], a.size() == 4 ? std::stoull(a[2]) : 0, a.size() == 4 ? std::stoi(a[3]) : 1);
    if ((a.size() == 3 || a.size() == 4) && a[0] == "run")
      return run(a[1], a[2], a.size() == 4 && a[3] == "--unfused");
    std::cerr << "usage: flink_diff_spate gen CASES_DIR [SEED SCALE]\n"
                 "       flink_diff_spate run CASES_DIR OUT_DIR [--unfused]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "flink_diff_spate: " << e.what() << '\n';
    return 1;
  }
}
