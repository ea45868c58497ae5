// Sources (from_elements, from_collection, from_range, generate, text_file)
// and sinks (collect_into, for_each, print, write_text_file).
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <cstdio>
#include <fstream>
#include <list>
#include <map>
#include <optional>
#include <tuple>
#include <random>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "process_memory.hpp"
#include "temp_file.hpp"

namespace {

/// Runs only shard {index, count} of job's source, fused.
template <class Job>
void run_shard(const Job& job, std::size_t index, std::size_t count) {
  spate::rolling_env env;
  auto head = spate::fuse::build(env, job);
  job.source.open(env, spate::shard{index, count}, head).drain();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  spate::run(spate::text_file(path) | spate::collect_into(out));
  return out;
}

}  // namespace

TEST_CASE("collect_into a sequence, a map and a set", "[io][collect]") {
  std::vector<int> v;
  spate::run(spate::from_elements(3, 1, 3) | spate::collect_into(v));
  CHECK(v == std::vector<int>{3, 1, 3});

  std::set<int> s;
  spate::run(spate::from_elements(3, 1, 3) | spate::collect_into(s));
  CHECK(s == std::set<int>{1, 3});

  // A map takes (key, value) pairs, the last value per key wins.
  std::map<std::string, int> m;
  spate::run(spate::from_elements(std::pair<std::string, int>{"a", 1}, std::pair<std::string, int>{"b", 2},
                                  std::pair<std::string, int>{"a", 3}) |
             spate::collect_into(m));
  CHECK(m == std::map<std::string, int>{{"a", 3}, {"b", 2}});

  std::unordered_map<int, std::int64_t> counts;
  spate::run(spate::from_elements(1, 2, 1) | spate::key_by([](int x) { return x; }) | spate::count() |
             spate::collect_into(counts));
  CHECK(counts == std::unordered_map<int, std::int64_t>{{1, 2}, {2, 1}});
}

TEST_CASE("for_each calls its function for every record", "[io][for_each]") {
  long sum = 0;
  int calls = 0;
  spate::run(spate::from_elements(1, 2, 3, 4) | spate::for_each([&](int x) { sum += x; ++calls; }));
  CHECK(sum == 10);
  CHECK(calls == 4);
}

TEST_CASE("print: a line per record when rolling, Spark's batch format under run_batch", "[io][print]") {
  SECTION("rolling") {
    std::ostringstream os;
    spate::run(spate::from_elements(std::string("to be"), std::string("or not to be")) |
               spate::flat_map([](const std::string& l) { return spate::words(l); }) |
               spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::print(os));
    CHECK(os.str() == "(to,1)\n(be,1)\n(or,1)\n(not,1)\n(to,2)\n(be,2)\n");
  }
  SECTION("batch: header, the first ten records, then ...") {
    std::ostringstream os;
    spate::run_batch(spate::generate([](std::uint64_t i) { return i; }, 12) | spate::print(os));
    const std::string text = os.str();
    std::smatch m;
    REQUIRE(std::regex_match(text, m,
                             std::regex("-------------------------------------------\n"
                                        "Time: ([0-9]+) ms\n"
                                        "-------------------------------------------\n"
                                        "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"
                                        "\\.\\.\\.\n\n")));
    // The batch time is now, in epoch milliseconds.
    const auto now = spate::to_millis(std::chrono::time_point_cast<spate::duration>(std::chrono::system_clock::now()));
    const long long t = std::stoll(m[1].str());
    CHECK(t <= now);
    CHECK(t > now - 60'000);
  }
  SECTION("batch: no ... when the batch has ten records or fewer; num is settable") {
    std::ostringstream os;
    spate::run_batch(spate::from_elements(1, 2, 3) | spate::print(os, 3));
    CHECK_THAT(os.str(), Catch::EndsWith("-------------------------------------------\n1\n2\n3\n\n"));
    std::ostringstream two;
    spate::run_batch(spate::from_elements(1, 2, 3) | spate::print(two, 2));
    CHECK_THAT(two.str(), Catch::EndsWith("-------------------------------------------\n1\n2\n...\n\n"));
  }
}

TEST_CASE("records as text: numbers, chars, strings, pairs, tuples, optionals, ranges", "[io][format]") {
  CHECK(spate::to_text(42) == "42");
  CHECK(spate::to_text('c') == "c");
  CHECK(spate::to_text(std::int8_t{-5}) == "-5");
  CHECK(spate::to_text(std::uint8_t{200}) == "200");
  CHECK(spate::to_text(true) == "true");
  CHECK(spate::to_text(std::string("s")) == "s");
  CHECK(spate::to_text(std::pair<std::string, int>{"to", 2}) == "(to,2)");
  CHECK(spate::to_text(std::tuple<int, char, double>{1, 'x', 0.5}) == "(1,x,0.5)");
  CHECK(spate::to_text(std::optional<int>{}) == "None");
  CHECK(spate::to_text(std::optional<int>{3}) == "3");
  CHECK(spate::to_text(std::vector<int>{1, 2}) == "[1, 2]");
}

TEST_CASE("sum_into adds every record to a number the caller owns", "[io][sum]") {
  long total = 5;
  spate::run(spate::from_elements(1, 2, 3) | spate::sum_into(total));
  CHECK(total == 11);  // added to what was there
  double d = 0;
  spate::run_batch(spate::from_elements(1, 2) | spate::map([](int x) { return x * 0.5; }) | spate::sum_into(d));
  CHECK(d == 1.5);
  long unfused = 0;
  spate::run_unfused(spate::generate([](std::uint64_t i) { return long(i); }, spate::unbounded) | spate::take(100) |
                     spate::sum_into(unfused));
  CHECK(unfused == 4950);
}

TEST_CASE("write_text_file writes a line per record", "[io][text_file]") {
  spate_test::temp_file out("spate_write");
  spate::run(spate::from_elements(std::pair<std::string, int>{"a", 1}, std::pair<std::string, int>{"b", 2}) |
             spate::write_text_file(out.path()));
  CHECK(out.read() == "(a,1)\n(b,2)\n");

  spate::run(spate::from_elements(std::string("x"), std::string("")) | spate::write_text_file(out.path()));
  CHECK(out.read() == "x\n\n");

  // Round trip through text_file.
  spate::run(spate::generate([](std::uint64_t i) { return i * 3; }, 5) | spate::write_text_file(out.path()));
  CHECK(lines_of(out.path()) == std::vector<std::string>{"0", "3", "6", "9", "12"});

  CHECK_THROWS_WITH(spate::run(spate::from_elements(1) | spate::write_text_file("/nonexistent-dir/x.txt")),
                    Catch::Contains("/nonexistent-dir/x.txt"));
}

TEST_CASE("from_elements and from_collection", "[io][collection]") {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2.0, 'c') | spate::collect_into(out));  // converted to the first's type
  CHECK(out == std::vector<int>{1, 2, 99});

  SECTION("an lvalue is referenced, not copied") {
    std::vector<std::string> data{"a", "b"};
    std::vector<std::string> seen;
    auto job = spate::from_collection(data) | spate::collect_into(seen);
    data.push_back("c");  // the job sees the container as it is when it runs
    spate::run(job);
    CHECK(seen == std::vector<std::string>{"a", "b", "c"});
    CHECK(&job.source.range() == &data);
  }
  SECTION("an rvalue is moved in and shared by copies of the job") {
    std::vector<std::string> data{"a", "b"};
    const std::string* first = data.data();
    std::vector<std::string> seen;
    auto job = spate::from_collection(std::move(data)) | spate::collect_into(seen);
    CHECK(job.source.range().data() == first);  // moved: same buffer, no copy
    auto copy = job;
    spate::run(job);
    spate::run(copy);
    CHECK(seen == std::vector<std::string>{"a", "b", "a", "b"});
  }
  SECTION("a const container") {
    const std::vector<int> data{4, 5};
    std::vector<int> seen;
    spate::run(spate::from_collection(data) | spate::collect_into(seen));
    CHECK(seen == data);
  }
  SECTION("shards of a random-access range are contiguous parts; a list is dealt round-robin") {
    std::vector<int> data(23);
    for (int i = 0; i < 23; ++i) data[std::size_t(i)] = i;
    std::list<int> list(data.begin(), data.end());
    for (std::size_t p = 1; p <= 5; ++p) {
      std::vector<int> all;
      auto job = spate::from_collection(data) | spate::collect_into(all);
      for (std::size_t i = 0; i < p; ++i) run_shard(job, i, p);
      CHECK(all == data);
      std::multiset<int> dealt;
      auto ljob = spate::from_collection(list) | spate::collect_into(dealt);
      for (std::size_t i = 0; i < p; ++i) run_shard(ljob, i, p);
      CHECK(dealt == std::multiset<int>(data.begin(), data.end()));
    }
  }
}

TEST_CASE("from_range with range-v3 views", "[io][collection]") {
  std::vector<int> out;
  spate::run(spate::from_range(ranges::views::iota(0, 10) | ranges::views::filter([](int x) { return x % 3 == 0; }) |
                               ranges::views::transform([](int x) { return x * x; })) |
             spate::collect_into(out));
  CHECK(out == std::vector<int>{0, 9, 36, 81});

  std::vector<int> base{1, 2, 3};
  auto doubled = base | ranges::views::transform([](int x) { return 2 * x; });
  std::vector<int> out2;
  spate::run(spate::from_range(doubled) | spate::collect_into(out2));
  CHECK(out2 == std::vector<int>{2, 4, 6});

  // A view with a sentinel and no end: stopped by take.
  std::vector<long> firsts;
  spate::run(spate::from_range(ranges::views::iota(10L)) | spate::take(3) | spate::collect_into(firsts));
  CHECK(firsts == std::vector<long>{10, 11, 12});
}

TEST_CASE("generate: bounded, sharded, and unbounded until stopped", "[io][generate]") {
  std::vector<std::uint64_t> out;
  spate::run(spate::generate([](std::uint64_t i) { return i * i; }, 5) | spate::collect_into(out));
  CHECK(out == std::vector<std::uint64_t>{0, 1, 4, 9, 16});

  for (std::size_t p = 1; p <= 4; ++p) {
    std::multiset<std::uint64_t> all;
    auto job = spate::generate([](std::uint64_t i) { return i; }, 10) | spate::collect_into(all);
    for (std::size_t i = 0; i < p; ++i) run_shard(job, i, p);
    CHECK(all == std::multiset<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  }

  std::vector<std::uint64_t> firsts;
  spate::run(spate::generate([](std::uint64_t i) { return i + 100; }, spate::unbounded) | spate::take(4) |
             spate::collect_into(firsts));
  CHECK(firsts == std::vector<std::uint64_t>{100, 101, 102, 103});

  std::vector<int> none;
  spate::run(spate::generate([](std::uint64_t) { return 1; }, 0) | spate::collect_into(none));
  CHECK(none.empty());
}

TEST_CASE("text_file: line ends, empty lines, missing last newline", "[io][text_file]") {
  auto lines = [](std::string_view contents) {
    spate_test::temp_file f("spate_lines", contents);
    return lines_of(f.path());
  };
  using v = std::vector<std::string>;
  CHECK(lines("") == v{});
  CHECK(lines("a") == v{"a"});
  CHECK(lines("a\n") == v{"a"});
  CHECK(lines("a\nb") == v{"a", "b"});
  CHECK(lines("a\r\nb\r\n") == v{"a", "b"});
  CHECK(lines("a\r\nb") == v{"a", "b"});
  CHECK(lines("\n") == v{""});
  CHECK(lines("\n\n\nx\n\n") == v{"", "", "", "x", ""});
  CHECK(lines("\r\n\r\n") == v{"", ""});
  CHECK(lines("tab\there \r\n  spaces  ") == v{"tab\there ", "  spaces  "});
  CHECK(lines(std::string("nul\0byte\n", 9)) == v{std::string("nul\0byte", 8)});
}

TEST_CASE("text_file: shards {i, P} together read every line exactly once", "[io][text_file]") {
  std::mt19937 rng(20261124);
  for (int round = 0; round < 20; ++round) {
    // Lines of random lengths, some empty, some CRLF, the last maybe without '\n'.
    std::vector<std::string> expected;
    std::string contents;
    const int n = std::uniform_int_distribution<int>(0, 60)(rng);
    for (int i = 0; i < n; ++i) {
      const int len = std::uniform_int_distribution<int>(0, round % 2 ? 300 : 8)(rng);
      std::string line;
      for (int c = 0; c < len; ++c) line += char(std::uniform_int_distribution<int>('a', 'z')(rng));
      expected.push_back(line);
      contents += line;
      const bool last = i + 1 == n;
      if (!last || rng() % 2) contents += (rng() % 4 == 0) ? "\r\n" : "\n";
    }
    if (!contents.empty() && contents.back() != '\n' && expected.back().empty()) expected.pop_back();
    spate_test::temp_file f("spate_shards", contents);
    for (std::size_t p = 1; p <= 5; ++p) {
      std::vector<std::string> all;
      auto job = spate::text_file(f.path()) | spate::collect_into(all);
      for (std::size_t i = 0; i < p; ++i) run_shard(job, i, p);
      INFO("round " << round << ", " << p << " shards, " << contents.size() << " bytes");
      CHECK(all == expected);
    }
  }
}

TEST_CASE("text_file: a missing file is an error naming the path", "[io][text_file][errors]") {
  const std::string path = "/tmp/spate-no-such-file-4711.txt";
  std::vector<std::string> out;
  CHECK_THROWS_AS(spate::run(spate::text_file(path) | spate::collect_into(out)), std::runtime_error);
  CHECK_THROWS_WITH(spate::run(spate::text_file(path) | spate::collect_into(out)), Catch::Contains(path));
  CHECK_THROWS_WITH(spate::run_unfused(spate::text_file(path) | spate::collect_into(out)), Catch::Contains(path));
}

TEST_CASE("text_file: a large file runs in constant memory", "[io][text_file][large]") {
  // 1 GB (200 MB in unoptimized builds) of lines of varying length, one of
  // them 4 MB long.
#ifdef NDEBUG
  constexpr std::size_t target = std::size_t(1) << 30;
#else
  constexpr std::size_t target = std::size_t(200) << 20;
#endif
  spate_test::temp_file f("spate_large");
  std::size_t lines = 0, bytes = 0;
  {
    std::FILE* out = std::fopen(f.path().c_str(), "wb");
    REQUIRE(out);
    std::string block;
    std::size_t block_lines = 0;
    for (std::size_t i = 0; block.size() < (1u << 20); ++i) {
      block.append(1 + (i * 7919) % 160, char('a' + i % 26));
      block += '\n';
      ++block_lines;
    }
    while (bytes < target) {
      REQUIRE(std::fwrite(block.data(), 1, block.size(), out) == block.size());
      bytes += block.size();
      lines += block_lines;
    }
    const std::string long_line(std::size_t(4) << 20, 'x');
    std::fputs(long_line.c_str(), out);
    bytes += long_line.size();
    ++lines;
    std::fclose(out);
  }
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // resets VmHWM to the current RSS
  const auto before = spate_test::read_process_memory();

  std::size_t seen_lines = 0, seen_bytes = 0, longest = 0;
  spate::run(spate::text_file(f.path()) | spate::map([](const std::string& l) { return l.size(); }) |
             spate::for_each([&](std::size_t n) {
               ++seen_lines;
               seen_bytes += n + 1;
               longest = std::max(longest, n);
             }));
  const auto after = spate_test::read_process_memory();
  CHECK(seen_lines == lines);
  CHECK(seen_bytes == bytes + 1);  // the last line has no '\n'
  CHECK(longest == std::size_t(4) << 20);
  WARN("text_file over " << (bytes >> 20) << " MB: RSS before " << (before.rss >> 20) << " MB, peak during "
                         << (after.peak_rss >> 20) << " MB");
  INFO("RSS before " << (before.rss >> 20) << " MB, peak during " << (after.peak_rss >> 20) << " MB");
  CHECK(after.peak_rss < before.rss + (std::size_t(32) << 20));
}
