// The progress line: its text, shown for a file's bounded read when asked
// (a terminal is what "automatic" waits for), nothing when not a terminal.
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
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
    spate::context ctx{spate::progress_line{.show = when, .to = out}};
    ctx.add(spate::text_file(file.p.string()) | spate::for_each([](const std::string&) {}));
    ctx.start();
    ctx.await_termination();
    CHECK(read_all(out).empty());
    std::fclose(out);
  }
}
