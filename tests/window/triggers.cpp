// Triggers of global windows (window/triggers.hpp): every_n, when, every and
// purging, golden cases against what Flink's trigger equivalents emit.
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using spate::from_millis;
using namespace spate_test;

namespace {
// key=count@watermark for each firing, the watermarks in between
template <class Trigger>
std::vector<std::string> fire_log(const spate::script<Ev>& s, Trigger trigger) {
  std::vector<std::string> a, b;
  auto job = [&](std::vector<std::string>& log) {
    return spate::from_script(s) | spate::key_by(&Ev::user) |
           spate::window(spate::global_window(trigger), &Ev::ts) | spate::count() | log_into(log);
  };
  spate::run(job(a));
  spate::run_unfused(job(b));
  CHECK(a == b);  // law: fused == unfused
  return a;
}
}  // namespace

TEST_CASE("every(interval): one firing per interval that had records, at its end", "[window][global][trigger][every]") {
  SECTION("a key with one record fires once, at the end of input") {
    spate::script<Ev> s;
    s.record({"a", 100});
    CHECK(fire_log(s, spate::every(1s)) == std::vector<std::string>{"(a, [0, 0), 1)", "Wmax", "end"});
  }
  SECTION("an interval that ends after the pending one still fires (Flink: a timer per interval)") {
    spate::script<Ev> s;
    s.record({"a", 100}).watermark(from_millis(99))
     .record({"a", 1500}).watermark(from_millis(1499))   // [0,1000) of a fires
     .record({"b", 5000}).watermark(from_millis(4999));  // [1000,2000) of a fires
    CHECK(fire_log(s, spate::every(1s)) ==
          std::vector<std::string>{"W99", "(a, [0, 0), 2)", "W1499", "(a, [0, 0), 2)", "W4999", "(b, [0, 0), 1)",
                                   "Wmax", "end"});
  }
  SECTION("several intervals passed at one watermark fire once each, oldest first") {
    spate::script<Ev> s;
    s.record({"a", 100}).record({"a", 1100}).record({"a", 2100}).watermark(from_millis(5000))
     .record({"a", 5500});
    CHECK(fire_log(s, spate::every(1s)) ==
          std::vector<std::string>{"(a, [0, 0), 3)", "(a, [0, 0), 3)", "(a, [0, 0), 3)", "W5000", "(a, [0, 0), 4)",
                                   "Wmax", "end"});
    // purging: the first firing takes the contents, the other two find none
    CHECK(fire_log(s, spate::purging(spate::every(1s))) ==
          std::vector<std::string>{"(a, [0, 0), 3)", "W5000", "(a, [0, 0), 1)", "Wmax", "end"});
  }
  SECTION("a record for an interval the watermark has passed fires at the next watermark") {
    spate::script<Ev> s;
    s.record({"a", 2500}).watermark(from_millis(2000)).record({"a", 100}).watermark(from_millis(2000))
     .watermark(from_millis(2001));
    CHECK(fire_log(s, spate::every(1s)) ==
          std::vector<std::string>{"W2000", "(a, [0, 0), 2)", "W2001", "(a, [0, 0), 2)", "Wmax", "end"});
  }
}
