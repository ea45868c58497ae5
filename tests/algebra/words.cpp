// words and java_split: what it emits, keyed and unkeyed, rolling and batch
// (algebra/words.hpp).
#include <catch2/catch.hpp>

#include <spate/spate.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


#include "stage_support.hpp"

using spate_test::sale;
using spate_test::sorted;

TEST_CASE("java_split gives the pieces of Java's String.split for one separator", "[algebra][words][java]") {
  // The expected pieces are what Java 17 prints for in.split(" ") (and for
  // "a,,b,," .split(",")): every separator cuts, a leading one gives an empty
  // first piece, trailing empty pieces go, and an input without the
  // separator, "" included, is one piece. A tab is no separator.
  auto pieces = [](std::string_view in, char sep = ' ') {
    std::vector<std::string> v;
    for (std::string_view p : spate::java_split(in, sep)) v.emplace_back(p);
    return v;
  };
  using V = std::vector<std::string>;
  CHECK(pieces("") == V{""});
  CHECK(pieces(" ") == V{});
  CHECK(pieces("  ") == V{});
  CHECK(pieces("a") == V{"a"});
  CHECK(pieces("a b") == V{"a", "b"});
  CHECK(pieces("a  b\tc") == V{"a", "", "b\tc"});
  CHECK(pieces(" a") == V{"", "a"});
  CHECK(pieces("  a") == V{"", "", "a"});
  CHECK(pieces("a ") == V{"a"});
  CHECK(pieces("a  ") == V{"a"});
  CHECK(pieces(" a ") == V{"", "a"});
  CHECK(pieces("a b ") == V{"a", "b"});
  CHECK(pieces("\t") == V{"\t"});
  CHECK(pieces("a\tb") == V{"a\tb"});
  CHECK(pieces(" \t ") == V{"", "\t"});
  CHECK(pieces("a  b  ") == V{"a", "", "b"});
  CHECK(pieces("   x   y") == V{"", "", "", "x", "", "", "y"});
  CHECK(pieces("\n") == V{"\n"});
  CHECK(pieces("a,,b,,", ',') == V{"a", "", "b"});

  // Spark's word count over "a  b<TAB>c": (a,1) (,1) (b<TAB>c,1); words() gives a, b, c.
  std::map<std::string, std::int64_t> spark, spate_words;
  auto count_with = [](auto split, std::map<std::string, std::int64_t>& into) {
    spate::run_batch(spate::from_elements(std::string("a  b\tc")) | spate::flat_map(split) |
                     spate::key_by([](std::string_view w) { return w; }) | spate::count() | spate::collect_into(into));
  };
  count_with([](const std::string& l) { return spate::java_split(l, ' '); }, spark);
  count_with([](const std::string& l) { return spate::words(l); }, spate_words);
  CHECK(spark == std::map<std::string, std::int64_t>{{"", 1}, {"a", 1}, {"b\tc", 1}});
  CHECK(spate_words == std::map<std::string, std::int64_t>{{"a", 1}, {"b", 1}, {"c", 1}});
}
