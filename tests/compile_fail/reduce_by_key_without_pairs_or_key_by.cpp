// reduce_by_key works per key; the stream is neither keyed nor of std::pair<K, V>.
// expect: stage_needs_pairs_or_key_by<spate::fixed_string<[0-9]+>{"reduce_by_key"}, int>
// expect: give it a stream of std::pair<K, V> or put spate::key_by\(\.\.\.\) before it
#include <spate/spate.hpp>
#include <vector>
int main() {
  std::vector<int> out;
  spate::run(spate::from_elements(1, 2) | spate::reduce_by_key([](int a, int b) { return a + b; }) |
             spate::collect_into(out));
}
