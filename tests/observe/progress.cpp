// The progress line: its text, shown for a file's bounded read when asked
// (a terminal is what "automatic" waits for), nothing when not a terminal.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pty.h>
#include <stdexcept>
#include <unistd.h>

namespace {
struct temp_text {
  std::filesystem::path p = std::filesystem::temp_directory_path() / ("spate_progress_" + std::to_string(::getpid()));
  explicit temp_text(int lines) {
    std::ofstream f(p);
    for (int i = 0; i < lines; ++i) f << "line number " << i << '\n';
  }
  ~temp_text() { std::filesystem::remove(p); }
};
std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) s.append(buf, n);
  return s;
}
}  // namespace

TEST_CASE("progress: the text") {
  using spate::exec::progress_text;
  CHECK(progress_text(8'210'000, 412'000'000, 1'000'000'000, 4.0, false) ==
        "spate: 412.0 MB of 1.0 GB (41%), 8.21M records, 103.0 MB/s, 0:06 left");
  CHECK(progress_text(1500, 0, 0, 2.0, false) == "spate: 1.5k records, 750/s");
  CHECK(progress_text(1500, 100, 100, 2.0, true) == "spate: 100 B of 100 B (100%), 1.5k records, 50 B/s, 0:02");
}

TEST_CASE("progress: a file read to its end, asked for always") {
  temp_text file(20'000);
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  std::uint64_t n = 0;
  // [doc:progress]
  spate::context ctx{spate::progress_line{.show = spate::progress_line::when::always, .to = out}};
  ctx.add(spate::text_file(file.p.string()) | spate::for_each([&](const std::string&) { ++n; }));
  ctx.start();
  ctx.await_termination();  // the last line, then a newline
  // [end]
  const std::string text = read_all(out);
  std::fclose(out);
  CHECK(n == 20'000);
  CHECK(text.find("(100%)") != std::string::npos);
  CHECK(text.find("20.0k records") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("progress: automatic shows nothing when the output is not a terminal, nor does never") {
  temp_text file(1000);
  for (auto when : {spate::progress_line::when::automatic, spate::progress_line::when::never}) {
    std::FILE* out = std::tmpfile();
    REQUIRE(out);
    std::uint64_t n = 0;
    const auto counted = spate::text_file(file.p.string()) | spate::for_each([&](const std::string&) { ++n; });
    spate::context ctx{spate::progress_line{.show = when, .to = out}};
    ctx.add(counted);
    ctx.start();
    ctx.await_termination();
    // and on the calling thread
    spate::run(counted, spate::progress_line{.show = when, .to = out});
    spate::run_batch(counted, spate::progress_line{.show = when, .to = out});
    CHECK(n == 3000);
    CHECK(read_all(out).empty());
    std::fclose(out);
  }
}

TEST_CASE("progress: run_batch on the calling thread, asked for always") {
  temp_text file(20'000);
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  std::vector<std::pair<std::string, std::int64_t>> counts;
  // [doc:progress-run-batch]
  auto job = spate::text_file(file.p.string())
           | spate::flat_map([](const std::string& line) { return spate::words(line); })
           | spate::key_by([](std::string_view w) { return w; })
           | spate::count()
           | spate::collect_into(counts);
  spate::run_batch(job, spate::progress_line{.show = spate::progress_line::when::always, .to = out});
  // [end]
  const std::string text = read_all(out);
  std::fclose(out);
  CHECK(counts.size() == 20'002);  // "line", "number" and the 20 000 numbers
  CHECK(text.find("(100%)") != std::string::npos);
  CHECK(text.find("20.0k records") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("progress: automatic on a terminal shows the line, ended by a newline") {
  int master = -1, slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  std::FILE* tty = ::fdopen(slave, "w");
  REQUIRE(tty);
  // What the terminal shows, read as it comes (a pty's buffer is small);
  // the read ends once the slave side is closed and everything is read.
  std::string text;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t got; (got = ::read(master, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(got));
  });
  temp_text file(50'000);
  std::uint64_t n = 0;
  // The sink pauses now and then so that the run outlasts a few periods of
  // the line (a run shorter than one shows nothing) however fast the machine.
  spate::run_batch(spate::text_file(file.p.string()) | spate::for_each([&](const std::string&) {
                     if (++n % 10'000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                   }),
                   spate::progress_line{.to = tty, .every = std::chrono::milliseconds(1)});
  std::fclose(tty);
  reader.join();
  ::close(master);
  CHECK(n == 50'000);
  CHECK(text.find("\rspate: ") != std::string::npos);
  CHECK(text.find("(100%), 50.0k records") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("progress: a run that fails ends without a finished line, and the error leaves") {
  temp_text file(20'000);
  std::FILE* out = std::tmpfile();
  REQUIRE(out);
  int seen = 0;
  auto job = spate::text_file(file.p.string()) | spate::for_each([&](const std::string&) {
               if (++seen == 5000) throw std::runtime_error("sink down");
             });
  CHECK_THROWS_WITH(spate::run_batch(job, spate::progress_line{.show = spate::progress_line::when::always, .to = out}),
                    Catch::Contains("sink down"));
  CHECK(read_all(out).find("100%") == std::string::npos);
  std::fclose(out);
}
