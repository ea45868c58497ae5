// wordcount [-q] [FILE]: the words of FILE (default: a text bundled with
// spate), counted and printed as "word<TAB>count", most frequent first, ties
// by word. A word is a maximal run of non-whitespace, case kept (the seed's
// split(" ")). While it reads, a progress line shows on stderr when stderr is
// a terminal; -q keeps it quiet.
#include <spate/spate.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#ifndef SPATE_WORDCOUNT_DEFAULT_TEXT
#define SPATE_WORDCOUNT_DEFAULT_TEXT "examples/data/streams.txt"
#endif

int main(int argc, char** argv) {
  int arg = 1;
  spate::progress_line progress;  // automatic: on a terminal only
  if (arg < argc && std::string(argv[arg]) == "-q") {
    progress.show = spate::progress_line::when::never;
    ++arg;
  }
  const std::string path = arg < argc ? argv[arg] : SPATE_WORDCOUNT_DEFAULT_TEXT;
  std::vector<std::pair<std::string, std::int64_t>> counts;
  try {
    // [doc:wordcount]
    auto job = spate::text_file(path)
             | spate::flat_map([](const std::string& line) { return spate::words(line); })
             | spate::key_by([](std::string_view w) { return w; })
             | spate::count()
             | spate::collect_into(counts);
    spate::run_batch(job, progress);  // nothing runs until here; the bounded input is one batch
    // [end]
  } catch (const std::exception& e) {
    std::cerr << "wordcount: " << e.what() << '\n';
    return 1;
  }
  std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (const auto& [word, n] : counts) std::cout << word << '\t' << n << '\n';
  return 0;
}
