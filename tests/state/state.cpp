// Keyed state and timers: a keyed process function with every state cell and
// both timer domains, updateStateByKey, mapWithState with timeout, snapshots.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <boost/hana/adapt_struct.hpp>
#include <catch2/catch.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

using namespace std::chrono_literals;
using spate::from_millis;

namespace {
struct Click {
  std::string user;
  std::int64_t ts = 0;
  std::string page{};
};

// [doc:process_fn]
// Per user: count clicks, remember pages, and 1s (event time) after a user's
// first click emit "user: n clicks, pages..." unless the user clicked "logout".
struct per_user {
  spate::value_state<long> count;
  spate::list_state<std::string> pages;
  spate::map_state<std::string, int> per_page;
  spate::reducing_state<long, std::plus<>> total_ts;
};
struct session_summary {
  using state_type = per_user;
  using output_type = std::string;
  void process(const Click& c, auto& ctx, auto& out) {
    per_user& s = ctx.state();
    if (!s.count.has_value()) ctx.register_event_time_timer(ctx.timestamp() + 1s);
    s.count.update(s.count.value_or(0) + 1);
    s.pages.add(c.page);
    s.per_page.put(c.page, (s.per_page.get(c.page) ? *s.per_page.get(c.page) : 0) + 1);
    s.total_ts.add(c.ts);
    if (c.page == "logout") {
      out.collect(ctx.key() + " logged out");
      ctx.clear_state();  // the timer still fires, and finds empty state
    }
  }
  void on_timer(spate::event_time, auto& ctx, auto& out) {
    per_user& s = ctx.state();
    if (!s.count.has_value()) return;
    std::string line = ctx.key() + ": " + std::to_string(s.count.value()) + " clicks,";
    for (auto& p : s.pages.get()) line += " " + p;
    out.collect(line);
    ctx.clear_state();
  }
};
// [end]
}  // namespace
// Reflected, so that the state can be snapshotted with serde::binary.
BOOST_HANA_ADAPT_STRUCT(per_user, count, pages, per_page, total_ts);
BOOST_HANA_ADAPT_STRUCT(Click, user, ts, page);

TEST_CASE("keyed process function: state cells and event-time timers", "[state][process]") {
  // [doc:process_run]
  std::vector<Click> clicks{{"ann", 0, "home"}, {"bob", 100, "home"}, {"ann", 500, "cart"},
                            {"bob", 700, "logout"}, {"ann", 2000, "home"}};
  auto make = [&](std::vector<std::string>& out) {
    return spate::from_collection(clicks) | spate::with_watermarks(&Click::ts, spate::monotonous()) |
           spate::key_by(&Click::user) | spate::process(session_summary{}, &Click::ts) | spate::collect_into(out);
  };
  std::vector<std::string> out, unfused;
  spate::run(make(out));
  // ann's timer (1000) fires when the watermark passes it: the record at 2000
  // brings watermark 1999, which follows that record, so it is counted too.
  // bob's timer finds his state cleared by the logout and emits nothing.
  CHECK(out == std::vector<std::string>{"bob logged out", "ann: 3 clicks, home cart home"});
  // [end]
  spate::run_unfused(make(unfused));
  CHECK(out == unfused);
}

namespace {
struct idle_alert {
  using state_type = spate::value_state<spate::event_time>;
  using output_type = std::string;
  void process(const Click& c, auto& ctx, auto&) {
    auto& last = ctx.state();
    if (last.has_value()) ctx.delete_processing_time_timer(last.value() + 1s);
    last.update(ctx.current_processing_time());
    ctx.register_processing_time_timer(ctx.current_processing_time() + 1s);
    (void)c;
  }
  void on_timer(spate::event_time t, auto& ctx, auto& out) {
    CHECK(ctx.domain() == spate::time_domain::processing);
    out(ctx.key() + " idle at " + std::to_string(spate::to_millis(t)));
  }
};
}  // namespace

TEST_CASE("processing-time timers fire on ticks, deleted timers do not", "[state][timers]") {
  spate::script<Click> s;
  s.tick(from_millis(0)).record({"ann"}).tick(from_millis(500)).record({"ann"}).record({"bob"})
      .tick(from_millis(1200)).tick(from_millis(1600));
  std::vector<std::string> out;
  spate::run(spate::from_script(s) | spate::key_by(&Click::user) | spate::process(idle_alert{}) |
             spate::collect_into(out));
  CHECK(out == std::vector<std::string>{"ann idle at 1500", "bob idle at 1500"});
}

TEST_CASE("update_state_by_key carries state across batches", "[state][spark]") {
  // [doc:update_state]
  spate::script<Click> s;
  s.record({"ann"}).record({"ann"}).record({"bob"}).batch_end(from_millis(1000))
   .record({"bob"}).batch_end(from_millis(2000));
  std::vector<std::pair<std::string, long>> out;
  spate::run(spate::from_script(s) | spate::key_by(&Click::user) |
             spate::update_state_by_key<long>([](const std::vector<Click>& fresh, const std::optional<long>& total)
                                                  -> std::optional<long> {
               long n = total.value_or(0) + static_cast<long>(fresh.size());
               if (n >= 3) return std::nullopt;  // forget a key at 3 clicks
               return n;
             }) |
             spate::collect_into(out));
  std::sort(out.begin(), out.begin() + 2);
  CHECK(out == std::vector<std::pair<std::string, long>>{{"ann", 2}, {"bob", 1}, {"ann", 2}, {"bob", 2}});
  // [end]
}

TEST_CASE("map_with_state maps each record with its key's state and times out idle keys", "[state][spark]") {
  // [doc:map_with_state]
  spate::script<Click> s;
  s.tick(from_millis(0)).record({"ann"}).record({"ann"}).tick(from_millis(500)).record({"bob"})
   .tick(from_millis(1000)).tick(from_millis(1600));
  std::vector<std::string> out;
  spate::run(spate::from_script(s) | spate::key_by(&Click::user) |
             spate::map_with_state<int>([](const std::string& user, const Click* c, spate::state_handle<int>& st) {
               if (!c) return user + " timed out after " + std::to_string(st.get());
               st.update(st.exists() ? st.get() + 1 : 1);
               return user + " #" + std::to_string(st.get());
             }).timeout(1s) |
             spate::collect_into(out));
  CHECK(out == std::vector<std::string>{"ann #1", "ann #2", "bob #1", "ann timed out after 2", "bob timed out after 1"});
  // [end]
}

namespace {
struct counter_fn {
  using state_type = per_user;
  using output_type = long;
  void process(const Click& c, auto& ctx, auto& out) {
    auto& s = ctx.state();
    s.count.update(s.count.value_or(0) + 1);
    s.pages.add(c.page);
    s.per_page.put(c.page, 1);
    s.total_ts.add(c.ts);
    ctx.register_event_time_timer(from_millis(c.ts + 100));
    out(s.count.value());
  }
};
template <class Stage>
std::map<std::string, std::string> dump(const Stage& st) {
  std::map<std::string, std::string> m;
  st.state().for_each([&](const std::string& k, const per_user& s) {
    std::string v = std::to_string(s.count.value_or(-1)) + "|" + std::to_string(s.pages.get().size()) + "|" +
                    std::to_string(s.per_page.size()) + "|" + std::to_string(s.total_ts.get());
    m[k] = v;
  });
  return m;
}
}  // namespace

TEST_CASE("state snapshots: restore(snapshot(s)) == s", "[state][snapshot]") {
  std::vector<Click> none;
  std::vector<long> out;
  auto job = spate::from_collection(none) | spate::key_by(&Click::user) | spate::process(counter_fn{}) |
             spate::collect_into(out);
  spate::rolling_env env;
  auto a = spate::fuse::build(env, job);
  auto b = spate::fuse::build(env, job);
  for (int i = 0; i < 1000; ++i) a.push(Click{"u" + std::to_string(i % 37), i, "p" + std::to_string(i % 5)});
  std::string snap;
  a.down.snapshot(snap);
  REQUIRE(b.down.restore(snap));
  CHECK(dump(a.down) == dump(b.down));
  CHECK(a.down.event_timers == b.down.event_timers);
  CHECK_FALSE(b.down.restore("garbage"));

  // window state too
  std::vector<spate::window_result<std::string, std::int64_t>> wout;
  auto wjob = spate::from_collection(none) | spate::key_by(&Click::user) |
              spate::window(spate::sliding(1s, 250ms), &Click::ts) | spate::count() | spate::collect_into(wout);
  auto wa = spate::fuse::build(env, wjob);
  auto wb = spate::fuse::build(env, wjob);
  for (int i = 0; i < 500; ++i) wa.push(Click{"u" + std::to_string(i % 7), i * 3, ""});
  std::string ws;
  wa.down.snapshot(ws);
  REQUIRE(wb.down.restore(ws));
  std::vector<spate::window_result<std::string, std::int64_t>> ra, rb;
  wa.down.down.target = &ra;
  wb.down.down.target = &rb;
  wa.on_end();
  wb.on_end();
  std::sort(ra.begin(), ra.end(), [](auto& x, auto& y) { return std::tie(x.key, x.start) < std::tie(y.key, y.start); });
  std::sort(rb.begin(), rb.end(), [](auto& x, auto& y) { return std::tie(x.key, x.start) < std::tie(y.key, y.start); });
  CHECK(ra.size() > 10);
  CHECK(ra == rb);
}

TEST_CASE("session and updateStateByKey snapshots round-trip", "[state][snapshot]") {
  std::vector<Click> none;
  spate::rolling_env env;
  std::vector<spate::window_result<std::string, std::int64_t>> out;
  auto job = spate::from_collection(none) | spate::key_by(&Click::user) |
             spate::window(spate::session(100ms), &Click::ts) | spate::count() | spate::collect_into(out);
  auto a = spate::fuse::build(env, job);
  auto b = spate::fuse::build(env, job);
  for (int i = 0; i < 300; ++i) a.push(Click{"u" + std::to_string(i % 5), (i * 37) % 2000, ""});
  std::string snap;
  a.down.snapshot(snap);
  REQUIRE(b.down.restore(snap));
  std::vector<spate::window_result<std::string, std::int64_t>> ra, rb;
  a.down.down.target = &ra;
  b.down.down.target = &rb;
  a.on_end();
  b.on_end();
  std::sort(ra.begin(), ra.end(), [](auto& x, auto& y) { return std::tie(x.key, x.start) < std::tie(y.key, y.start); });
  std::sort(rb.begin(), rb.end(), [](auto& x, auto& y) { return std::tie(x.key, x.start) < std::tie(y.key, y.start); });
  CHECK(!ra.empty());
  CHECK(ra == rb);

  std::vector<std::pair<std::string, long>> s1, s2;
  auto ujob = [&](auto& o) {
    return spate::from_collection(none) | spate::key_by(&Click::user) |
           spate::update_state_by_key<long>([](const std::vector<Click>& f, const std::optional<long>& st) -> std::optional<long> {
             return st.value_or(0) + static_cast<long>(f.size());
           }) |
           spate::collect_into(o);
  };
  auto ua = spate::fuse::build(env, ujob(s1));
  auto ub = spate::fuse::build(env, ujob(s2));
  for (int i = 0; i < 50; ++i) ua.push(Click{"u" + std::to_string(i % 3), 0, ""});
  ua.on_batch_end({from_millis(1), 0});
  ua.push(Click{"u0", 0, ""});
  std::string us;
  ua.down.snapshot(us);
  REQUIRE(ub.down.restore(us));
  s1.clear();
  ua.on_end();
  ub.on_end();
  std::sort(s1.begin(), s1.end());
  std::sort(s2.begin(), s2.end());
  CHECK(s1 == std::vector<std::pair<std::string, long>>{{"u0", 18}, {"u1", 17}, {"u2", 16}});
  CHECK(s1 == s2);
}

TEST_CASE("keyed reduce state stays compact", "[state][memory]") {
  spate::state::hash_map<long, long> m;
  for (long i = 0; i < 100000; ++i) m[i * 7919] = i;
  CHECK(double(m.memory_bytes()) / double(m.size()) <= 64.0);
}

TEST_CASE("map_with_state snapshots round-trip, timeouts included", "[state][snapshot][spark]") {
  std::vector<Click> none;
  std::vector<std::string> out_a, out_b;
  auto fn = [](const std::string& user, const Click* c, spate::state_handle<int>& st) {
    if (!c) return user + " timed out after " + std::to_string(st.get());
    st.update(st.exists() ? st.get() + 1 : 1);
    return user + " #" + std::to_string(st.get());
  };
  auto job = [&](std::vector<std::string>& out) {
    return spate::from_collection(none) | spate::key_by(&Click::user) |
           spate::map_with_state<int>(fn).timeout(std::chrono::seconds(1)) | spate::collect_into(out);
  };
  spate::rolling_env env;
  auto a = spate::fuse::build(env, job(out_a));
  auto b = spate::fuse::build(env, job(out_b));
  a.on_tick(from_millis(0));
  for (int i = 0; i < 30; ++i) a.push(Click{"u" + std::to_string(i % 4), i, ""});
  a.on_tick(from_millis(400));
  a.push(Click{"u0", 99, ""});
  std::string snap;
  a.down.snapshot(snap);
  REQUIRE(b.down.restore(snap));
  CHECK_FALSE(b.down.restore(snap.substr(0, snap.size() / 2)));  // a torn snapshot is refused...
  REQUIRE(b.down.restore(snap));                                  // ...and the state stays usable
  out_a.clear();
  // The same future on both: u1 and u3 (last seen at 0) time out at 1000, u0
  // (seen at 400) and u2 (seen again at 400) at 1400, in the order last seen.
  for (auto* s : {&a, &b}) {
    s->push(Click{"u2", 100, ""});
    s->on_tick(from_millis(1100));
    s->on_tick(from_millis(1500));
  }
  CHECK(out_a == out_b);
  CHECK(out_a == std::vector<std::string>{"u2 #8", "u1 timed out after 8", "u3 timed out after 7",
                                          "u0 timed out after 9", "u2 timed out after 8"});
}

// Spark's ReducedWindowedDStream keeps a key once it has a value: when its
// records slide out its value is what the inverse function left, emitted at
// every window end, until filterFunc drops it. countByWindow is a
// reduceByKeyAndWindow under one key without a filter, so it emits 0.
TEST_CASE("reduce_by_key_and_window keeps keys that fell to zero, keep(k, v) drops them", "[state][spark][window]") {
  // [doc:spark_window_zero]
  using kv = std::pair<char, int>;
  auto add = [](kv a, const kv& b) { a.second += b.second; return a; };
  auto sub = [](kv a, const kv& b) { a.second -= b.second; return a; };
  spate::script<kv> s;
  s.record({'a', 1}).record({'b', 1}).batch_end(from_millis(1000))
   .record({'a', 1}).batch_end(from_millis(2000))
   .batch_end(from_millis(3000))
   .batch_end(from_millis(4000))
   .record({'b', 5}).batch_end(from_millis(5000));
  auto as_text = [](const auto& w) {
    return std::to_string(spate::to_millis(w.end)) + " " + std::string(1, w.key) + "=" + std::to_string(w.value.second);
  };
  std::vector<std::string> kept, filtered;
  spate::run(spate::from_script(s) | spate::key_by<0>() | spate::reduce_by_key_and_window(add, sub, 2s, 1s) |
             spate::map(as_text) | spate::collect_into(kept));
  spate::run(spate::from_script(s) | spate::key_by<0>() |
             spate::reduce_by_key_and_window(add, sub, 2s, 1s, [](char, const kv& v) { return v.second != 0; }) |
             spate::map(as_text) | spate::collect_into(filtered));
  std::sort(kept.begin(), kept.end());  // within a window, keys come in no particular order
  std::sort(filtered.begin(), filtered.end());
  CHECK(kept == std::vector<std::string>{"1000 a=1", "1000 b=1", "2000 a=2", "2000 b=1", "3000 a=1", "3000 b=0",
                                         "4000 a=0", "4000 b=0", "5000 a=0", "5000 b=5"});
  // The filter drops b at 3000 and a at 4000, state and all: b comes back at
  // 5000 with its new records only.
  CHECK(filtered == std::vector<std::string>{"1000 a=1", "1000 b=1", "2000 a=2", "2000 b=1", "3000 a=1", "5000 b=5"});
  // [end]
}

TEST_CASE("count_by_window emits 0 for an empty window once it has counted", "[state][spark][window]") {
  // [doc:count_by_window_zero]
  spate::script<Click> s;
  s.batch_end(from_millis(1000))  // nothing counted yet: no output
   .record({"ann"}).record({"bob"}).batch_end(from_millis(2000))
   .batch_end(from_millis(3000))
   .batch_end(from_millis(4000));
  std::vector<std::string> counts;
  spate::run(spate::from_script(s) | spate::count_by_window(1s, 1s) |
             spate::map([](const auto& w) { return std::to_string(spate::to_millis(w.end)) + "=" + std::to_string(w.value); }) |
             spate::collect_into(counts));
  CHECK(counts == std::vector<std::string>{"2000=2", "3000=0", "4000=0"});
  // [end]
}

TEST_CASE("snapshot_entries encodes as a vector of tuples would, without the vector", "[state][snapshot]") {
  std::vector<std::tuple<std::string, std::int64_t, bool>> entries;
  for (int i = 0; i < 1000; ++i) entries.emplace_back("key-" + std::to_string(i * 7919 % 1000), i * 1'000'003LL, i % 3 == 0);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{127}, std::size_t{128}, entries.size()}) {
    CAPTURE(n);
    const std::vector<std::tuple<std::string, std::int64_t, bool>> part(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n));
    std::string expected = "prefix", got = "prefix";  // both append
    spate::detail::snapshot_value(part, expected);
    spate::detail::snapshot_entries<std::string, std::int64_t, bool>(
        n, [&](auto&& emit) { for (const auto& [k, v, m] : part) emit(k, v, m); }, got);
    CHECK(got == expected);
  }
  // Integers and bools only: the sized, pointer-written path gives the same bytes.
  std::vector<std::tuple<std::uint64_t, std::int64_t, bool, std::int16_t>> fixed;
  for (int i = 0; i < 300; ++i) fixed.emplace_back(i * 0x9E3779B97F4A7C15ull, -i * 1'000'003LL, i % 2 == 0, static_cast<std::int16_t>(-i));
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{128}, fixed.size()}) {
    CAPTURE(n);
    const std::vector<std::tuple<std::uint64_t, std::int64_t, bool, std::int16_t>> part(
        fixed.begin(), fixed.begin() + static_cast<std::ptrdiff_t>(n));
    std::string expected = "x", got = "x";
    spate::detail::snapshot_value(part, expected);
    spate::detail::snapshot_entries<std::uint64_t, std::int64_t, bool, std::int16_t>(
        n, [&](auto&& emit) { for (const auto& [a, b, c, e] : part) emit(a, b, c, e); }, got);
    CHECK(got == expected);
  }
  std::string out;
  CHECK_THROWS_WITH((spate::detail::snapshot_entries<int>(2, [](auto&& emit) { emit(1); }, out)),
                    Catch::Matchers::Contains("announced 2 entries and wrote 1"));
  CHECK_THROWS_WITH((spate::detail::snapshot_entries<std::string>(2, [](auto&& emit) { emit(std::string("a")); }, out)),
                    Catch::Matchers::Contains("announced 2 entries and wrote 1"));
}
