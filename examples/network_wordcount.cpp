// Spark Streaming's NetworkWordCount, in spate.
//   network_wordcount HOST PORT
// Counts the words of each one-second batch of lines read from a TCP server
// and prints them per batch. Try it with `nc -lk 9999` in another terminal:
//   ./network_wordcount localhost 9999
// Ctrl-C (SIGINT) or SIGTERM stops it gracefully: the lines already read are
// counted and printed before it exits.
//
// One deliberate difference from Spark's program, in how a line becomes
// words. Spark's splits with line.split(" ") (Java's String.split): two
// spaces in a row make an empty word and a tab joins the words around it, so
// "a  b<TAB>c" prints (a,1) (,1) (b<TAB>c,1). This example splits with
// spate::words, on runs of any whitespace, and prints (a,1) (b,1) (c,1): the
// words typed, never an empty one, which is what a word count means. For
// Spark's output byte for byte, split with spate::java_split(line, ' ')
// instead, which returns exactly Java's pieces (docs/algebra.md).
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include <spate/exec.hpp>
#include <spate/spate.hpp>
#include <spate/window.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: network_wordcount HOST PORT\n";
    return 2;
  }
  using namespace std::chrono_literals;
  try {
    // [doc:network_wordcount]
    spate::context ctx{spate::micro_batch{1s}, spate::parallelism{2}};
    ctx.add(spate::socket_text(argv[1], static_cast<std::uint16_t>(std::stoi(argv[2])))
            | spate::flat_map([](const std::string& line) { return spate::words(line); })
            | spate::key_by([](std::string_view word) { return word; })
            | spate::window(spate::per_batch()) | spate::count()  // Spark's reduceByKey: counts within each batch
            | spate::map([](const auto& r) { return std::pair(r.key, r.value); })  // print as (word,count)
            | spate::print());
    ctx.stop_on_signals();
    ctx.start();
    ctx.await_termination();
    // [end]
  } catch (const std::exception& e) {
    std::cerr << "network_wordcount: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
