// The shared line splitter (socket, stdin, directory and text_file sources)
// fed at every split point, and text_file's line policies and truncation.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <spate/spate.hpp>

#include "process_memory.hpp"
#include "temp_file.hpp"

namespace {

/// What a line source makes of an input: the lines, the counted skips, and
/// whether (and why) it failed.
struct outcome {
  std::vector<std::string> lines;
  std::uint64_t too_long = 0, invalid_utf8 = 0;
  std::string error;  // "", "too long" or "utf8"
  bool operator==(const outcome&) const = default;
};
std::ostream& operator<<(std::ostream& os, const outcome& o) {
  os << "{";
  for (auto& l : o.lines) os << '"' << l << "\" ";
  return os << "too_long=" << o.too_long << " invalid_utf8=" << o.invalid_utf8 << " error=" << o.error << "}";
}

/// The rules, written down independently of the splitter: a line ends at
/// '\n'; one '\r' before it is removed; the length is checked before UTF-8;
/// an unterminated last line counts at a clean end.
outcome oracle(std::string_view in, spate::line_options o) {
  outcome r;
  auto take = [&](std::string_view l) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.size() > o.max_line) {
      if (o.too_long == spate::bad_line::fail) return r.error = "too long", false;
      ++r.too_long;
    } else if (!spate::detail::valid_utf8(l)) {
      if (o.invalid_utf8 == spate::bad_line::fail) return r.error = "utf8", false;
      ++r.invalid_utf8;
    } else {
      r.lines.emplace_back(l);
    }
    return true;
  };
  std::size_t start = 0;
  for (std::size_t nl; (nl = in.find('\n', start)) != std::string_view::npos; start = nl + 1)
    if (!take(in.substr(start, nl - start))) return r;
  if (start < in.size()) take(in.substr(start));
  return r;
}

/// The splitter fed `in` in pieces cut at `cuts` (ascending offsets), then a
/// clean end.
outcome split(std::string_view in, const std::vector<std::size_t>& cuts, spate::line_options o) {
  outcome r;
  auto stats = std::make_shared<spate::line_stats>();
  spate::detail::line_splitter s(o, stats, "test");
  try {
    std::size_t at = 0;
    auto drain = [&] {
      while (auto l = s.next()) r.lines.emplace_back(*l);
    };
    for (std::size_t c : cuts) {
      s.append(in.data() + at, c - at);
      at = c;
      drain();
    }
    s.append(in.data() + at, in.size() - at);
    drain();
    if (auto l = s.finish()) r.lines.emplace_back(*l);
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    r.error = m.find("longer than") != std::string::npos ? "too long" : m.find("UTF-8") != std::string::npos ? "utf8" : m;
    r.lines.clear();  // what came before a failure does not matter here
  }
  r.too_long = stats->skipped_too_long;
  r.invalid_utf8 = stats->skipped_invalid_utf8;
  if (!r.error.empty()) r.too_long = r.invalid_utf8 = 0;
  return r;
}
outcome oracle_on_failure(outcome o) {
  if (!o.error.empty()) {
    o.lines.clear();
    o.too_long = o.invalid_utf8 = 0;
  }
  return o;
}

}  // namespace

TEST_CASE("line_splitter: a line of exactly max_line bytes ending in CRLF passes at every split point",
          "[lines][crlf]") {
  const std::string in = "abcd\r\nef\r\n";
  const spate::line_options cap4{.max_line = 4};
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(split(in, {cut}, cap4) == outcome{{"abcd", "ef"}, 0, 0, ""});
  }
  // Without the final newline too: the CR is removed at the clean end.
  for (std::size_t cut = 0; cut <= 5; ++cut) {
    INFO("cut at " << cut);
    CHECK(split("abcd\r", {cut}, cap4) == outcome{{"abcd"}, 0, 0, ""});
  }
  // One byte more is too long wherever the input is cut.
  for (std::size_t cut = 0; cut <= 7; ++cut) {
    INFO("cut at " << cut);
    CHECK(split("abcde\r\n", {cut}, cap4).error == "too long");
    CHECK(split("abcd\r\r\n", {cut}, cap4).error == "too long");  // only one CR is part of the line end
  }
}

TEST_CASE("line_splitter: every split of random inputs gives what the rules say", "[lines][property]") {
  std::mt19937 rng(9);
  const std::string alphabet[] = {"a", "b", "\r", "\n", "\r\n", "\xC3\xA9", "\xC3", "\xFF"};
  for (int round = 0; round < 400; ++round) {
    std::string in;
    const int pieces = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int i = 0; i < pieces; ++i) in += alphabet[rng() % std::size(alphabet)];
    spate::line_options o{.max_line = std::uniform_int_distribution<std::size_t>(0, 5)(rng),
                          .too_long = rng() % 2 ? spate::bad_line::skip : spate::bad_line::fail,
                          .invalid_utf8 = rng() % 2 ? spate::bad_line::skip : spate::bad_line::fail};
    const outcome want = oracle_on_failure(oracle(in, o));
    for (std::size_t a = 0; a <= in.size(); ++a)
      for (std::size_t b = a; b <= in.size(); ++b) {
        const outcome got = split(in, {a, b}, o);
        if (got != want) {
          INFO("input '" << in << "' (" << in.size() << " bytes), max_line " << o.max_line << ", cut at " << a << " and "
                         << b);
          CHECK(got == want);
          return;
        }
      }
  }
}

namespace {
/// Runs only shard {index, count} of job's source, fused.
template <class Job>
void run_shard(const Job& job, std::size_t index, std::size_t count) {
  spate::rolling_env env;
  auto head = spate::fuse::build(env, job);
  job.source.open(env, spate::shard{index, count}, head).drain();
}
/// n lines "line 0000000" .. (13 bytes each with the newline).
void write_numbered(const std::string& path, std::size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  for (std::size_t i = 0; i < n; ++i) std::fprintf(f, "line %07zu\n", i);
  std::fclose(f);
}
}  // namespace

TEST_CASE("text_file: a file truncated while it is read is an error, and no cut line comes out", "[text_file][truncated]") {
  spate_test::temp_file f("spate_truncated");
  write_numbered(f.path(), 200'000);  // 2 600 000 bytes
  const std::string path = f.path();
  const off_t cut = 1'000'006;        // in the middle of a line
  std::size_t lines = 0, cut_lines = 0;
  bool truncated = false;
  auto job = spate::text_file(path) | spate::for_each([&](const std::string& l) {
               if (!truncated) truncated = ::truncate(path.c_str(), cut) == 0;  // after the first read
               ++lines;
               if (l.size() != 12) ++cut_lines;
             });
  CHECK_THROWS_WITH(spate::run(job), Catch::Contains("'" + path + "'") && Catch::Contains("truncated") &&
                                         Catch::Contains("2600000 bytes at open") && Catch::Contains("end of file at byte 1000006"));
  CHECK(truncated);
  CHECK(cut_lines == 0);
  CHECK(lines <= 1'000'006 / 13);
}

TEST_CASE("text_file: a shard whose range was truncated away is an error too", "[text_file][truncated]") {
  spate_test::temp_file f("spate_truncated_shard");
  write_numbered(f.path(), 200'000);
  const std::string path = f.path();
  bool truncated = false;
  auto job = spate::text_file(path) | spate::for_each([&](const std::string&) {
               if (!truncated) truncated = ::truncate(path.c_str(), 300'000) == 0;
             });
  // Shard 0 of 2 reads up to byte 1 300 000, so it reaches the new end first.
  CHECK_THROWS_WITH(run_shard(job, 0, 2), Catch::Contains(path) && Catch::Contains("2600000 bytes at open") &&
                                              Catch::Contains("end of file at byte 300000"));
}

TEST_CASE("text_file: a line longer than the cap fails the job in bounded memory", "[text_file][long_line]") {
  // Issue 9, item 8: a 64 MiB line (4 times text_file's default cap of 16 MiB).
  spate_test::temp_file f("spate_long_line");
  {
    std::ofstream out(f.path(), std::ios::binary);
    out << "short\n";
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 64; ++i) out << chunk;
    out << "\nafter\n";
  }
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // resets VmHWM to the current RSS
  const auto before = spate_test::read_process_memory();
  std::vector<std::string> out;
  CHECK_THROWS_WITH(spate::run(spate::text_file(f.path()) | spate::collect_into(out)),
                    Catch::Contains(f.path()) && Catch::Contains("line 2") && Catch::Contains("byte 6") &&
                        Catch::Contains("longer than 16777216 bytes"));
  const auto after = spate_test::read_process_memory();
  INFO("RSS before " << (before.rss >> 20) << " MiB, peak during " << (after.peak_rss >> 20) << " MiB");
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  WARN("not checked under a sanitizer, whose shadow memory counts in the RSS");
#else
  CHECK(after.peak_rss < before.rss + (std::size_t(24) << 20));
#endif
}

TEST_CASE("line_splitter: errors give the source, the line number and the byte offset", "[lines][errors]") {
  auto error_of = [](std::string_view in, spate::line_options o) {
    spate::detail::line_splitter s(o, std::make_shared<spate::line_stats>(), "where");
    try {
      for (char c : in) {  // a byte at a time: the offsets do not depend on the reads
        s.append(&c, 1);
        while (s.next()) {
        }
      }
      s.finish();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of("ok\r\n\r\ntoo long\nok", {.max_line = 4}) ==
        "where: line 3 (byte 6) is longer than 4 bytes (line_options::max_line; or skip such lines with too_long = "
        "bad_line::skip)");
  CHECK(error_of("x\nlong line, no newline", {.max_line = 4}).starts_with("where: line 2 (byte 2) is longer than 4"));
  CHECK(error_of("a\nb\ncaf\xC3\n", {}) ==
        "where: line 3 (byte 4) is not valid UTF-8 (at byte 7; or skip such lines with invalid_utf8 = bad_line::skip)");
  // After skipped lines the numbers still count every line of the input.
  CHECK(error_of("toolong\n\xFF\nok\n\xFF", {.max_line = 4, .too_long = spate::bad_line::skip}) ==
        "where: line 2 (byte 8) is not valid UTF-8 (at byte 8; or skip such lines with invalid_utf8 = bad_line::skip)");
  CHECK(error_of("toolong\nok\nx\xFF", {.max_line = 4, .too_long = spate::bad_line::skip}).starts_with(
      "where: line 3 (byte 11) is not valid UTF-8 (at byte 12"));
}

TEST_CASE("line_splitter: memory stays bounded by max_line and one read", "[lines][memory]") {
  // A 64 MiB line without a newline, skipped, then a short one: what is held
  // never grows past max_line + a read.
  auto stats = std::make_shared<spate::line_stats>();
  spate::detail::line_splitter s({.max_line = 1000, .too_long = spate::bad_line::skip}, stats, "where");
  const std::string chunk(spate::detail::line_splitter::read_size, 'x');
  for (int i = 0; i < 1024; ++i) {
    s.fill([&](char* dst, std::size_t cap) {
      REQUIRE(cap == chunk.size());
      std::memcpy(dst, chunk.data(), cap);
      return static_cast<long>(cap);
    });
    CHECK(!s.next());
    CHECK(s.capacity() <= 1000 + 1 + 2 * chunk.size());
  }
  s.append("\nshort\n", 7);
  CHECK(s.next() == std::optional<std::string_view>("short"));
  CHECK(!s.next());  // nothing more buffered: the counters are up to date
  CHECK(s.offset() == 1024 * chunk.size() + 7);
  CHECK(stats->skipped_too_long == 1);
  CHECK(stats->lines == 1);
}

TEST_CASE("text_file: line_options cap lines and check UTF-8, skips are counted in stats()", "[text_file][policy]") {
  spate_test::temp_file f("spate_policy", "ok\n" + std::string(100, 'x') + "\r\nbad \xC3\x28 utf8\ncaf\xC3\xA9\nend");
  using v = std::vector<std::string>;
  {
    auto src = spate::text_file(f.path(), {.max_line = 50, .too_long = spate::bad_line::skip,
                                           .invalid_utf8 = spate::bad_line::skip});
    v out;
    spate::run(src | spate::collect_into(out));
    CHECK(out == v{"ok", "caf\xC3\xA9", "end"});
    CHECK(src.stats().skipped_too_long == 1);
    CHECK(src.stats().skipped_invalid_utf8 == 1);
    CHECK(src.stats().lines == 3);
  }
  {
    v out;
    CHECK_THROWS_WITH(spate::run(spate::text_file(f.path(), {.max_line = 50}) | spate::collect_into(out)),
                      "text_file '" + f.path() +
                          "': line 2 (byte 3) is longer than 50 bytes (line_options::max_line; or skip such lines "
                          "with too_long = bad_line::skip)");
  }
  {
    v out;  // the default: lines up to 16 MiB, invalid UTF-8 fails
    CHECK_THROWS_WITH(spate::run(spate::text_file(f.path()) | spate::collect_into(out)),
                      Catch::Contains("'" + f.path() + "': line 3 (byte 105) is not valid UTF-8 (at byte 109"));
    CHECK(spate::text_file_lines.max_line == std::size_t(16) << 20);
    CHECK(spate::text_file(f.path()).lines.max_line == spate::text_file_lines.max_line);
  }
  // A line of exactly max_line bytes before its CRLF is not too long.
  {
    v out;
    spate::run(spate::text_file(f.path(), {.max_line = 100, .invalid_utf8 = spate::bad_line::skip}) |
               spate::collect_into(out));
    CHECK(out == v{"ok", std::string(100, 'x'), "caf\xC3\xA9", "end"});
  }
}

TEST_CASE("text_file: with shards, every line is read once and every skip counted once", "[text_file][policy][shards]") {
  std::mt19937 rng(20261201);
  for (int round = 0; round < 30; ++round) {
    std::vector<std::string> expected;
    std::string contents;
    std::uint64_t too_long = 0, bad = 0;
    const int n = std::uniform_int_distribution<int>(0, 80)(rng);
    for (int i = 0; i < n; ++i) {
      const int len = std::uniform_int_distribution<int>(0, 40)(rng);
      std::string line;
      for (int c = 0; c < len; ++c) line += char(std::uniform_int_distribution<int>('a', 'z')(rng));
      const bool invalid = rng() % 8 == 0;
      if (invalid) line.insert(line.size() / 2, "\xFF");
      if (line.size() > 30) ++too_long;
      else if (invalid) ++bad;
      else expected.push_back(line);
      contents += line;
      const bool terminated = i + 1 < n || rng() % 2;
      if (terminated) contents += rng() % 3 ? "\n" : "\r\n";
      else if (line.empty()) expected.pop_back();  // an empty unterminated last line is no line
    }
    spate_test::temp_file f("spate_policy_shards", contents);
    for (std::size_t p = 1; p <= 5; ++p) {
      std::vector<std::string> all;
      auto src = spate::text_file(f.path(), {.max_line = 30, .too_long = spate::bad_line::skip,
                                             .invalid_utf8 = spate::bad_line::skip});
      auto job = src | spate::collect_into(all);
      for (std::size_t i = 0; i < p; ++i) run_shard(job, i, p);
      INFO("round " << round << ", " << p << " shards, " << contents.size() << " bytes");
      CHECK(all == expected);
      CHECK(src.stats().skipped_too_long == too_long);
      CHECK(src.stats().skipped_invalid_utf8 == bad);
      CHECK(src.stats().lines == expected.size());
    }
  }
}

TEST_CASE("doc: text_file's line policies", "[doc][text_file]") {
  spate_test::temp_file file("spate_doc_lines", "caf\xC3\xA9\nlatin-1 caf\xE9\n");
  const std::string path = file.path();
  // [doc:text_file_lines]
  auto src = spate::text_file(path, {.max_line = 1 << 20, .invalid_utf8 = spate::bad_line::skip});
  std::vector<std::string> out;
  spate::run(src | spate::collect_into(out));  // the lines that are valid UTF-8, each at most 1 MiB
  // src.stats().skipped_invalid_utf8 == 1: the line that was not
  // [end]
  CHECK(out == std::vector<std::string>{"caf\xC3\xA9"});
  CHECK(src.stats().skipped_invalid_utf8 == 1);
}
