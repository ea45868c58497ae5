// The examples of docs/algebra.md and docs/fusion.md. Each block between
// marker comments `[doc:NAME]` and `[end]` appears verbatim (less its
// indentation) in the docs; scripts/doc-snippets (the doc_snippets test) keeps
// the two in step. The checks after each block verify what the docs claim.
#include <catch2/catch.hpp>

#include <boost/hana/define_struct.hpp>
#include <spate/spate.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "temp_file.hpp"

namespace {
// [doc:click]
struct click {
  std::string user;
  std::string page;
  int millis;
};
// [end]

// [doc:page_view]
struct page_view {  // reflected with Boost.Hana: its members have names
  BOOST_HANA_DEFINE_STRUCT(page_view, (std::string, user), (int, millis));
};
// [end]

// [doc:numbered]
struct numbered {  // a Flink MapFunction with a field
  long seen = 0;
  std::string operator()(const std::string& s) { return std::to_string(++seen) + ":" + s; }
};
// [end]
}  // namespace

TEST_CASE("doc: quick start", "[doc]") {
  // [doc:quickstart]
  std::vector<std::string> lines{"to be or not", "to be"};
  std::map<std::string, std::int64_t> counts;

  auto job = spate::from_collection(lines)
           | spate::flat_map([](const std::string& line) { return spate::words(line); })
           | spate::key_by([](std::string_view word) { return word; })
           | spate::count()
           | spate::collect_into(counts);
  spate::run(job);  // counts: be=2, not=1, or=1, to=2
  // [end]
  CHECK(counts == std::map<std::string, std::int64_t>{{"be", 2}, {"not", 1}, {"or", 1}, {"to", 2}});
}

TEST_CASE("doc: pipelines are values", "[doc]") {
  // [doc:chain]
  auto parse = spate::map([](const std::string& s) { return std::stoi(s); })
             | spate::filter([](int x) { return x >= 0; });   // a chain: no source, no sink

  std::vector<int> a, b;
  spate::run(spate::from_elements(std::string("4"), std::string("-1")) | parse | spate::collect_into(a));
  spate::run(spate::from_elements(std::string("7")) | parse | spate::collect_into(b));
  // a == {4}, b == {7}
  // [end]
  CHECK(a == std::vector<int>{4});
  CHECK(b == std::vector<int>{7});
}

TEST_CASE("doc: stateless stages", "[doc]") {
  // [doc:map_filter]
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2, 3, 4)
             | spate::map([](int x) { return x * 10; })
             | spate::filter([](int x) { return x > 10; })
             | spate::collect_into(out));  // out == {20, 30, 40}
  // [end]
  CHECK(out == std::vector<int>{20, 30, 40});

  // [doc:flat_map_range]
  std::vector<int> flat;
  spate::run(spate::from_elements(1, 2, 3)
             | spate::flat_map([](int n) { return ranges::views::iota(0, n); })
             | spate::collect_into(flat));  // flat == {0, 0, 1, 0, 1, 2}
  // [end]
  CHECK(flat == std::vector<int>{0, 0, 1, 0, 1, 2});

  // [doc:flat_map_emit]
  std::vector<std::string> pieces;
  spate::run(spate::from_elements(std::string("a,b"), std::string("c"))
             | spate::flat_map<std::string>([](const std::string& csv, auto& emit) {
                 std::size_t start = 0;
                 for (std::size_t comma; (comma = csv.find(',', start)) != std::string::npos; start = comma + 1)
                   if (!emit(csv.substr(start, comma - start))) return;  // false: downstream stopped
                 emit(csv.substr(start));
               })
             | spate::collect_into(pieces));  // pieces == {"a", "b", "c"}
  // [end]
  CHECK(pieces == std::vector<std::string>{"a", "b", "c"});

  // [doc:inspect_take]
  int seen = 0;
  std::vector<std::uint64_t> firsts;
  spate::run(spate::generate([](std::uint64_t i) { return i * i; }, spate::unbounded)
             | spate::inspect([&](std::uint64_t) { ++seen; })
             | spate::take(3)
             | spate::collect_into(firsts));  // firsts == {0, 1, 4}; seen == 3: the source stopped
  // [end]
  CHECK(firsts == std::vector<std::uint64_t>{0, 1, 4});
  CHECK(seen == 3);
}

TEST_CASE("doc: keyed streams", "[doc]") {
  std::vector<click> clicks{{"ann", "/", 30}, {"bob", "/a", 10}, {"ann", "/b", 50}};
  // [doc:key_by]
  auto by_function = spate::key_by([](const click& c) { return c.user; });
  auto by_member = spate::key_by(&click::user);
  auto by_element = spate::key_by<0>();  // for std::pair and std::tuple records
  // [end]
  (void)by_element;
  std::map<std::string, std::int64_t> n1, n2;
  spate::run(spate::from_collection(clicks) | by_function | spate::count() | spate::collect_into(n1));
  spate::run(spate::from_collection(clicks) | by_member | spate::count() | spate::collect_into(n2));
  CHECK(n1 == n2);

  // [doc:reduce]
  std::map<std::string, click> slowest;
  spate::run(spate::from_collection(clicks)
             | spate::key_by(&click::user)
             | spate::reduce([](const click& a, const click& b) { return a.millis >= b.millis ? a : b; })
             | spate::collect_into(slowest));  // slowest["ann"].page == "/b"
  // [end]
  CHECK(slowest.at("ann").page == "/b");
  CHECK(slowest.at("bob").page == "/a");

  // [doc:fold]
  std::map<std::string, std::string> pages;
  spate::run(spate::from_collection(clicks)
             | spate::key_by(&click::user)
             | spate::fold(std::string(), [](std::string acc, const click& c) { return acc + c.page; })
             | spate::collect_into(pages));  // pages["ann"] == "//b"
  // [end]
  CHECK(pages.at("ann") == "//b");
}

namespace {
// [doc:aggregate]
struct average_millis {  // Flink's AggregateFunction
  struct acc { long sum = 0, n = 0; };
  acc create_accumulator() const { return {}; }
  acc add(const click& c, acc a) const { return {a.sum + c.millis, a.n + 1}; }
  double get_result(const acc& a) const { return double(a.sum) / double(a.n); }
  acc merge(acc a, const acc& b) const { return {a.sum + b.sum, a.n + b.n}; }
};
// ... | spate::key_by(&click::user) | spate::aggregate(average_millis{}) | ...   emits (user, average)
// [end]
}  // namespace

TEST_CASE("doc: aggregate", "[doc]") {
  std::vector<click> clicks{{"ann", "/", 30}, {"bob", "/a", 10}, {"ann", "/b", 50}};
  std::map<std::string, double> avg;
  spate::run(spate::from_collection(clicks) | spate::key_by(&click::user) | spate::aggregate(average_millis{}) |
             spate::collect_into(avg));
  CHECK(avg == std::map<std::string, double>{{"ann", 40.0}, {"bob", 10.0}});
}

TEST_CASE("doc: rolling and batch emission", "[doc]") {
  // [doc:rolling_batch]
  auto sums = [](std::vector<std::pair<char, int>>& out) {
    return spate::from_elements(std::pair{'a', 1}, std::pair{'b', 2}, std::pair{'a', 3})
         | spate::key_by<0>()
         | spate::fold(0, [](int acc, const std::pair<char, int>& p) { return acc + p.second; })
         | spate::collect_into(out);
  };
  std::vector<std::pair<char, int>> rolling, batch;
  spate::run(sums(rolling));      // every update:        (a,1) (b,2) (a,4)
  spate::run_batch(sums(batch));  // the final value once: (a,4) (b,2), in no particular order
  // [end]
  CHECK(rolling == std::vector<std::pair<char, int>>{{'a', 1}, {'b', 2}, {'a', 4}});
  std::sort(batch.begin(), batch.end());
  CHECK(batch == std::vector<std::pair<char, int>>{{'a', 4}, {'b', 2}});
}

TEST_CASE("doc: field", "[doc]") {
  // [doc:field]
  std::vector<page_view> views{{"ann", 5}, {"bob", 7}, {"ann", 9}};
  std::map<std::string, std::int64_t> per_user;
  std::vector<int> times;
  spate::run(spate::from_collection(views) | spate::key_by(spate::field<"user">) | spate::count()
             | spate::collect_into(per_user));  // {ann: 2, bob: 1}
  spate::run(spate::from_collection(views) | spate::map(spate::field<"millis">)
             | spate::collect_into(times));     // {5, 7, 9}
  // [end]
  CHECK(per_user == std::map<std::string, std::int64_t>{{"ann", 2}, {"bob", 1}});
  CHECK(times == std::vector<int>{5, 7, 9});
}

TEST_CASE("doc: functions with state of their own", "[doc]") {
  // [doc:mutable]
  std::vector<std::string> out;
  auto job = spate::from_elements(std::string("a"), std::string("b"), std::string("c"))
           | spate::map(numbered{})                                              // "1:a" "2:b" "3:c"
           | spate::filter([n = 0](const std::string&) mutable { return ++n != 2; })  // drops the second
           | spate::collect_into(out);
  spate::run(job);  // out == {"1:a", "3:c"}
  spate::run(job);  // the same again: each run builds its stages from the job's copies
  // out == {"1:a", "3:c", "1:a", "3:c"}
  // [end]
  CHECK(out == std::vector<std::string>{"1:a", "3:c", "1:a", "3:c"});
}

TEST_CASE("doc: words and java_split", "[doc]") {
  // [doc:java_split]
  const std::string line = "to  be\tor";
  auto spark_like = spate::java_split(line, ' ');  // Java's line.split(" "), as Spark's programs split
  auto words = spate::words(line);
  std::vector<std::string_view> a(spark_like.begin(), spark_like.end());  // {"to", "", "be\tor"}
  std::vector<std::string_view> b(words.begin(), words.end());            // {"to", "be", "or"}
  // [end]
  CHECK(a == std::vector<std::string_view>{"to", "", "be\tor"});
  CHECK(b == std::vector<std::string_view>{"to", "be", "or"});
}

TEST_CASE("doc: merge", "[doc]") {
  // [doc:merge]
  std::vector<int> evens{0, 2, 4, 6}, odds{1, 3, 5, 7};
  std::vector<int> merged;
  spate::run(spate::merge(spate::from_collection(evens),
                          spate::from_collection(odds) | spate::filter([](int x) { return x > 1; }))
                 .turn(2)  // at most 2 records of an input, then the next input (default 64)
             | spate::collect_into(merged));
  // merged == {0, 2, 3, 4, 6, 5, 7}: 0 2 | 1 3 (1 filtered) | 4 6 | 5 7
  // [end]
  CHECK(merged == std::vector<int>{0, 2, 3, 4, 6, 5, 7});

  std::vector<int> all;
  spate::run(spate::union_(spate::from_collection(evens), spate::from_collection(odds)) | spate::collect_into(all));
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("doc: sinks", "[doc]") {
  // [doc:collect_into]
  std::vector<int> seq;
  std::set<int> distinct;
  std::map<std::string, int> latest;  // a map takes (key, value) records; the last value per key wins
  spate::run(spate::from_elements(3, 1, 3) | spate::collect_into(seq));       // {3, 1, 3}
  spate::run(spate::from_elements(3, 1, 3) | spate::collect_into(distinct));  // {1, 3}
  spate::run(spate::from_elements(std::pair<std::string, int>{"x", 1}, std::pair<std::string, int>{"x", 2})
             | spate::collect_into(latest));                                  // {x: 2}
  // [end]
  CHECK(seq == std::vector<int>{3, 1, 3});
  CHECK(distinct == std::set<int>{1, 3});
  CHECK(latest == std::map<std::string, int>{{"x", 2}});

  // [doc:sum_for_each]
  long total = 0;
  spate::run(spate::from_elements(1, 2, 3) | spate::map([](int x) { return x * x; }) | spate::sum_into(total));
  // total == 14
  spate::run(spate::from_elements(1, 2, 3) | spate::for_each([](int x) { std::printf("%d\n", x); }));
  // [end]
  CHECK(total == 14);

  // [doc:print]
  std::ostringstream out;
  spate::run(spate::from_elements(std::pair{'a', 1}, std::pair{'b', 2}) | spate::print(out));
  // out: "(a,1)\n(b,2)\n"

  std::ostringstream batch;
  spate::run_batch(spate::generate([](std::uint64_t i) { return i; }, 12) | spate::print(batch));
  // batch:
  // -------------------------------------------
  // Time: 1763952000000 ms
  // -------------------------------------------
  // 0
  // 1
  // ... up to 9, then a line "..." (more than ten records) and an empty line
  // [end]
  CHECK(out.str() == "(a,1)\n(b,2)\n");
  CHECK_THAT(batch.str(), Catch::StartsWith("-------------------------------------------\nTime: "));
  CHECK_THAT(batch.str(), Catch::EndsWith("ms\n-------------------------------------------\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n...\n\n"));
}

TEST_CASE("doc: sources", "[doc]") {
  spate_test::temp_file file("spate_doc", "first line\r\nsecond line\n\nlast");
  const std::string path = file.path();
  // [doc:sources]
  std::vector<int> data{1, 2, 3};
  auto referenced = spate::from_collection(data);               // an lvalue: read in place, keep it alive
  auto owned = spate::from_collection(std::vector<int>{4, 5});  // an rvalue: moved into the source
  auto values = spate::from_elements(6, 7);
  auto view = spate::from_range(ranges::views::iota(0, 5) | ranges::views::transform([](int x) { return x * x; }));
  auto squares = spate::generate([](std::uint64_t i) { return i * i; }, 1000);  // or spate::unbounded
  auto lines = spate::text_file(path);  // lines without "\n" or "\r\n"; constant memory
  // [end]
  std::vector<int> a, b, c, d;
  spate::run(referenced | spate::collect_into(a));
  spate::run(owned | spate::collect_into(b));
  spate::run(values | spate::collect_into(c));
  spate::run(view | spate::collect_into(d));
  CHECK(a == std::vector<int>{1, 2, 3});
  CHECK(b == std::vector<int>{4, 5});
  CHECK(c == std::vector<int>{6, 7});
  CHECK(d == std::vector<int>{0, 1, 4, 9, 16});
  std::uint64_t n = 0;
  spate::run(squares | spate::for_each([&](std::uint64_t) { ++n; }));
  CHECK(n == 1000);
  std::vector<std::string> l;
  spate::run(lines | spate::collect_into(l));
  CHECK(l == std::vector<std::string>{"first line", "second line", "", "last"});

  spate_test::temp_file out("spate_doc_out");
  const std::string output_path = out.path();
  // [doc:write_text_file]
  spate::run(spate::text_file(path)
             | spate::filter([](const std::string& line) { return !line.empty(); })
             | spate::map([](const std::string& line) { return std::pair{line.size(), line}; })
             | spate::write_text_file(output_path));  // "(10,first line)\n(11,second line)\n(4,last)\n"
  // [end]
  CHECK(out.read() == "(10,first line)\n(11,second line)\n(4,last)\n");
}

TEST_CASE("doc: errors", "[doc]") {
  // [doc:errors]
  long total = 0;
  std::string message, stage;
  std::size_t position = 0;
  bool nested = false;
  auto job = spate::from_elements(std::string("1"), std::string("x"))
           | spate::map([](const std::string& s) { return std::stoi(s); })  // throws on "x"
           | spate::sum_into(total);
  try {
    spate::run(job);
  } catch (const spate::stage_error& e) {
    message = e.what();    // "stage 'map' (#1 in its pipeline) failed: stoi"
    stage = e.stage();     // "map"
    position = e.position();  // 1: the source is #0
    try {
      std::rethrow_if_nested(e);  // the user's exception is kept
    } catch (const std::invalid_argument&) {
      nested = true;
    }
  }
  // [end]
  CHECK(message == "stage 'map' (#1 in its pipeline) failed: stoi");
  CHECK(stage == "map");
  CHECK(position == 1);
  CHECK(nested);

  // [doc:missing_file]
  std::string missing;
  try {
    spate::run(spate::text_file("/no/such/file.txt") | spate::for_each([](const std::string&) {}));
  } catch (const std::runtime_error& e) {
    missing = e.what();  // "text_file: cannot open '/no/such/file.txt': No such file or directory"
  }
  // [end]
  CHECK(missing == "text_file: cannot open '/no/such/file.txt': No such file or directory");
}

TEST_CASE("doc: fusion", "[doc]") {
  // [doc:build_by_hand]
  std::vector<int> out;
  auto job = spate::from_elements(1, 2, 3)
           | spate::map([](int x) { return x + 1; })
           | spate::collect_into(out);

  spate::rolling_env env;
  auto head = spate::fuse::build(env, job);  // map's built stage, holding collect_into's by value
  job.source.open(env, spate::shard{}, head).drain();  // the source's loop pushes into head
  // out == {2, 3, 4}: what spate::run(job) does
  // [end]
  CHECK(out == std::vector<int>{2, 3, 4});

  // [doc:unfused]
  std::vector<int> fused, unfused;
  auto make = [](std::vector<int>& into) {
    return spate::from_elements(1, 2, 3) | spate::map([](int x) { return x * 2; }) | spate::collect_into(into);
  };
  spate::run(make(fused));          // one inlined loop
  spate::run_unfused(make(unfused));  // a heap node and a virtual call per stage
  // fused == unfused: a law the tests check on random pipelines
  // [end]
  CHECK(fused == unfused);
}
