// reduce_by_key, count_by_value, group_by_key (algebra/per_batch.hpp): Spark's
// per-batch pair-stream stages.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using spate_laws::batch_end;
using word_count = std::pair<std::string, int>;

namespace {
struct sale {
  std::string shop;
  int amount = 0;
  friend bool operator==(const sale&, const sale&) = default;
};

template <class T, class Less = std::less<>>
std::vector<T> sorted(std::vector<T> v, Less less = {}) {
  std::sort(v.begin(), v.end(), less);
  return v;
}

// Random (word, n) records with batch ends in between.
spate::script<word_count> random_script(std::mt19937& rng, std::size_t n) {
  spate::script<word_count> s;
  std::uniform_int_distribution<int> word(0, 12), value(1, 9), pick(0, 99);
  std::int64_t t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (pick(rng) < 8)
      s.batch_end(from_millis(t += 1000));
    else
      s.record({"w" + std::to_string(word(rng)), value(rng)});
  }
  return s;
}
std::vector<spate_laws::event<word_count>> events_of(const spate::script<word_count>& s) {
  std::vector<spate_laws::event<word_count>> out;
  for (const auto& st : s.steps)
    if (st.what == spate::script<word_count>::kind::record)
      out.emplace_back(st.value);
    else
      out.emplace_back(batch_end{});
  return out;
}

// Tags each result with its batch number and sorts each batch: the
// per-batch contents, comparable across forms.
constexpr auto tagged = [](auto& rs, spate::batch_info b) {
  using R = typename std::remove_cvref_t<decltype(rs)>::value_type;
  std::vector<std::pair<std::uint64_t, R>> out;
  for (auto& r : rs) out.emplace_back(b.number, std::move(r));
  std::sort(out.begin(), out.end());
  return out;
};
}  // namespace

TEST_CASE("reduce_by_key, count_by_value, group_by_key: per batch, on pair streams", "[spark][per_batch]") {
  spate::script<word_count> s;
  s.record({"a", 1}).record({"b", 1}).record({"a", 1}).batch_end(from_millis(1000))
   .record({"a", 1}).batch_end(from_millis(2000))
   .batch_end(from_millis(3000));
  // [doc:reduce_by_key]
  // Spark: pairs.reduceByKey(_ + _): each batch's sums, not running totals
  std::vector<word_count> sums;
  spate::run(spate::from_script(s) | spate::reduce_by_key(std::plus<>{}) | spate::collect_into(sums));
  CHECK(sorted(sums) == std::vector<word_count>{{"a", 1}, {"a", 2}, {"b", 1}});  // a: 2 in batch 1, 1 in batch 2
  // [end]
  // the running totals a Spark user gets from key_by | reduce
  std::map<std::string, int> running;
  spate::run(spate::from_script(s) | spate::key_by<0>() |
             spate::reduce([](word_count a, const word_count& b) { a.second += b.second; return a; }) |
             spate::map([](const auto& kv) { return kv.second; }) | spate::collect_into(running));
  CHECK(running == std::map<std::string, int>{{"a", 3}, {"b", 1}});

  // [doc:count_by_value]
  std::vector<std::string> words{"to", "be", "or", "not", "to", "be"};
  std::vector<std::pair<std::string, std::int64_t>> counts;
  spate::run_batch(spate::from_collection(words) | spate::count_by_value() | spate::collect_into(counts));
  CHECK(sorted(counts) == std::vector<std::pair<std::string, std::int64_t>>{{"be", 2}, {"not", 1}, {"or", 1}, {"to", 2}});
  // [end]

  // [doc:group_by_key]
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  spate::run(spate::from_script(s) | spate::group_by_key() | spate::collect_into(groups));
  CHECK(sorted(groups) == std::vector<std::pair<std::string, std::vector<int>>>{{"a", {1}}, {"a", {1, 1}}, {"b", {1}}});
  // [end]
}

TEST_CASE("reduce_by_key, count_by_value, group_by_key after key_by see the records", "[spark][per_batch]") {
  spate::script<sale> s;
  s.record({"x", 3}).record({"y", 1}).record({"x", 4}).batch_end(from_millis(1000)).record({"y", 5});
  std::vector<std::pair<std::string, sale>> best;
  spate::run(spate::from_script(s) | spate::key_by(&sale::shop) |
             spate::reduce_by_key([](const sale& a, const sale& b) { return a.amount >= b.amount ? a : b; }) |
             spate::collect_into(best));
  using best_t = std::vector<std::pair<std::string, sale>>;
  CHECK(sorted(best, [](const auto& a, const auto& b) { return a.first < b.first || (a.first == b.first && a.second.amount < b.second.amount); }) ==
        best_t{{"x", {"x", 4}}, {"y", {"y", 1}}, {"y", {"y", 5}}});  // the last batch closes at the end of input

  std::vector<std::pair<std::string, std::int64_t>> per_shop;
  spate::run(spate::from_script(s) | spate::key_by(&sale::shop) | spate::count_by_value() | spate::collect_into(per_shop));
  CHECK(sorted(per_shop) == std::vector<std::pair<std::string, std::int64_t>>{{"x", 2}, {"y", 1}, {"y", 1}});

  std::vector<std::pair<std::string, std::vector<sale>>> groups;
  spate::run(spate::from_script(s) | spate::key_by(&sale::shop) | spate::group_by_key() | spate::collect_into(groups));
  REQUIRE(groups.size() == 3);
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.first < b.first || (a.first == b.first && a.second.size() > b.second.size()); });
  CHECK(groups[0] == std::pair<std::string, std::vector<sale>>{"x", {{"x", 3}, {"x", 4}}});  // in arrival order
}

TEST_CASE("the named stages give what window(per_batch()) spells out, batch by batch", "[spark][per_batch]") {
  std::mt19937 rng(777);
  for (int round = 0; round < 20; ++round) {
    const auto s = random_script(rng, 300);
    using sums_t = std::vector<std::pair<std::uint64_t, word_count>>;
    sums_t named, spelled;
    spate::run_batch(spate::from_script(s) | spate::reduce_by_key(std::plus<>{}) | spate::transform(tagged) |
                     spate::collect_into(named));
    spate::run_batch(spate::from_script(s) | spate::key_by<0>() | spate::window(spate::per_batch()) |
                     spate::reduce([](word_count a, const word_count& b) { a.second += b.second; return a; }) |
                     spate::map([](const auto& w) { return w.value; }) | spate::transform(tagged) |
                     spate::collect_into(spelled));
    CHECK(named == spelled);

    using counts_t = std::vector<std::pair<std::uint64_t, std::pair<std::string, std::int64_t>>>;
    counts_t named_counts, spelled_counts;
    auto word = spate::map([](const word_count& r) { return r.first; });
    spate::run_batch(spate::from_script(s) | word | spate::count_by_value() | spate::transform(tagged) |
                     spate::collect_into(named_counts));
    spate::run_batch(spate::from_script(s) | word | spate::key_by([](const std::string& r) { return r; }) |
                     spate::window(spate::per_batch()) | spate::count() |
                     spate::map([](const auto& w) { return std::pair(w.key, w.value); }) | spate::transform(tagged) |
                     spate::collect_into(spelled_counts));
    CHECK(named_counts == spelled_counts);

    using groups_t = std::vector<std::pair<std::uint64_t, std::pair<std::string, std::vector<int>>>>;
    groups_t named_groups, spelled_groups;
    spate::run_batch(spate::from_script(s) | spate::group_by_key() | spate::transform(tagged) |
                     spate::collect_into(named_groups));
    spate::run_batch(spate::from_script(s) | spate::key_by<0>() | spate::window(spate::per_batch()) |
                     spate::process([](const std::string& k, spate::time_window, const std::vector<word_count>& rs) {
                       std::vector<int> vs;
                       for (const auto& r : rs) vs.push_back(r.second);
                       return std::pair(k, vs);
                     }) |
                     spate::map([](const auto& w) { return w.value; }) | spate::transform(tagged) |
                     spate::collect_into(spelled_groups));
    CHECK(named_groups == spelled_groups);
    // and the fused and unfused engines agree
    sums_t unfused;
    spate::run_batch_unfused(spate::from_script(s) | spate::reduce_by_key(std::plus<>{}) | spate::transform(tagged) |
                             spate::collect_into(unfused));
    CHECK(unfused == named);
  }
}

TEST_CASE("reduce_by_key and group_by_key: parallel == sequential, the key_by they add is where the shuffle is", "[spark][per_batch][parallel]") {
  std::mt19937 rng(4242);
  std::vector<word_count> input;
  for (int i = 0; i < 20'000; ++i)
    input.push_back({"w" + std::to_string(std::uniform_int_distribution<int>(0, 500)(rng)), i % 5});
  auto sums = [&](std::vector<word_count>& out) {
    return spate::from_collection(input) | spate::reduce_by_key(std::plus<>{}) | spate::collect_into(out);
  };
  auto groups = [&](std::vector<std::pair<std::string, std::vector<int>>>& out) {
    return spate::from_collection(input) | spate::group_by_key() | spate::collect_into(out);
  };
  std::vector<word_count> seq_sums;
  std::vector<std::pair<std::string, std::vector<int>>> seq_groups;
  spate::run_batch(sums(seq_sums));
  spate::run_batch(groups(seq_groups));
  for (auto& g : seq_groups) std::sort(g.second.begin(), g.second.end());
  for (std::size_t p : {2u, 3u}) {
    CAPTURE(p);
    std::vector<word_count> s;
    std::vector<std::pair<std::string, std::vector<int>>> g;
    spate::run_batch(sums(s), spate::parallelism{p});
    spate::run_batch(groups(g), spate::parallelism{p});
    for (auto& x : g) std::sort(x.second.begin(), x.second.end());  // arrival order across workers is free
    CHECK(sorted(s) == sorted(seq_sums));
    CHECK(sorted(g) == sorted(seq_groups));
  }
  // Micro-batches: every record in exactly one batch, every key at most once per batch.
  std::map<std::string, int> total;
  for (const auto& [w, n] : input) total[w] += n;
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{p}, spate::max_rate{50'000}};
    std::map<std::string, int> summed;
    bool repeated = false;
    ctx.add(spate::from_collection(input) | spate::reduce_by_key(std::plus<>{}) |
            spate::foreach_batch([&](const std::vector<word_count>& rs) {
              std::map<std::string, int> once;
              for (const auto& [w, n] : rs) {
                repeated = repeated || once.count(w);
                once[w] = n;
                summed[w] += n;
              }
            }));
    if (p == 2) {
      const std::string plan = ctx.explain();
      // combined before the shuffle, one partial per key and batch in each worker
      CHECK_THAT(plan, Catch::Matchers::Contains("key_by #1 => combine #2 => shuffle") &&
                           Catch::Matchers::Contains("(shuffle) | reduce_by_key #2 (merges partials)"));
    }
    ctx.start();
    ctx.await_termination();
    CHECK_FALSE(repeated);
    CHECK(summed == total);
  }
}

TEST_CASE("reduce_by_key, count_by_value, group_by_key keep the open batch across a snapshot (restore law)", "[spark][per_batch][checkpoint]") {
  std::mt19937 rng(99);
  for (int round = 0; round < 15; ++round) {
    const auto events = events_of(random_script(rng, 120));
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, events.size())(rng);
    using sums_t = std::vector<word_count>;
    auto sums = [](sums_t& out) {
      return spate::from_elements(word_count{}) | spate::reduce_by_key(std::plus<>{}) | spate::collect_into(out);
    };
    auto counts = [](std::vector<std::pair<std::string, std::int64_t>>& out) {
      return spate::from_elements(word_count{}) | spate::key_by<0>() | spate::count_by_value() |
             spate::collect_into(out);
    };
    auto groups = [](std::vector<std::pair<std::string, std::vector<int>>>& out) {
      return spate::from_elements(word_count{}) | spate::group_by_key() | spate::collect_into(out);
    };
    auto by_sort = [](auto v) { return sorted(std::move(v)); };  // keys of one batch come in table order
    spate_laws::restore_equals_uninterrupted<sums_t>(sums, events, cut, by_sort);
    spate_laws::restore_equals_uninterrupted<sums_t, spate::compacted_env>(sums, events, cut, by_sort);
    spate_laws::restore_equals_uninterrupted<std::vector<std::pair<std::string, std::int64_t>>>(counts, events, cut, by_sort);
    spate_laws::restore_equals_uninterrupted<std::vector<std::pair<std::string, std::vector<int>>>>(groups, events, cut,
                                                                                                     by_sort);
  }
}

TEST_CASE("count_by_value_and_window: counts over the batches of each window, zeros dropped", "[spark][per_batch][window]") {
  // [doc:count_by_value_and_window]
  spate::script<std::string> s;
  s.record("a").record("b").batch_end(from_millis(1000))
   .record("a").batch_end(from_millis(2000))
   .batch_end(from_millis(3000))
   .batch_end(from_millis(4000));
  std::vector<std::string> out;
  spate::run(spate::from_script(s) | spate::count_by_value_and_window(2s, 1s) |
             spate::map([](const auto& w) { return std::to_string(spate::to_millis(w.end)) + " " + w.key + "=" + std::to_string(w.value); }) |
             spate::collect_into(out));
  // windows (end - 2 s, end]: b has slid out at 3000, a at 4000
  CHECK(sorted(out) == std::vector<std::string>{"1000 a=1", "1000 b=1", "2000 a=2", "2000 b=1", "3000 a=1"});
  // [end]

  // Against a brute-force count of each window's batches, on random scripts.
  std::mt19937 rng(31337);
  for (int round = 0; round < 30; ++round) {
    CAPTURE(round);
    const std::int64_t size = 1000 * std::uniform_int_distribution<std::int64_t>(1, 4)(rng);
    const std::int64_t slide = 1000 * std::uniform_int_distribution<std::int64_t>(1, 2)(rng);
    spate::script<std::string> r;
    std::vector<std::pair<std::int64_t, std::string>> closed;  // (batch time, record) of closed batches
    std::vector<std::string> open;
    std::vector<std::int64_t> ends;
    std::int64_t t = 0;
    for (int i = 0; i < 200; ++i) {
      if (std::uniform_int_distribution<int>(0, 9)(rng) < 3) {
        t += 1000;
        r.batch_end(from_millis(t));
        ends.push_back(t);
        for (auto& x : open) closed.emplace_back(t, std::move(x));
        open.clear();
      } else {
        std::string x(1, static_cast<char>('a' + std::uniform_int_distribution<int>(0, 5)(rng)));
        r.record(x);
        open.push_back(x);
      }
    }
    std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> expected, got;
    for (std::int64_t end : ends) {
      if (end % slide != 0) continue;
      std::map<std::string, std::int64_t> c;
      for (const auto& [bt, x] : closed)
        if (bt > end - size && bt <= end) ++c[x];
      for (const auto& [x, n] : c) expected.emplace_back(end, x, n);
    }
    spate::run(spate::from_script(r) | spate::count_by_value_and_window(spate::duration{size}, spate::duration{slide}) |
               spate::for_each([&](const auto& w) { got.emplace_back(spate::to_millis(w.end), w.key, w.value); }));
    CHECK(sorted(got) == expected);
  }
}

TEST_CASE("the pair-stream stages compose in chains, and say where their key_by went", "[spark][per_batch]") {
  // A reusable piece: the key_by goes in when the chain meets a pair stream.
  auto per_batch_counts = spate::map([](const std::string& w) { return word_count{w, 1}; }) |
                          spate::reduce_by_key(std::plus<>{});
  std::vector<std::string> words{"x", "y", "x"};
  std::vector<word_count> out;
  spate::run_batch(spate::from_collection(words) | per_batch_counts | spate::collect_into(out));
  CHECK(sorted(out) == std::vector<word_count>{{"x", 2}, {"y", 1}});

  spate::context ctx{spate::micro_batch{1s}, spate::parallelism{2}};
  std::vector<std::pair<std::string, std::int64_t>> counts;
  ctx.add(spate::from_collection(words) | spate::count_by_value() | spate::collect_into(counts));
  const std::string plan = ctx.explain();
  CHECK_THAT(plan, Catch::Matchers::Contains("range source | key_by #1 => combine #2 => shuffle") &&
                       Catch::Matchers::Contains("(shuffle) | count_by_value #2 (merges partials)"));
  ctx.start();
  ctx.await_termination();
  CHECK(sorted(counts) == std::vector<std::pair<std::string, std::int64_t>>{{"x", 2}, {"y", 1}});
}

TEST_CASE("Spark's network word count, per batch: flat_map(words) | count_by_value()", "[spark][per_batch][parallel]") {
  std::vector<std::string> lines;
  std::map<std::string, std::int64_t> expected;
  for (int i = 0; i < 3000; ++i) {
    std::string l = "w" + std::to_string(i % 17) + " w" + std::to_string(i % 5) + " w" + std::to_string(i % 17);
    for (auto w : spate::words(l)) ++expected[std::string(w)];
    lines.push_back(std::move(l));
  }
  for (std::size_t p : {1u, 2u}) {
    CAPTURE(p);
    std::map<std::string, std::int64_t> total;
    std::size_t batches = 0;
    // [doc:network_word_count]
    // Spark: lines.flatMap(_.split(" ")).map((_, 1)).reduceByKey(_ + _).foreachRDD(...)
    spate::context ctx{spate::micro_batch{20ms}, spate::parallelism{p}, spate::max_rate{20'000}};
    ctx.add(spate::from_collection(lines)
            | spate::flat_map([](const std::string& l) { return spate::words(l); })
            | spate::count_by_value()  // (word, count in this batch), string_views owned as std::string
            | spate::foreach_batch([&](const std::vector<std::pair<std::string, std::int64_t>>& counts) {
                ++batches;
                for (const auto& [w, n] : counts) total[w] += n;
              }));
    ctx.start();
    ctx.await_termination();
    // [end]
    CHECK(total == expected);
    CHECK(batches >= 2);
  }
}
