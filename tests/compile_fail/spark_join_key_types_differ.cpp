// Spark's join takes two pair streams with one key type: int and std::string here.
// expect: pair_join_needs_pairs_of_one_key<spate::fixed_string<[0-9]+>{"join"}, std::pair<int, int>, std::pair<std::(__cxx11::)?basic_string<char>, int> >
// expect: a Spark join needs two streams of std::pair with the same key type
#include <spate/spate.hpp>
#include <string>
#include <utility>
#include <vector>
int main() {
  std::vector<std::pair<int, int>> a;
  std::vector<std::pair<std::string, int>> b;
  auto j = spate::join(spate::from_collection(a), spate::from_collection(b));
  (void)j;
}
